"""Shape and movement ops: reshape, transpose, slicing, gathering, joining, padding, and the
generators (ConstantOfShape, Range, EyeLike). Shapes, bounds and counts arrive as host
numpy arrays (`host=`), computed from shapes at call time or constant."""
import builtins

import numpy as np

from ... import ops
from .. import types
from .table import mapping


def ints(array):
    return [int(v) for v in np.asarray(array).reshape(-1)]


def axis_of(axis, rank):
    return axis + rank if axis < 0 else axis


@mapping("Reshape", attrs={"allowzero": 0}, host=(1,))
def reshape(n, x, shape):
    shape = ints(shape)
    if not n["allowzero"]:  # 0 copies the input's dimension
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return ops.reshape(x, shape)


@mapping("Flatten", attrs={"axis": 1})
def flatten(n, x):
    a = axis_of(n["axis"], x.rank)
    lead = int(np.prod(x.shape[:a], dtype=np.int64))
    return ops.reshape(x, [lead, int(np.prod(x.shape[a:], dtype=np.int64))])


@mapping("Transpose", attrs={"perm": None})
def transpose(n, x):
    y = ops.transpose(x, n["perm"])
    return ops.identity(y) if y is x else y


def _axes(n, axes_input, attr="axes"):
    """Axes from the attribute (older opsets) or the host input (newer)."""
    if axes_input is not None:
        return ints(axes_input)
    return n.attrs.get(attr)


@mapping("Squeeze", attrs={"axes": None}, host=(1,))
def squeeze(n, x, axes=None):
    axes = _axes(n, axes)
    return ops.squeeze(x, axes) if axes is None or axes else ops.squeeze(x)


@mapping("Unsqueeze", attrs={"axes": None}, host=(1,))
def unsqueeze(n, x, axes=None):
    axes = _axes(n, axes)
    rank = x.rank + len(axes)
    shape = list(x.shape)
    for a in sorted(axis_of(a, rank) for a in axes):
        shape.insert(a, 1)
    return ops.reshape(x, shape)


@mapping("Concat", attrs={"axis": None})
def concat(n, *xs):
    return ops.concat(list(xs), axis_of(n["axis"], xs[0].rank))


@mapping("Split", attrs={"axis": 0, "split": None, "num_outputs": None}, host=(1,))
def split(n, x, split=None):
    a = axis_of(n["axis"], x.rank)
    sizes = ints(split) if split is not None else n["split"]
    if sizes is None:
        count = n["num_outputs"] or n.n_outputs
        size = -(-x.shape[a] // count)  # ceil: the last piece may be smaller (opset 18)
        sizes = [min(size, x.shape[a] - i * size) for i in builtins.range(count)]
    return tuple(ops.split(x, sizes, a)) if len(sizes) > 1 else (ops.identity(x),)


@mapping("Slice", host=(1, 2, 3, 4))
def slice_(n, x, starts, ends, axes=None, steps=None):
    starts, ends = ints(starts), ints(ends)
    axes = ints(axes) if axes is not None else list(builtins.range(len(starts)))
    steps = ints(steps) if steps is not None else [1] * len(starts)
    key = [builtins.slice(None)] * x.rank
    for s, e, a, st in zip(starts, ends, axes, steps):
        key[axis_of(a, x.rank)] = builtins.slice(s, e, st)
    return ops.getitem(x, tuple(key))


@mapping("Gather", attrs={"axis": 0}, host=(1,))
def gather(n, x, indices):
    # glflow's gather checks its indices on the host, so they arrive there
    a = axis_of(n["axis"], x.rank)
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + x.shape[a], idx)
    return ops.gather(x, idx, axis=a)


@mapping("GatherElements", attrs={"axis": 0}, host=(1,))
def gather_elements(n, x, indices):
    a = axis_of(n["axis"], x.rank)
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + x.shape[a], idx)
    # every output element as one index tuple: the indices on `axis`, the position elsewhere
    grid = list(np.indices(idx.shape))
    grid[a] = idx
    return ops.gather_nd(x, np.stack(grid, axis=-1))


@mapping("GatherND", attrs={"batch_dims": 0}, host=(1,))
def gather_nd(n, x, indices):
    b = n["batch_dims"]
    idx = np.asarray(indices).astype(np.int64)
    k = idx.shape[-1]
    dims = np.array(x.shape[b:b + k])
    idx = np.where(idx < 0, idx + dims, idx)
    if b:  # prefix each index tuple with its batch position
        batch = np.indices(idx.shape[:b])
        batch = np.broadcast_to(np.stack(list(batch), -1)[..., None, :] if idx.ndim > b + 1
                                else np.stack(list(batch), -1), idx.shape[:-1] + (b,))
        idx = np.concatenate([batch, idx], axis=-1)
    return ops.gather_nd(x, idx)


@mapping("Expand", host=(1,))
def expand(n, x, shape):
    shape = ints(shape)
    rank = max(len(shape), x.rank)
    have = [1] * (rank - x.rank) + list(x.shape)
    want = [1] * (rank - len(shape)) + shape
    out = [h if w == 1 else w for h, w in zip(have, want)]
    y = ops.broadcast_to(ops.reshape(x, have), out)
    return ops.identity(y) if y is x else y


@mapping("Tile", host=(1,))
def tile(n, x, repeats):
    return ops.tile(x, ints(repeats))


def _pad_check(n):
    if n["mode"] not in ("constant", "reflect", "edge", "wrap"):
        n.refuse(f"attribute 'mode' = {n['mode']!r}")


@mapping("Pad", attrs={"mode": "constant"}, host=(1, 2, 3), check=_pad_check)
def pad(n, x, pads, value=None, axes=None):
    pads = ints(pads)
    axes = ints(axes) if axes is not None else list(builtins.range(x.rank))
    k = len(axes)
    pairs = [[0, 0] for _ in builtins.range(x.rank)]
    for i, a in enumerate(axes):
        pairs[axis_of(a, x.rank)] = [pads[i], pads[i + k]]
    if any(p < 0 for pair in pairs for p in pair):  # negative pads crop
        key = tuple(builtins.slice(-min(b, 0), d + min(e, 0)) for (b, e), d in zip(pairs, x.shape))
        x = ops.getitem(x, key)
        pairs = [[max(b, 0), max(e, 0)] for b, e in pairs]
    mode = n["mode"]
    if mode == "constant":
        fill = 0 if value is None or np.asarray(value).size == 0 else np.asarray(value).item()
        return ops.pad(x, pairs, constant_values=fill)
    if mode == "reflect":
        return ops.pad(x, pairs, mode="reflect")
    return _index_pad(x, pairs, mode)


def _index_pad(x, pairs, mode):
    """edge and wrap padding as one gather per padded axis (clamped or cyclic positions)."""
    for a, (b, e) in enumerate(pairs):
        if b or e:
            size = x.shape[a]
            pos = np.arange(-b, size + e)
            pos = np.clip(pos, 0, size - 1) if mode == "edge" else pos % size
            x = ops.gather(x, pos, axis=a)
    return x


@mapping("ConstantOfShape", attrs={"value": None}, host=(0,))
def constant_of_shape(n, shape):
    value = n["value"]
    fill = 0.0 if value is None else np.asarray(value).reshape(-1)[0]
    elem = n.output_types[0]
    dtype = types.glflow_dtype(elem) if elem else "float32"
    return ops.fill(ints(shape), fill.item() if hasattr(fill, "item") else fill, dtype)


@mapping("Range", host=(0, 1, 2))
def range_(n, start, limit, delta):
    start, limit, delta = (np.asarray(v).item() for v in (start, limit, delta))
    count = max(int(np.ceil((limit - start) / delta)), 0)
    dtype = "int32" if np.asarray(start).dtype.kind in "iu" else "float32"
    # start + i * delta, as ONNX defines it (not an accumulated sum)
    steps = ops.range(0, count, 1, dtype="float32")
    y = ops.add(ops.mul(steps, float(delta)), float(start))
    return ops.cast(ops.round(y), "int32") if dtype == "int32" else y


@mapping("EyeLike", attrs={"dtype": None, "k": 0})
def eye_like(n, x):
    rows, cols = x.shape
    elem = n["dtype"] if n["dtype"] is not None else n.input_types[0]
    dtype = types.glflow_dtype(elem) if elem else x.dtype
    eye = (np.arange(cols)[None, :] - np.arange(rows)[:, None]) == n["k"]
    return ops.cast(ops.tensor(eye), dtype)


@mapping("DepthToSpace", attrs={"blocksize": None, "mode": "DCR"})
def depth_to_space(n, x):
    b, (N, C, H, W) = n["blocksize"], x.shape
    c = C // (b * b)
    if n["mode"] == "DCR":
        y = ops.transpose(ops.reshape(x, [N, b, b, c, H, W]), [0, 3, 4, 1, 5, 2])
    else:
        y = ops.transpose(ops.reshape(x, [N, c, b, b, H, W]), [0, 1, 4, 2, 5, 3])
    return ops.reshape(y, [N, c, H * b, W * b])


@mapping("SpaceToDepth", attrs={"blocksize": None})
def space_to_depth(n, x):
    b, (N, C, H, W) = n["blocksize"], x.shape
    y = ops.transpose(ops.reshape(x, [N, C, H // b, b, W // b, b]), [0, 3, 5, 1, 2, 4])
    return ops.reshape(y, [N, C * b * b, H // b, W // b])


@mapping("Trilu", attrs={"upper": 1}, host=(1,))
def trilu(n, x, k=None):
    k = 0 if k is None else int(np.asarray(k).item())
    rows, cols = x.shape[-2:]
    diff = np.arange(cols)[None, :] - np.arange(rows)[:, None]
    keep = diff >= k if n["upper"] else diff <= k
    return ops.where(ops.tensor(keep), x, ops.zeros_like(x))


@mapping("OneHot", attrs={"axis": -1}, host=(0, 1, 2))
def one_hot(n, indices, depth, values):
    # indices on the host: negative ones count from the end (ONNX), unlike gf.one_hot
    depth = int(np.asarray(depth).reshape(-1)[0])
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + depth, idx)
    off, on = np.asarray(values).reshape(-1)[:2]
    elem = n.output_types[0]
    dtype = types.glflow_dtype(elem) if elem else "float32"
    y = ops.one_hot(idx.astype(np.int32), depth, on_value=on.item(), off_value=off.item(),
                    dtype=dtype)
    rank = idx.ndim + 1
    a = axis_of(n["axis"], rank)
    if a != rank - 1:
        perm = list(builtins.range(rank - 1))
        perm.insert(a, rank - 1)
        y = ops.transpose(y, perm)
    return y


@mapping("Dropout", attrs={"seed": None, "ratio": 0.5}, host=(1, 2))
def dropout(n, x, ratio=None, training=None):
    if training is not None and bool(np.asarray(training).item()):
        ratio = 0.5 if ratio is None else float(np.asarray(ratio).item())
        if ratio > 0:
            raise NotImplementedError(f"onnx: Dropout node {n.name!r}: training_mode=True is "
                                      "not supported by glflow (inference only)")
    y = ops.identity(x)
    if n.n_outputs > 1:
        return y, ops.fill(list(x.shape), True, "bool")
    return y


@mapping("CumSum", attrs={"exclusive": 0, "reverse": 0}, host=(1,))
def cumsum(n, x, axis):
    a = axis_of(int(np.asarray(axis).item()), x.rank)
    return ops.cumsum(x, a, exclusive=bool(n["exclusive"]), reverse=bool(n["reverse"]))


@mapping("CumProd", attrs={"exclusive": 0, "reverse": 0}, host=(1,))
def cumprod(n, x, axis):
    a = axis_of(int(np.asarray(axis).item()), x.rank)
    return ops.cumprod(x, a, exclusive=bool(n["exclusive"]), reverse=bool(n["reverse"]))


def _scatter_check(n):
    if n.attrs.get("reduction", "none") not in ("none", "add"):
        n.refuse(f"attribute 'reduction' = {n['reduction']!r}")


def _scatter(n, data, idx, updates):
    """data with updates written (reduction 'none') or added ('add') at the index tuples."""
    added = ops.scatter_nd(idx, ops.cast(updates, "float32"), list(data.shape))
    base = ops.cast(data, "float32")
    if n.attrs.get("reduction", "none") == "none":
        hit = ops.scatter_nd(idx, ops.ones(list(updates.shape)), list(data.shape))
        base = ops.where(ops.greater(hit, 0.0), 0.0, base)
    y = ops.add(base, added)
    return ops.cast(y, data.dtype) if data.dtype != "float32" else y


@mapping("ScatterND", attrs={"reduction": "none"}, host=(1,), check=_scatter_check)
def scatter_nd(n, data, indices, updates):
    idx = np.asarray(indices).astype(np.int64)
    k = idx.shape[-1]
    idx = np.where(idx < 0, idx + np.array(data.shape[:k]), idx)
    return _scatter(n, data, idx, updates)


@mapping("ScatterElements", "Scatter", attrs={"axis": 0, "reduction": "none"}, host=(1,),
         check=_scatter_check)
def scatter_elements(n, data, indices, updates):
    a = axis_of(n["axis"], data.rank)
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + data.shape[a], idx)
    grid = list(np.indices(idx.shape))
    grid[a] = idx
    return _scatter(n, data, np.stack(grid, axis=-1), updates)


@mapping("Compress", attrs={"axis": None}, host=(1,))
def compress(n, x, condition):
    # the output's size depends on the condition's values, so they are needed on the host
    keep = np.nonzero(np.asarray(condition).reshape(-1))[0]
    if n["axis"] is None:
        return ops.gather(ops.reshape(x, [-1]), keep[keep < x.size])
    a = axis_of(n["axis"], x.rank)
    return ops.gather(x, keep[keep < x.shape[a]], axis=a)


@mapping("BitShift", attrs={"direction": None})
def bit_shift(n, x, y):
    # unsigned shifts as exact int32 arithmetic: x * 2**y or floor(x / 2**y)
    power = ops.cast(ops.pow(2.0, ops.cast(y, "float32")), "int32")
    if n["direction"] == "LEFT":
        return ops.mul(x, power)
    return ops.floor_div(x, power)


@mapping("NonZero", host=(0,))
def non_zero(n, x):
    # the output's size is the number of nonzero values: it needs them on the host
    return ops.tensor(np.stack(np.nonzero(np.asarray(x))).astype(np.int32).reshape(x.ndim, -1))


@mapping("ReverseSequence", attrs={"batch_axis": 1, "time_axis": 0}, host=(1,))
def reverse_sequence(n, x, lengths):
    t, b = n["time_axis"], n["batch_axis"]
    idx = np.indices(x.shape)
    steps = idx[t]
    length = np.asarray(lengths).reshape(-1)[idx[b]]
    idx[t] = np.where(steps < length, length - 1 - steps, steps)
    return ops.gather_nd(x, np.moveaxis(idx, 0, -1))


@mapping("TensorScatter", attrs={"axis": -2, "mode": "linear"}, host=(2,))
def tensor_scatter(n, cache, update, write=None):
    """A KV-cache write: update's positions along `axis` go to the cache from each batch
    entry's write index on (modulo the cache length in circular mode). The positions are
    index tuples made on the host from the write indices."""
    a = axis_of(n["axis"], cache.rank)
    length = cache.shape[a]
    starts = np.zeros(cache.shape[0], np.int64) if write is None else \
        np.asarray(write).astype(np.int64).reshape(-1)
    grid = list(np.indices(update.shape))
    grid[a] = grid[a] + starts[grid[0]]
    if n["mode"] == "circular":
        grid[a] %= length
    return _scatter(n, cache, np.stack(grid, axis=-1), update)
