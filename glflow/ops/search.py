"""Search ops: argmax, argmin (int32 indices, first occurrence) and top_k.

GL: argmax/argmin are (value, index) pair reductions (shaders/search/argmax.glsl, argmin.glsl
in shaders/templates/pair_reduce.frag); top_k selects or ranks in shaders/top_k.frag. numpy
twins: glflow/backends/numpy/search.py. nan counts as the largest value for argmax and top_k and as the
smallest for argmin (numpy's argmax/argmin return the first nan).
"""
import numbers

from ..runtime import dtypes, state
from ..runtime.registry import OPAQUE, REDUCE
from . import _core
from ._primitive import Primitive
from .creation import fill
from .indexing import gather
from .reduction import reduced_shape, reduced_view

__all__ = ["argmax", "argmin", "top_k"]
TENSOR_METHODS = ["argmax", "argmin", "top_k"]

# attrs: outer, length, inner of the searched [outer, length, inner] view
ARGMAX = Primitive("argmax", "search", REDUCE)
ARGMIN = Primitive("argmin", "search", REDUCE)
TOP_K = Primitive("top_k", "search", OPAQUE)  # indices only; the values are a gather


def _check_index_range(op, length):
    """Indices are stored int32 values: on GL float32 texels, exact up to 2**24."""
    limit = state.backend().limit("exact_int")
    if limit is not None and length > limit:
        raise ValueError(f"{op}: the axis has {length} elements; the {state.current_name} "
                         f"backend returns indices exactly only up to {limit}")


def _arg(prim, x, axis, keepdims):
    op = prim.name
    (x,) = _core.tensors(op, x)
    if axis is not None and (not isinstance(axis, numbers.Integral) or isinstance(axis, bool)):
        raise TypeError(f"{op}: axis must be one int or None (all elements), got {axis!r}")
    axes = _core.normalize_axes(op, axis, x.rank)
    out_shape = reduced_shape(x._shape, axes, keepdims)
    length = _core.size_of([x._shape[a] for a in axes])
    if length == 0:
        raise ValueError(f"{op}: cannot search an empty axis (axis {axis!r} of shape "
                         f"{list(x._shape)})")
    _check_index_range(op, length)
    if not axes or x.size == 0:
        return fill(out_shape, 0, dtypes.INT32)
    view, outer, length, inner = reduced_view(x, axes)
    return prim.run((view,), out_shape, dtypes.INT32,
                    {"outer": outer, "length": length, "inner": inner})


def argmax(x, axis=None, keepdims=False):
    """int32 index of the largest element along `axis` (None: of the flattened tensor); the
    first one on ties, the first nan if there is one. Not differentiable."""
    return _arg(ARGMAX, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """int32 index of the smallest element along `axis` (None: of the flattened tensor); the
    first one on ties, the first nan if there is one. Not differentiable."""
    return _arg(ARGMIN, x, axis, keepdims)


def top_k(x, k=1, sorted=True):  # noqa: A002 - tfjs/TensorFlow argument name
    """The k largest elements of each line of the last axis and their int32 indices, largest
    first (sorted=False returns the same order, which is one of the allowed ones). nan counts
    as the largest value; equal values come by lower index. values is differentiable: it is
    a gather of x at the indices, whose gradient scatters dy back to those positions; the
    indices are not. GL cost per line: selection, ~length * k*k/8 compares, for small k; a
    ranking pass, ~length**2 compares, for large k (glflow/backends/gl/search.py)."""
    op = "top_k"
    (x,) = _core.tensors(op, x)
    if x.rank == 0:
        raise ValueError(f"{op}: x must have rank >= 1, got a scalar (shape [])")
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"{op}: k must be an int, got {k!r}")
    if not isinstance(sorted, bool):
        raise TypeError(f"{op}: sorted must be True or False, got {sorted!r}")
    length = x._shape[-1]
    if not 0 <= k <= length:
        raise ValueError(f"{op}: k = {k} must be in [0, {length}], the length of the last "
                         f"axis of x with shape {x.shape}")
    _check_index_range(op, length)
    out_shape = x._shape[:-1] + (int(k),)
    if _core.size_of(out_shape) == 0:
        return fill(out_shape, 0, x.dtype), fill(out_shape, 0, dtypes.INT32)
    indices = TOP_K.run((x,), out_shape, dtypes.INT32, {"k": int(k)})
    values = gather(x, indices, axis=-1, batch_dims=x.rank - 1)
    return values, indices
