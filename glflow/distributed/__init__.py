"""glflow on a Dask cluster: batch inference and any glflow function over batches, with one
GL context per worker process.

    preds = gf.distributed.predict("model.glflow", images, batch_size=64, client=client)
    out = gf.distributed.map_batches(fn, x)

Without a client, dask's current default client is used, else a LocalCluster of one worker
per GPU (one per core on a machine without one). Needs dask.distributed: the `distributed`
extra (pip install 'glflow[distributed]')."""
try:
    import distributed as _dask_distributed  # noqa: F401 - only to fail early and clearly
except ImportError as exc:
    raise ImportError("glflow.distributed needs dask.distributed: pip install "
                      "'glflow[distributed]' (or 'dask[distributed]')") from exc

from ..inference import Failure, InputError, load_predictor
from .batches import prepare, run_batches
from .cluster import connect, default_workers, get_client, local_client
from .predict import map_batches, predict

__all__ = ["predict", "map_batches", "get_client", "local_client", "connect",
           "default_workers", "prepare", "run_batches",
           "load_predictor", "InputError", "Failure"]
