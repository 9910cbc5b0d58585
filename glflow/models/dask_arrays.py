"""Models over dask arrays: `model.predict(dask_array)` gives a dask array back, lazily, one
task per chunk of rows, so data larger than memory streams through a model chunk by chunk.

dask is optional: nothing here imports it until a dask array arrives. glflow.distributed
builds on `map_row_chunks` to run model files on Dask workers."""
import uuid

import numpy as np

from ..layers.node import flatten


def is_dask_array(x):
    """Whether x is a dask array, without importing dask."""
    return any(c.__name__ == "Array" and c.__module__.startswith("dask.array")
               for c in type(x).__mro__)


def map_row_chunks(fn, x, out_specs, *args):
    """Lazily run `fn(*args, chunk, start)` on each chunk of rows of dask array `x` (`start`:
    the chunk's first row); fn returns one array per entry of `out_specs` ((shape with None
    for the rows, dtype) pairs), each with the chunk's rows. One dask array per output, rows
    in input order. Only the row axis stays chunked: a sample is never split."""
    import dask
    import dask.array as da
    x = x.rechunk({axis: -1 for axis in range(1, x.ndim)})
    rows = x.chunks[0]
    starts = np.cumsum((0,) + rows[:-1])
    call = dask.delayed(fn, pure=False)  # one key per call: no hashing of models or data
    parts = [call(*args, chunk, int(start))
             for chunk, start in zip(x.to_delayed().ravel(), starts)]
    return [da.concatenate([da.from_delayed(part[i], (n,) + tuple(shape[1:]), dtype)
                            for part, n in zip(parts, rows)])
            for i, (shape, dtype) in enumerate(out_specs)]


def predict(model, x, batch_size):
    """model.predict for a dask array: shapes and dtypes come from one sample of zeros run
    now, so a mismatch fails here; the chunks run when the result is computed."""
    if x.ndim < 1:
        raise ValueError(f"predict: {model.name!r} needs a batch of samples; the dask array "
                         "is a scalar")
    import dask
    probe = flatten(model.predict_on_batch(np.zeros((1,) + tuple(x.shape[1:]), x.dtype)))
    specs = [((None,) + out.shape[1:], out.dtype) for out in probe]
    held = dask.delayed(model, name=f"glflow-model-{uuid.uuid4().hex}")  # one copy per graph
    outs = map_row_chunks(_predict_chunk, x, specs, held, batch_size, specs)
    return outs[0] if len(outs) == 1 else outs


def _predict_chunk(model, batch_size, specs, chunk, start):
    if len(chunk) == 0:  # dask arrays may hold empty chunks; Model.predict refuses no data
        return [np.zeros((0,) + tuple(shape[1:]), dtype) for shape, dtype in specs]
    return flatten(model.predict(np.asarray(chunk), batch_size=batch_size))
