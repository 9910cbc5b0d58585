"""gf.distributed.predict and map_batches: batches over Dask workers, results as dask arrays in
input order.

Everything that can be checked is checked here, in the caller's process, before anything is
scheduled: the model file loads, the data's samples fit its input (one sample of zeros runs
through it, which also gives the output shapes and dtypes), the batch size is sane. What is
left for the workers is work that can fail only for the data's own reasons (an image that does
not decode: an InputError naming it by index) or because a worker died (Dask runs its batches
again elsewhere)."""
import os
import threading
import uuid

import dask
import dask.array as da
import dask.bag as db
import numpy as np

from .. import inference
from ..models.dask_arrays import is_dask_array, map_row_chunks
from . import cluster, worker

_cache_lock = threading.Lock()
_cache = {}  # (real path, mtime, size) -> Predictor: the caller's copy, for the checks


def predict(model, data, batch_size=64, client=None):
    """Run the model file `model` over `data` on the Dask cluster of `client` (default: dask's
    current client, else a LocalCluster, see cluster.py).

    data: a numpy or dask array of samples (rows), a list of image file paths (decoded to the
    model's input size, values 0-255), or a dask bag whose items are samples or image paths.
    Returns a dask array (a list of them for several outputs) in input order: running already
    for numpy arrays and path lists, lazy for dask inputs (compute it with this client). A
    chunk of a dask array is one task, run `batch_size` rows at a time; numpy rows and paths
    go `batch_size` to a task. A bag's partitions are its tasks and its result's row count is
    unknown until computed (dask's nan chunks)."""
    where = "gf.distributed.predict"
    batch_size = _batch_size(where, batch_size)
    predictor = _checked_predictor(where, model)
    if isinstance(data, db.Bag):
        build, lazy = _bag_plan(where, predictor, data, batch_size), True
    elif _is_path_list(data):
        build, lazy = _paths_plan(where, predictor, list(data), batch_size), False
    else:
        lazy = is_dask_array(data)
        build = _array_plan(where, predictor, _as_dask_array(where, data, batch_size),
                            batch_size)
    client = cluster.get_client(client)
    outs = build(worker.register(client, model))
    if not lazy:  # the caller's data is here now: start the work at once
        outs = client.persist(outs)
    return outs[0] if len(outs) == 1 else outs


def map_batches(fn, data, batch_size=64, client=None):
    """Run `fn` (any function of glflow ops, or numpy) over `data` (a numpy or dask array) in
    batches of `batch_size` rows on the Dask workers, each in its own GL context. fn takes a
    numpy batch and returns a tensor or array (or a list of them) with one row per input row.
    Returns a dask array (a list for several results) in input order: running for numpy
    data, lazy for a dask array. fn runs once here first, on one sample of zeros, to learn its
    output shapes; an fn that fails on it fails here."""
    where = "gf.distributed.map_batches"
    if not callable(fn):
        raise TypeError(f"{where}: fn must be callable, got {type(fn).__name__}")
    batch_size = _batch_size(where, batch_size)
    if isinstance(data, db.Bag) or _is_path_list(data):
        raise TypeError(f"{where}: data must be a numpy or dask array; to run a model over "
                        "image files or a bag use gf.distributed.predict")
    lazy = is_dask_array(data)
    x = _as_dask_array(where, data, batch_size)
    probe = np.zeros((1,) + tuple(x.shape[1:]), x.dtype)
    try:
        results = worker.call_function(fn, probe)
    except Exception as exc:  # whatever fn raises on a valid sample is fn's own error
        raise ValueError(f"{where}: fn failed on one sample of shape {list(x.shape[1:])} "
                         f"({type(exc).__name__}: {exc})") from exc
    if not results or any(r.shape[:1] != (1,) for r in results):
        raise ValueError(f"{where}: fn must return one row per input row; for a batch of 1 "
                         f"it returned shapes {[list(r.shape) for r in results]}")
    specs = [((None,) + r.shape[1:], r.dtype) for r in results]
    client = cluster.get_client(client)
    held = dask.delayed(fn, name=f"glflow-fn-{uuid.uuid4().hex}")  # one copy per graph
    outs = map_row_chunks(worker.run_function, x, specs, held, batch_size, specs)
    if not lazy:
        outs = client.persist(outs)
    return outs[0] if len(outs) == 1 else outs


# ----------------------------------------------------------------------------- checks

def _batch_size(where, batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"{where}: batch_size must be a positive int, got {batch_size!r}")
    return int(batch_size)


def _checked_predictor(where, path):
    """The model loaded here (cached while the file is unchanged): a missing or unreadable
    file fails now, naming it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: model must be the path of a model file, got "
                        f"{type(path).__name__}")
    try:
        stat = os.stat(path)
    except OSError:
        raise FileNotFoundError(f"{where}: no model file {os.fspath(path)!r}") from None
    key = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key not in _cache:
            _cache.clear()  # the newest model only: each holds GPU memory
            _cache[key] = inference.load_predictor(path)
        return _cache[key]


def _is_path_list(data):
    return (isinstance(data, (list, tuple)) and len(data) > 0
            and all(isinstance(p, (str, os.PathLike)) for p in data))


def _as_dask_array(where, data, batch_size):
    if is_dask_array(data):
        x = data
    else:
        array = np.asarray(data)
        if array.dtype == object or array.dtype.kind in "USV":
            raise TypeError(f"{where}: data must be numeric samples, image paths or a dask "
                            f"bag; got an array of {array.dtype}")
        if array.dtype == np.float64:
            array = array.astype(np.float32)  # glflow computes in float32
        x = da.from_array(array, chunks=(batch_size,) + array.shape[1:])
    if x.ndim < 1:
        raise ValueError(f"{where}: data must hold a batch of samples; got a scalar")
    return x


# ----------------------------------------------------------------------------- plans
# Each checks its data against the model now and returns build(ref) -> [dask array, ...].

def _array_plan(where, predictor, x, batch_size):
    specs = predictor.output_specs(where, x.shape[1:], x.dtype)

    def build(ref):
        return map_row_chunks(worker.run_rows, x, [(s.shape, s.dtype) for s in specs],
                              ref, batch_size, specs)
    return build


def _paths_plan(where, predictor, paths, batch_size):
    shape = inference.image_shape(where, predictor.inputs[0])
    specs = predictor.output_specs(where, shape, np.float32)
    run = dask.delayed(worker.run_images, pure=False)

    def build(ref):
        parts = [(run(ref, paths[at:at + batch_size], at, shape, specs),
                  len(paths[at:at + batch_size])) for at in range(0, len(paths), batch_size)]
        return _concatenated(parts, specs)
    return build


def _bag_plan(where, predictor, bag, batch_size):
    spec = predictor.inputs[0] if predictor.inputs else None
    if spec is None or spec.shape is None or any(d is None for d in spec.shape[1:]):
        raise ValueError(f"{where}: a bag's samples are only seen on the workers, so the "
                         f"model's input must have a fixed sample shape; "
                         f"{predictor.path!r} takes {spec.describe() if spec else 'no input'}")
    shape = tuple(spec.shape[1:])
    specs = predictor.output_specs(where, shape, spec.dtype)
    run = dask.delayed(worker.run_items, pure=False)

    def build(ref):
        parts = [(run(ref, part, p, shape, specs, batch_size), np.nan)
                 for p, part in enumerate(bag.to_delayed())]
        return _concatenated(parts, specs)
    return build


def _concatenated(parts, specs):
    """One dask array per output from [(delayed outputs, rows)], in order."""
    return [da.concatenate([da.from_delayed(outs[i], (rows,) + tuple(spec.shape[1:]),
                                            spec.dtype) for outs, rows in parts])
            for i, spec in enumerate(specs)]
