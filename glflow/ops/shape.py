"""Shape and data movement ops. Reshape shares storage (free); transpose, slicing and
broadcast_to read the input through a strided view in one `identity` pass."""

__all__ = ["reshape", "flatten", "transpose", "broadcast_to", "expand_dims", "squeeze", "cast", "getitem"]
TENSOR_METHODS = ["reshape", "flatten", "transpose", "broadcast_to", "expand_dims", "squeeze"]
import numbers

from .. import dtypes, engine, kernels
from ..backends.views import StridedView, contiguous_strides
from . import _core

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


def _view_copy(op, x, view):
    """Materialise a strided view of x as a new contiguous tensor (one identity pass)."""
    return _core.elementwise(op, _core.call("identity", 1), [x], view.shape, x.dtype,
                             views=[view])


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
    y = _view_copy("transpose", x, view)
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
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x._shape[a]}, not 1")
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


def getitem(x, key):
    """Basic numpy indexing: ints, slices (any step), None and Ellipsis, as one strided view."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is Ellipsis for k in key):
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        fill = x.rank - (len(key) - 1 - sum(1 for k in key if k is None))
        key = key[:i] + (slice(None),) * fill + key[i + 1:]
    strides = contiguous_strides(x._shape)
    shape, out_strides, offset, dim = [], [], 0, 0
    for k in key:
        if k is None:
            shape.append(1)
            out_strides.append(0)
            continue
        if dim >= x.rank:
            raise IndexError(f"getitem: too many indices for a tensor of shape {x.shape}")
        n = x._shape[dim]
        if isinstance(k, numbers.Integral) and not isinstance(k, bool):
            if not -n <= k < n:
                raise IndexError(f"getitem: index {k} out of range for axis {dim} of size {n}")
            offset += (k % n) * strides[dim]
        elif isinstance(k, slice):
            start, stop, step = k.indices(n)
            count = len(range(start, stop, step))
            shape.append(count)
            out_strides.append(strides[dim] * step)
            offset += start * strides[dim] if count else 0
        else:
            raise TypeError(f"getitem: unsupported index {k!r}; use ints, slices, None or ..., "
                            "or gf.gather for index tensors")
        dim += 1
    for d in range(dim, x.rank):
        shape.append(x._shape[d])
        out_strides.append(strides[d])
    view = StridedView(shape, out_strides, offset)
    y = _view_copy("getitem", x, view)

    def grad(dy):
        raise NotImplementedError("getitem: gradient arrives with the slice ops of the op library")
    return engine.record("getitem", [x], y, grad)
