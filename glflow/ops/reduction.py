"""Reductions over any axes with keepdims. The reduced axes are made one contiguous block
(transposing if needed), then a kernel combines the middle axis of an [outer, length, inner]
view (shaders/reduction/<kernel>.glsl in shaders/templates/reduce.frag; numpy twins in
glflow/backends/numpy/reduction.py). `sum_to_shape` undoes broadcasting in gradients.

Empty axes behave like numpy: sum -> 0, prod -> 1, any -> False, all -> True; max/min of an
empty axis have no value and raise. max/min propagate nan like numpy.max.
"""
from ..runtime import dtypes
from ..runtime.registry import REDUCE
from . import _core
from ._primitive import Primitive
from .arithmetic import div, mul
from .creation import fill
from .logic import equal
from .scan import cumprod
from .shape import broadcast_to, cast, reshape, transpose

__all__ = ["sum", "mean", "prod", "max", "min", "any", "all"]
TENSOR_METHODS = ["sum", "mean", "prod", "max", "min", "any", "all"]


def _frame(call):
    a = call.attrs
    return a["outer"], a["length"], a["inner"]


def broadcast_back(dy, call):
    """A reduction's dy (one value per [outer, inner] line) broadcast back to its input."""
    outer, length, inner = _frame(call)
    lines = broadcast_to(reshape(dy, [outer, 1, inner]), [outer, length, inner])
    return reshape(lines, call.inputs[0]._shape)


def _prod_grad(call, dy):
    """dy * (product of the other elements), from exclusive cumulative products on both sides,
    so it is exact where x has zeros (no division by x)."""
    x = call.inputs[0]
    if x.size == 0:
        return (None,)
    outer, length, inner = _frame(call)
    rows = transpose(reshape(x, [outer, length, inner]), [0, 2, 1])
    others = mul(cumprod(rows, axis=2, exclusive=True),
                 cumprod(rows, axis=2, exclusive=True, reverse=True))
    others = reshape(transpose(others, [0, 2, 1]), x._shape)
    return (mul(broadcast_back(dy, call), others),)


def _extreme_grad(call, dy):
    """Ties (as TensorFlow): dy is split evenly between the positions equal to the extreme, so
    the gradient still sums to dy; where the extreme is nan it is nan."""
    x = call.inputs[0]
    outer, length, inner = _frame(call)
    hits = cast(equal(x, broadcast_back(call.output, call)), dtypes.FLOAT32)
    count = reduce(REDUCE_SUM, reshape(hits, [outer, length, inner]), (1,), True,
                   dtypes.FLOAT32, 0)
    share = div(reshape(hits, [outer, length, inner]), count)
    return (mul(broadcast_back(dy, call), reshape(share, x._shape)),)


REDUCE_SUM = Primitive("reduce_sum", "reduction", REDUCE,
                       grad=lambda call, dy: (broadcast_back(dy, call),))
REDUCE_PROD = Primitive("reduce_prod", "reduction", REDUCE, grad=_prod_grad)
REDUCE_MAX = Primitive("reduce_max", "reduction", REDUCE, grad=_extreme_grad)
REDUCE_MIN = Primitive("reduce_min", "reduction", REDUCE, grad=_extreme_grad)
REDUCE_ANY = Primitive("reduce_any", "reduction", REDUCE)
REDUCE_ALL = Primitive("reduce_all", "reduction", REDUCE)


def _contiguous(x, axes):
    """x with the reduced axes moved to one contiguous block (a transpose when they are not)."""
    if axes and axes != tuple(range(axes[0], axes[-1] + 1)):
        kept = [d for d in range(x.rank) if d not in axes]
        x = transpose(x, kept + list(axes))
        axes = tuple(range(len(kept), x.rank))
    return x, axes


def reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def reduced_view(x, axes):
    """x with the reduced (normalised) axes made contiguous, and (outer, length, inner) of
    that view."""
    x, axes = _contiguous(x, axes)
    if not axes:
        return x, _core.size_of(x._shape), 1, 1
    lo, hi = axes[0], axes[-1]
    shape = x._shape
    return (x, _core.size_of(shape[:lo]), _core.size_of(shape[lo:hi + 1]),
            _core.size_of(shape[hi + 1:]))


def reduce(prim, x, axes, keepdims, out_dtype, empty_value):
    """Run a reduce primitive over `axes`, already normalised by the caller. empty_value: the
    result over an empty axis (the kernel's identity), or None when there is none (max/min),
    which raises like numpy."""
    op = prim.name[len("reduce_"):]
    out_shape = reduced_shape(x._shape, axes, keepdims)
    if not axes:
        return cast(x, out_dtype) if x._dtype != out_dtype else reshape(x, out_shape)
    length = _core.size_of([x._shape[a] for a in axes])
    if length == 0 and empty_value is None:
        raise ValueError(f"{op}: cannot reduce over an empty axis (axes {list(axes)} of shape "
                         f"{list(x._shape)}): the result has no identity value")
    if length == 0 or x.size == 0:
        return fill(out_shape, empty_value if empty_value is not None else 0, out_dtype)
    x, outer, length, inner = reduced_view(x, axes)
    return prim.run((x,), out_shape, out_dtype, {"outer": outer, "length": length,
                                                 "inner": inner})


def _numeric_dtype(x):
    """Arithmetic reductions: floats stay float32, int32/bool accumulate as int32."""
    return dtypes.FLOAT32 if x._dtype == dtypes.FLOAT32 else dtypes.INT32


def sum(x, axis=None, keepdims=False):  # noqa: A001 - public name follows TF.js
    """Sum over `axis` (None: all axes). int32/bool sum to int32, floats to float32."""
    (x,) = _core.tensors("sum", x)
    return reduce(REDUCE_SUM, x, _core.normalize_axes("sum", axis, x.rank), keepdims,
                  _numeric_dtype(x), 0)


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (None: all axes), always float32."""
    (x,) = _core.tensors("mean", x)
    axes = _core.normalize_axes("mean", axis, x.rank)
    count = _core.size_of([x._shape[a] for a in axes])
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty axis of shape {list(x._shape)}")
    total = reduce(REDUCE_SUM, cast(x, dtypes.FLOAT32), axes, keepdims, dtypes.FLOAT32, 0)
    return mul(total, 1.0 / count)


def prod(x, axis=None, keepdims=False):
    """Product over `axis` (None: all axes); 1 over an empty axis. int32/bool give int32 (on
    GL exact while |product| <= 2**24, the float32 storage limit, as for sum)."""
    (x,) = _core.tensors("prod", x)
    return reduce(REDUCE_PROD, x, _core.normalize_axes("prod", axis, x.rank), keepdims,
                  _numeric_dtype(x), 1)


def max(x, axis=None, keepdims=False):  # noqa: A001 - public name follows TF.js
    """Largest element over `axis` (None: all axes); nan if the slice holds a nan; an empty
    axis raises. Gradient tie rule (as TensorFlow): dy is split evenly between the positions
    equal to the max, so the gradient still sums to dy; where the max is nan it is nan."""
    (x,) = _core.tensors("max", x)
    return reduce(REDUCE_MAX, x, _core.normalize_axes("max", axis, x.rank), keepdims,
                  x._dtype, None)


def min(x, axis=None, keepdims=False):  # noqa: A001 - public name follows TF.js
    """Smallest element over `axis`; same rules as max (nan propagates, ties split dy)."""
    (x,) = _core.tensors("min", x)
    return reduce(REDUCE_MIN, x, _core.normalize_axes("min", axis, x.rank), keepdims,
                  x._dtype, None)


def any(x, axis=None, keepdims=False):  # noqa: A001 - public name follows TF.js
    """True where some element over `axis` is nonzero (nan counts); False over an empty axis."""
    (x,) = _core.tensors("any", x)
    return reduce(REDUCE_ANY, x, _core.normalize_axes("any", axis, x.rank), keepdims,
                  dtypes.BOOL, False)


def all(x, axis=None, keepdims=False):  # noqa: A001 - public name follows TF.js
    """True where every element over `axis` is nonzero (nan counts); True over an empty axis."""
    (x,) = _core.tensors("all", x)
    return reduce(REDUCE_ALL, x, _core.normalize_axes("all", axis, x.rank), keepdims,
                  dtypes.BOOL, True)


def sum_to_shape(dy, shape):
    """Undo broadcasting in a gradient: sum dy over the axes that broadcasting expanded."""
    shape = tuple(shape)
    if dy._shape == shape:
        return dy
    lead = dy.rank - len(shape)
    axes = tuple(d for d in range(dy.rank)
                 if d < lead or (shape[d - lead] == 1 and dy._shape[d] != 1))
    if not axes:
        return reshape(dy, shape)
    return reshape(reduce(REDUCE_SUM, dy, axes, False, _numeric_dtype(dy), 0), shape)
