"""What runs inside each Dask worker process.

A model travels to the workers as its file's bytes inside a WorkerPlugin, which the scheduler
also hands to every worker that joins later (a worker restarted after a crash included). The
worker loads it on first use, in its own process and GL context, and keeps it warm for every
later batch; no glflow tensor or context ever crosses a process boundary, only numpy arrays.
A task outside any worker (a result computed with dask's local scheduler) loads the model
from its path once per process instead."""
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass

import numpy as np
from distributed import WorkerPlugin, get_worker

from .. import inference
from ..layers.node import flatten
from ..tensor import Tensor, tidy

_local_lock = threading.Lock()
_local = {}  # plugin name -> Predictor, for tasks run outside a worker


@dataclass(frozen=True)
class ModelRef:
    """What a task carries to find its model: the plugin's name and the original path."""
    name: str
    path: str

    def __dask_tokenize__(self):
        return ("glflow-model", self.name)


class ModelPlugin(WorkerPlugin):
    """A model file's bytes; the Predictor is made on the worker's first batch."""
    idempotent = True  # the name is the content's hash: registering again changes nothing

    def __init__(self, name, path, files):
        self.name = name
        self.path = path
        self.files = files
        self._predictor = None
        self._lock = threading.Lock()
        self.loads = 0  # how often this worker loaded it (tests: once at most)

    def __getstate__(self):  # what travels: the bytes, never a loaded model or a lock
        return {"name": self.name, "path": self.path, "files": self.files}

    def __setstate__(self, state):
        self.__init__(state["name"], state["path"], state["files"])

    def predictor(self):
        with self._lock:  # one load, even when several threads start together
            if self._predictor is None:
                self._predictor = _load_bundle(self.path, self.files)
                self.loads += 1
            return self._predictor


def _load_bundle(path, files):
    folder = tempfile.mkdtemp(prefix="glflow-model-")
    try:
        for name, data in files.items():
            target = os.path.join(folder, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        predictor = inference.load_predictor(os.path.join(folder, os.path.basename(path)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    predictor.path = path  # errors name the user's file, not the copy
    return predictor


def register(client, path):
    """Ship the model at `path` to every worker of `client`; returns the ModelRef tasks use."""
    files = inference.model_files(path)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    ref = ModelRef(f"glflow-model-{digest.hexdigest()[:16]}", os.fspath(path))
    client.register_plugin(ModelPlugin(ref.name, ref.path, files), name=ref.name)
    return ref


def warm_up(client, ref, shape, dtype):
    """Load the model on every worker now and run one sample of zeros through it (GL context,
    weights, shader compiles), so the first batches do not pay for it and a model that does
    not load on the workers fails before any batch is sent."""
    client.run(_warm, ref, tuple(shape), np.dtype(dtype).name)


def _warm(ref, shape, dtype, dask_worker=None):
    plugin = dask_worker.plugins.get(ref.name) if dask_worker is not None else None
    predictor = plugin.predictor() if plugin is not None else _predictor(ref)
    predictor(np.zeros((1,) + shape, dtype))


def _predictor(ref):
    try:
        plugin = get_worker().plugins.get(ref.name)
    except ValueError:  # not on a worker
        plugin = None
    if plugin is not None:
        return plugin.predictor()
    with _local_lock:
        if ref.name not in _local:
            _local[ref.name] = inference.load_predictor(ref.path)
        return _local[ref.name]


# ----------------------------------------------------------------------------- tasks
# Each returns one numpy array per model output (and, when not strict, the failures).

def run_rows(ref, batch_size, out_specs, chunk, start):
    predictor = _predictor(ref)
    chunk = np.asarray(chunk)
    parts = [inference.predict_rows(predictor, chunk[at:at + batch_size])
             for at in range(0, len(chunk), batch_size)]
    if not parts:  # an empty chunk
        return [np.zeros((0,) + tuple(s.shape[1:]), s.dtype) for s in out_specs]
    return [np.concatenate(outs) for outs in zip(*parts)]


def run_images(ref, paths, start, shape, out_specs, strict=True):
    return inference.predict_images(_predictor(ref), paths, start, shape, out_specs, strict)


def run_items(ref, items, partition, shape, out_specs, batch_size, strict=True):
    return inference.predict_items(_predictor(ref), list(items), partition, shape, out_specs,
                                   batch_size, strict)


def run_function(fn, batch_size, out_specs, chunk, start):
    """map_batches' task: fn over the chunk, batch_size rows at a time, in this worker's GL
    context; every glflow tensor fn makes is released before the numpy result leaves."""
    chunk = np.asarray(chunk)
    outs = [np.empty((len(chunk),) + tuple(shape[1:]), dtype) for shape, dtype in out_specs]
    for at in range(0, len(chunk), batch_size):
        piece = chunk[at:at + batch_size]
        results = call_function(fn, piece)
        if len(results) != len(outs):
            raise ValueError(f"map_batches: fn returned {len(results)} arrays for rows "
                             f"{start + at}..{start + at + len(piece) - 1}, and "
                             f"{len(outs)} for the first sample")
        for out, result in zip(outs, results):
            if result.shape[:1] != piece.shape[:1] or result.shape[1:] != out.shape[1:]:
                raise ValueError(f"map_batches: fn returned shape {list(result.shape)} for "
                                 f"rows {start + at}..{start + at + len(piece) - 1} (a batch "
                                 f"of {len(piece)}); expected [{len(piece)}, "
                                 f"{', '.join(map(str, out.shape[1:]))}]")
            out[at:at + len(piece)] = result
    return outs


def call_function(fn, batch):
    """fn(batch) as a list of numpy arrays (a tensor, an array or a list/tuple of them)."""
    with tidy():
        results = flatten(fn(batch))
        return [np.asarray(r.numpy() if isinstance(r, Tensor) else r) for r in results]
