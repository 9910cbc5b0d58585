"""Reductions over any axes with keepdims. The reduced axes are made one contiguous block
(transposing if needed), then a backend kernel combines the middle axis of [outer, R, inner]."""

__all__ = ["sum", "mean"]
TENSOR_METHODS = ["sum", "mean"]
from .. import dtypes, engine, kernels
from . import _core

kernels.register("reduce_sum", "reduce")


def _plan(op, x, axis):
    axes = _core.normalize_axes(op, axis, x.rank)
    if axes and axes != tuple(range(axes[0], axes[-1] + 1)):
        from .shape import transpose
        kept = [d for d in range(x.rank) if d not in axes]
        x = transpose(x, kept + list(axes))
        axes = tuple(range(len(kept), x.rank))
    return x, axes


def _kept_shape(shape, axes):
    return tuple(1 if d in axes else n for d, n in enumerate(shape))


def reduce(op, kernel, x, axis, keepdims, out_dtype, empty_value):
    """Run a reduce kernel over `axis`; returns (result, axes in x's original order)."""
    original_axes = _core.normalize_axes(op, axis, x.rank)
    original_shape = x._shape
    x, axes = _plan(op, x, axis)
    shape = x._shape
    out_shape = (_kept_shape(original_shape, original_axes) if keepdims else
                 tuple(n for d, n in enumerate(original_shape) if d not in original_axes))
    if not axes:
        from .shape import cast
        return cast(x, out_dtype) if x.dtype != out_dtype else x._with_shape(out_shape)
    lo, hi = axes[0], axes[-1]
    outer = _core.size_of(shape[:lo])
    length = _core.size_of(shape[lo:hi + 1])
    inner = _core.size_of(shape[hi + 1:])
    if outer * inner == 0:
        from .elementwise import fill
        return fill(out_shape, 0, out_dtype)
    if length == 0:
        if empty_value is None:
            raise ValueError(f"{op}: cannot reduce over an empty axis of shape {list(original_shape)}")
        from .elementwise import fill
        return fill(out_shape, empty_value, out_dtype)
    b = engine.backend()
    handle = b.reduce(kernel, _core.data_on(x, b), outer, length, inner, out_dtype)
    return engine.wrap(handle, out_shape, out_dtype, b)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - public name follows tfjs
    """Sum over `axis` (None: all axes). int32/bool sum to int32, floats to float32."""
    (x,) = _core.tensors("sum", x)
    out_dtype = dtypes.FLOAT32 if x.dtype == dtypes.FLOAT32 else dtypes.INT32
    y = reduce("sum", "reduce_sum", x, axis, keepdims, out_dtype, 0)
    axes = _core.normalize_axes("sum", axis, x.rank)
    return engine.record("sum", [x], y, lambda dy: (broadcast_back(dy, x._shape, axes),))


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (None: all axes), always float32."""
    (x,) = _core.tensors("mean", x)
    from .elementwise import mul
    from .shape import cast
    axes = _core.normalize_axes("mean", axis, x.rank)
    count = _core.size_of([x._shape[a] for a in axes])
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty axis of shape {list(x._shape)}")
    return mul(sum(cast(x, dtypes.FLOAT32), axis, keepdims), 1.0 / count)


def broadcast_back(dy, shape, axes):
    """Gradient of a reduction: dy (reduced over axes) broadcast back to `shape`."""
    from .shape import broadcast_to, reshape
    return broadcast_to(reshape(dy, _kept_shape(shape, axes)), shape)


def sum_to_shape(dy, shape):
    """Undo broadcasting in a gradient: sum dy over the axes that broadcasting expanded."""
    shape = tuple(shape)
    if tuple(dy._shape) == shape:
        return dy
    from .shape import reshape
    lead = dy.rank - len(shape)
    axes = [d for d in range(dy.rank) if d < lead or (shape[d - lead] == 1 and dy._shape[d] != 1)]
    return reshape(sum(dy, axes, keepdims=False), shape) if axes else reshape(dy, shape)
