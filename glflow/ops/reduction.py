"""Reductions over any axes with keepdims. The reduced axes are made one contiguous block
(transposing if needed), then a backend kernel combines the middle axis of [outer, R, inner].

Empty axes behave like numpy: sum -> 0, prod -> 1, any -> False, all -> True; max/min of an
empty axis have no value and raise. max/min propagate nan like numpy.max.
"""

__all__ = ["sum", "mean", "prod", "max", "min", "any", "all"]
TENSOR_METHODS = ["sum", "mean", "prod", "max", "min", "any", "all"]
from .. import dtypes, engine, kernels
from . import _core

kernels.register("reduce_sum", "reduce")
kernels.register("reduce_prod", "reduce")
kernels.register("reduce_max", "reduce")
kernels.register("reduce_min", "reduce")
kernels.register("reduce_any", "reduce", differentiable=False)
kernels.register("reduce_all", "reduce", differentiable=False)


def _plan(x, axes):
    if axes and axes != tuple(range(axes[0], axes[-1] + 1)):
        from .shape import transpose
        kept = [d for d in range(x.rank) if d not in axes]
        x = transpose(x, kept + list(axes))
        axes = tuple(range(len(kept), x.rank))
    return x, axes


def _kept_shape(shape, axes):
    return tuple(1 if d in axes else n for d, n in enumerate(shape))


def reduced_shape(shape, axes, keepdims):
    return (_kept_shape(shape, axes) if keepdims else
            tuple(n for d, n in enumerate(shape) if d not in axes))


def reduced_view(x, axes):
    """x with the reduced (normalised) axes made contiguous, and (outer, length, inner) of
    that view."""
    x, axes = _plan(x, axes)
    if not axes:
        return x, _core.size_of(x._shape), 1, 1
    lo, hi = axes[0], axes[-1]
    shape = x._shape
    return (x, _core.size_of(shape[:lo]), _core.size_of(shape[lo:hi + 1]),
            _core.size_of(shape[hi + 1:]))


def reduce(op, kernel, x, axes, keepdims, out_dtype, empty_value):
    """Run a reduce kernel over `axes`, already normalised by the caller (normalize_axes).
    empty_value: the result over an empty axis (the kernel's identity), or None when there is
    none (max/min), which raises like numpy."""
    out_shape = reduced_shape(x._shape, axes, keepdims)
    if not axes:
        from .shape import cast
        return cast(x, out_dtype) if x.dtype != out_dtype else x._with_shape(out_shape)
    length = _core.size_of([x._shape[a] for a in axes])
    if length == 0 and empty_value is None:
        raise ValueError(f"{op}: cannot reduce over an empty axis (axes {list(axes)} of shape "
                         f"{list(x._shape)}): the result has no identity value")
    if length == 0 or x.size == 0:
        from .elementwise import fill
        return fill(out_shape, empty_value if empty_value is not None else 0, out_dtype)
    x, outer, length, inner = reduced_view(x, axes)
    b = engine.backend()
    handle = b.reduce(kernel, _core.data_on(x, b), outer, length, inner, out_dtype)
    return engine.wrap(handle, out_shape, out_dtype, b)


def launch_reduction(op, kernel, x, axes, keepdims, out_dtype):
    """Run a reduction with a shader of its own (argmax, logsumexp, ...) as a special kernel
    with attrs outer, length, inner; the caller has normalised `axes` and handled empty axes
    and no axes."""
    out_shape = reduced_shape(x._shape, axes, keepdims)
    view, outer, length, inner = reduced_view(x, axes)
    return _core.launch(op, kernel, [view], out_shape, out_dtype, outer=outer, length=length,
                        inner=inner)


def _numeric_dtype(x):
    """Arithmetic reductions: floats stay float32, int32/bool accumulate as int32."""
    return dtypes.FLOAT32 if x.dtype == dtypes.FLOAT32 else dtypes.INT32


def sum(x, axis=None, keepdims=False):  # noqa: A001 - public name follows tfjs
    """Sum over `axis` (None: all axes). int32/bool sum to int32, floats to float32."""
    (x,) = _core.tensors("sum", x)
    return _sum(x, _core.normalize_axes("sum", axis, x.rank), keepdims)


def _sum(x, axes, keepdims):
    """sum over axes the caller has normalised (mean, max/min's gradient): no second pass
    through normalize_axes."""
    y = reduce("sum", "reduce_sum", x, axes, keepdims, _numeric_dtype(x), 0)
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
    return mul(_sum(cast(x, dtypes.FLOAT32), axes, keepdims), 1.0 / count)


def prod(x, axis=None, keepdims=False):
    """Product over `axis` (None: all axes); 1 over an empty axis. int32/bool give int32 (on
    GL exact while |product| <= 2**24, the float32 storage limit, as for sum).
    The gradient is dy * (product of the other elements), from exclusive cumulative products
    on both sides, so it is exact where x has zeros (no division by x)."""
    (x,) = _core.tensors("prod", x)
    axes = _core.normalize_axes("prod", axis, x.rank)
    y = reduce("prod", "reduce_prod", x, axes, keepdims, _numeric_dtype(x), 1)
    return engine.record("prod", [x], y, lambda dy: (_prod_grad(x, axes, dy),))


def _prod_grad(x, axes, dy):
    if x.dtype != dtypes.FLOAT32:
        return None
    from .elementwise import mul
    from .scan import cumprod
    from .shape import reshape, transpose
    if x.size == 0:
        from .creation import zeros_like
        return zeros_like(x)
    kept = [d for d in range(x.rank) if d not in axes]
    perm = kept + list(axes)
    moved = transpose(x, perm)
    rows = reshape(moved, [x._shape[d] for d in kept] + [-1])
    others = mul(cumprod(rows, axis=-1, exclusive=True),
                 cumprod(rows, axis=-1, exclusive=True, reverse=True))
    others = transpose(reshape(others, moved._shape), [perm.index(d) for d in range(x.rank)])
    return mul(broadcast_back(dy, x._shape, axes), others)


def max(x, axis=None, keepdims=False):  # noqa: A001 - public name follows tfjs
    """Largest element over `axis` (None: all axes); nan if the slice holds a nan; an empty
    axis raises. Gradient tie rule (as TensorFlow): dy is split evenly between the positions
    equal to the max, so the gradient still sums to dy; where the max is nan it is nan."""
    return _extreme("max", "reduce_max", x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - public name follows tfjs
    """Smallest element over `axis`; same rules as max (nan propagates, ties split dy)."""
    return _extreme("min", "reduce_min", x, axis, keepdims)


def _extreme(op, kernel, x, axis, keepdims):
    (x,) = _core.tensors(op, x)
    axes = _core.normalize_axes(op, axis, x.rank)
    y = reduce(op, kernel, x, axes, keepdims, x.dtype, None)

    def grad(dy):
        if x.dtype != dtypes.FLOAT32:
            return (None,)
        from .elementwise import div, equal, mul
        from .shape import cast
        hits = cast(equal(x, broadcast_back(y, x._shape, axes)), dtypes.FLOAT32)
        count = _sum(hits, axes, keepdims=True)
        return (mul(broadcast_back(dy, x._shape, axes), div(hits, count)),)
    return engine.record(op, [x], y, grad)


def any(x, axis=None, keepdims=False):  # noqa: A001 - public name follows tfjs
    """True where some element over `axis` is nonzero (nan counts); False over an empty axis."""
    (x,) = _core.tensors("any", x)
    y = reduce("any", "reduce_any", x, _core.normalize_axes("any", axis, x.rank), keepdims,
               dtypes.BOOL, False)
    return engine.record("any", [x], y, None)


def all(x, axis=None, keepdims=False):  # noqa: A001 - public name follows tfjs
    """True where every element over `axis` is nonzero (nan counts); True over an empty axis."""
    (x,) = _core.tensors("all", x)
    y = reduce("all", "reduce_all", x, _core.normalize_axes("all", axis, x.rank), keepdims,
               dtypes.BOOL, True)
    return engine.record("all", [x], y, None)


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
