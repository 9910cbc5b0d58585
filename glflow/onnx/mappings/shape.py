"""Shape and movement ops: reshape, transpose, slicing, joining, padding, the generators
(ConstantOfShape, Range, EyeLike), cumulative sums. Shapes, bounds and counts arrive as host
numpy arrays (`host=`), computed from shapes at call time or constant. (Gathers and scatters:
indexing.py.)"""
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
