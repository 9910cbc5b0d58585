"""Shape ops. Reshape shares storage (free); transpose, broadcast_to, tile, space_to_depth and
depth_to_space read the input through one strided view in one `identity` pass.
(Slicing: slicing.py; joining: joining.py; padding: padding.py; indices: indexing.py.)"""

__all__ = ["reshape", "flatten", "transpose", "broadcast_to", "expand_dims", "squeeze", "cast",
           "tile", "space_to_depth", "depth_to_space"]
TENSOR_METHODS = ["reshape", "flatten", "transpose", "broadcast_to", "expand_dims", "squeeze",
                  "tile"]
import numbers

from .. import dtypes, engine, kernels
from ..backends.views import StridedView, contiguous_strides
from . import _core
from ._movement import view_copy

kernels.register("cast_int", "unary", differentiable=False)
kernels.register("cast_bool", "unary", differentiable=False)


def reshape(x, shape):
    """Same values, new shape (one dimension may be -1). Free: the storage is shared."""
    (x,) = _core.tensors("reshape", x)
    shape = _infer_shape(x, shape)
    if shape == x._shape:
        return x
    y = x._with_shape(shape)
    return engine.record("reshape", [x], y, lambda dy: (reshape(dy, x._shape),))


def _infer_shape(x, shape):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    shape = list(shape)
    if sum(1 for d in shape if d == -1) > 1:
        raise ValueError(f"reshape: at most one -1 in shape {shape}")
    known = _core.size_of([d for d in shape if d != -1])
    if -1 in shape:
        if known == 0 or x.size % known:
            raise ValueError(f"reshape: cannot reshape tensor of shape {x.shape} "
                             f"({x.size} elements) into {shape}")
        shape[shape.index(-1)] = x.size // known
    shape = _core.check_shape(shape, "reshape")
    if _core.size_of(shape) != x.size:
        raise ValueError(f"reshape: cannot reshape tensor of shape {x.shape} ({x.size} elements) "
                         f"into {list(shape)} ({_core.size_of(shape)} elements)")
    return shape


def flatten(x):
    return reshape(x, [-1])


def transpose(x, perm=None):
    """Permute dimensions (default: reverse them)."""
    (x,) = _core.tensors("transpose", x)
    rank = x.rank
    perm = list(range(rank))[::-1] if perm is None else [int(p) for p in perm]
    if sorted(p % rank if rank else p for p in perm) != list(range(rank)) or len(perm) != rank:
        raise ValueError(f"transpose: perm {perm} is not a permutation of the {rank} axes "
                         f"of a tensor of shape {x.shape}")
    perm = [p % rank for p in perm]
    if perm == list(range(rank)):
        return x
    strides = contiguous_strides(x._shape)
    view = StridedView([x._shape[p] for p in perm], [strides[p] for p in perm])
    y = view_copy("transpose", x, view)
    inverse = [perm.index(d) for d in range(rank)]
    return engine.record("transpose", [x], y, lambda dy: (transpose(dy, inverse),))


def broadcast_to(x, shape):
    """Repeat x along broadcast dimensions to `shape` (numpy rules)."""
    (x,) = _core.tensors("broadcast_to", x)
    shape = _core.check_shape(shape, "broadcast_to")
    out = _core.broadcast_shapes("broadcast_to", x._shape, shape, names=("x", "shape"))
    if out != shape:
        raise ValueError(f"broadcast_to: cannot broadcast x of shape {x.shape} to {list(shape)}")
    if shape == x._shape:
        return x
    y = _core.elementwise("broadcast_to", _core.call("identity", 1), [x], shape, x.dtype)
    from .reduction import sum_to_shape
    return engine.record("broadcast_to", [x], y, lambda dy: (sum_to_shape(dy, x._shape),))


def expand_dims(x, axis=0):
    (x,) = _core.tensors("expand_dims", x)
    rank = x.rank + 1
    if not -rank <= axis < rank:
        raise ValueError(f"expand_dims: axis {axis} out of range for result rank {rank}")
    axis %= rank
    return reshape(x, x._shape[:axis] + (1,) + x._shape[axis:])


def squeeze(x, axis=None):
    (x,) = _core.tensors("squeeze", x)
    if axis is None:
        axes = [d for d, n in enumerate(x._shape) if n == 1]
    else:
        axes = _core.normalize_axes("squeeze", axis, x.rank)
        for a in axes:
            if x._shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size "
                                 f"{x._shape[a]}, not 1")
    return reshape(x, [n for d, n in enumerate(x._shape) if d not in axes])


def cast(x, dtype):
    """Convert to another dtype: float -> int truncates toward zero, nonzero -> True."""
    (x,) = _core.tensors("cast", x)
    dtype = dtypes.normalize(dtype, "cast")
    if dtype == x.dtype:
        return x
    if dtype == dtypes.INT32 and x.dtype == dtypes.FLOAT32:
        kernel = "cast_int"
    elif dtype == dtypes.BOOL:
        kernel = "cast_bool"
    else:
        kernel = "identity"
    y = _core.elementwise("cast", _core.call(kernel, 1), [x], x._shape, dtype)
    if dtype == dtypes.FLOAT32 and x.dtype == dtypes.FLOAT32:
        return y
    return engine.record("cast", [x], y, None)


def int_list(op, name, values, length=None):
    """A sequence of Python ints (an int alone is a list of one), else a clear TypeError."""
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        values = [values]
    try:
        values = list(values)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a sequence of ints, "
                        f"got {values!r}") from None
    for v in values:
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{op}: {name} must hold ints, got {v!r} in {values!r}")
    if length is not None and len(values) != length:
        raise ValueError(f"{op}: {name} has {len(values)} entries, expected {length}")
    return [int(v) for v in values]


def tile(x, reps):
    """x repeated reps[d] times along each axis d (len(reps) == rank). One pass: the repeats
    are extra axes of stride 0 in a strided view, [r0, n0, r1, n1, ...] -> [r0 * n0, ...]."""
    (x,) = _core.tensors("tile", x)
    reps = int_list("tile", "reps", reps)
    if len(reps) != x.rank:
        raise ValueError(f"tile: reps {reps} must have one entry per axis of x {x.shape}")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps {reps} must not be negative")
    if all(r == 1 for r in reps):
        return x
    strides = contiguous_strides(x._shape)
    shape = [d for r, n in zip(reps, x._shape) for d in (r, n)]
    view = StridedView(shape, [d for s in strides for d in (0, s)])
    y = view_copy("tile", x, view)._with_shape([r * n for r, n in zip(reps, x._shape)])

    def grad(dy):
        from .reduction import sum
        return (sum(reshape(dy, shape), axis=list(range(0, len(shape), 2))),)
    return engine.record("tile", [x], y, grad)


def _check_nhwc(op, x, block_size):
    if not isinstance(block_size, numbers.Integral) or isinstance(block_size, bool):
        raise TypeError(f"{op}: block_size must be an int, got {block_size!r}")
    if block_size < 2:
        raise ValueError(f"{op}: block_size must be >= 2, got {block_size}")
    if x.rank != 4:
        raise ValueError(f"{op}: x must be rank 4 (NHWC), got shape {x.shape}")


def space_to_depth(x, block_size):
    """NHWC: each block_size x block_size spatial block becomes block_size**2 * C channels
    (TensorFlow order). A reshape-transpose-reshape: one strided pass."""
    (x,) = _core.tensors("space_to_depth", x)
    _check_nhwc("space_to_depth", x, block_size)
    n, h, w, c = x._shape
    b = int(block_size)
    if h % b or w % b:
        raise ValueError(f"space_to_depth: height {h} and width {w} of x {x.shape} must be "
                         f"divisible by block_size {b}")
    y = transpose(reshape(x, [n, h // b, b, w // b, b, c]), [0, 1, 3, 2, 4, 5])
    return reshape(y, [n, h // b, w // b, b * b * c])


def depth_to_space(x, block_size):
    """NHWC inverse of space_to_depth: channels C = block_size**2 * C' spread into blocks."""
    (x,) = _core.tensors("depth_to_space", x)
    _check_nhwc("depth_to_space", x, block_size)
    n, h, w, c = x._shape
    b = int(block_size)
    if c % (b * b):
        raise ValueError(f"depth_to_space: channels {c} of x {x.shape} must be divisible by "
                         f"block_size**2 = {b * b}")
    y = transpose(reshape(x, [n, h, w, b, b, c // (b * b)]), [0, 1, 3, 2, 4, 5])
    return reshape(y, [n, h * b, w * b, c // (b * b)])
