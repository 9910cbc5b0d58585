"""The Dask client glflow.distributed runs on: the caller's, dask's current default one, or a
LocalCluster of glflow's own, sized to the machine.

glflow's own cluster has one single-threaded worker process per GPU (each pinned to its EGL
device) or, where EGL lists no GPU (llvmpipe), one per core. One thread, because a worker's
GL work goes through its one context anyway. On llvmpipe each of those workers draws in its
own thread (LP_NUM_THREADS=0, unless the user set the variable): one worker per core keeps
every core drawing, and Mesa's default of a rasteriser thread per core in every worker would
put N workers' N x N threads on N cores. Worker processes are spawned, not forked, so none
inherits a GL context."""
import atexit
import os
import threading

from distributed import Client, LocalCluster, WorkerPlugin
from distributed import default_client as current_default_client

from ..runtime import devices

_lock = threading.Lock()
_own = None  # (cluster, client) glflow started for callers that gave no client


def cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def gpu_indices(listed=None):
    """EGL indices of the hardware devices (software rasterisers excluded)."""
    listed = devices.list_devices() if listed is None else listed
    return [d.index for d in listed if not d.software]


def default_workers(listed=None, core_count=None):
    """One worker per GPU, or one per core where there is none."""
    gpus = gpu_indices(listed)
    return len(gpus) if gpus else (core_count or cores())


class DevicePlugin(WorkerPlugin):
    """Pins worker number i of a LocalCluster to GPU i (round robin), before its first GL op;
    a restarted worker keeps its number and so its GPU."""
    idempotent = True

    def __init__(self, indices):
        self.indices = list(indices)

    def setup(self, worker):
        if isinstance(worker.name, int):
            devices.set_device(self.indices[worker.name % len(self.indices)])


def local_client(n_workers=None, **cluster_kwargs):
    """A Client on a new LocalCluster of `n_workers` single-threaded worker processes
    (default: default_workers()); on a machine with GPUs each worker gets its own."""
    listed = devices.list_devices()
    gpus = gpu_indices(listed)
    n_workers = n_workers or default_workers(listed)
    options = {"threads_per_worker": 1, "processes": True, "dashboard_address": ":0"}
    if not gpus and "LP_NUM_THREADS" not in os.environ:
        options["env"] = {"LP_NUM_THREADS": "0"}  # the workers share the cores (module doc)
    options.update(cluster_kwargs)
    cluster = LocalCluster(n_workers=n_workers, **options)
    client = Client(cluster)
    if gpus:
        client.register_plugin(DevicePlugin(gpus), name="glflow-devices")
    return client


def connect(address, timeout=30):
    """A Client on the existing cluster whose scheduler listens at `address`."""
    return Client(address, timeout=timeout)


def get_client(client=None):
    """`client`, else dask's current default client, else glflow's own LocalCluster (started
    once, closed at exit)."""
    global _own
    if client is not None:
        return client
    try:
        return current_default_client()
    except ValueError:  # no client yet
        pass
    with _lock:
        if _own is None or _own.status != "running":
            _own = local_client()
            atexit.register(_close, _own)
        return _own


def _close(client):
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()
