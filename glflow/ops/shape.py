"""Shape ops: reshape shares storage (free); transpose and broadcast_to read the input through a
strided or broadcast view in one `identity` pass; tile, space_to_depth and depth_to_space are
compositions of those; cast converts dtypes (shaders/shape/cast_int.glsl, cast_bool.glsl).
(Slicing: slicing.py; joining: joining.py; padding: padding.py; indices: indexing.py.)"""
import numbers

from ..runtime import dtypes
from ..runtime.registry import INJECTIVE
from ..runtime.views import StridedView, contiguous_strides
from . import _core
from ._elementwise import primitive
from ._primitive import Primitive

__all__ = ["reshape", "flatten", "transpose", "broadcast_to", "expand_dims", "squeeze", "cast",
           "tile", "space_to_depth", "depth_to_space"]
TENSOR_METHODS = ["reshape", "flatten", "transpose", "broadcast_to", "expand_dims", "squeeze",
                  "cast", "tile"]

RESHAPE = Primitive("reshape", pattern=INJECTIVE, alias=True,
                    grad=lambda call, dy: (reshape(dy, call.inputs[0]._shape),))
# transpose reads x through a permuted StridedView (attrs: views, perm)
TRANSPOSE = Primitive("transpose", pattern=INJECTIVE, kernel="identity",
                      grad=lambda call, dy: (transpose(dy, _inverse(call.attrs["perm"])),))
# broadcast_to reads x broadcast to the output shape; the tape sums the gradient back
BROADCAST_TO = Primitive("broadcast_to", pattern=INJECTIVE, kernel="identity", unbroadcast=True,
                         grad=lambda call, dy: (dy,))
CAST_INT = primitive("cast_int", "shape")
CAST_BOOL = primitive("cast_bool", "shape")
CAST_FLOAT = Primitive("cast_float", kernel="identity")  # int32/bool -> float32: the same bits


def reshape(x, shape):
    """Same values, new shape (one dimension may be -1). Free: the storage is shared."""
    (x,) = _core.tensors("reshape", x)
    shape = _infer_shape(x, shape)
    if shape == x._shape:
        return x
    return RESHAPE.run((x,), shape, x._dtype)


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


def _inverse(perm):
    return tuple(perm.index(d) for d in range(len(perm)))


def transpose(x, perm=None):
    """Permute dimensions (default: reverse them)."""
    (x,) = _core.tensors("transpose", x)
    rank = x.rank
    perm = list(range(rank))[::-1] if perm is None else [int(p) for p in perm]
    if sorted(p % rank if rank else p for p in perm) != list(range(rank)) or len(perm) != rank:
        raise ValueError(f"transpose: perm {perm} is not a permutation of the {rank} axes "
                         f"of a tensor of shape {x.shape}")
    perm = tuple(p % rank for p in perm)
    if perm == tuple(range(rank)):
        return x
    strides = contiguous_strides(x._shape)
    view = StridedView.make([x._shape[p] for p in perm], [strides[p] for p in perm])
    return TRANSPOSE.run((x,), view.shape, x._dtype, {"views": (view,), "perm": perm})


def broadcast_to(x, shape):
    """Repeat x along broadcast dimensions to `shape` (numpy rules)."""
    (x,) = _core.tensors("broadcast_to", x)
    shape = _core.check_shape(shape, "broadcast_to")
    out = _core.broadcast_shapes("broadcast_to", x._shape, shape, names=("x", "shape"))
    if out != shape:
        raise ValueError(f"broadcast_to: cannot broadcast x of shape {x.shape} to {list(shape)}")
    if shape == x._shape:
        return x
    _core.check_size("broadcast_to", shape)
    return BROADCAST_TO.run((x,), shape, x._dtype)


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
    """Convert to another dtype: float -> int truncates toward zero, nonzero -> True. Not
    differentiable (a float -> float cast returns x itself)."""
    (x,) = _core.tensors("cast", x)
    dtype = dtypes.normalize(dtype, "cast")
    if dtype == x._dtype:
        return x
    if dtype == dtypes.INT32 and x._dtype == dtypes.FLOAT32:
        prim = CAST_INT
    elif dtype == dtypes.BOOL:
        prim = CAST_BOOL
    else:
        prim = CAST_FLOAT
    return prim.run((x,), x._shape, dtype)


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
    """x repeated reps[d] times along each axis d (len(reps) == rank): x as [1, n0, 1, n1, ...]
    broadcast to [r0, n0, r1, n1, ...] in one pass, then reshaped to [r0 * n0, ...]."""
    (x,) = _core.tensors("tile", x)
    reps = int_list("tile", "reps", reps)
    if len(reps) != x.rank:
        raise ValueError(f"tile: reps {reps} must have one entry per axis of x {x.shape}")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps {reps} must not be negative")
    if all(r == 1 for r in reps):
        return x
    spread = [d for n in x._shape for d in (1, n)]
    repeated = [d for r, n in zip(reps, x._shape) for d in (r, n)]
    return reshape(broadcast_to(reshape(x, spread), repeated),
                   [r * n for r, n in zip(reps, x._shape)])


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
