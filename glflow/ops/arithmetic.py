"""Binary arithmetic with numpy broadcasting: floor_div and mod with numpy's semantics (the
remainder takes the divisor's sign; int32 exact, x // 0 = x % 0 = 0 for int32), fmod (C
semantics), squared_difference, atan2, and add_n over a list of tensors.

Kernels: `shaders/<name>.glsl`, numpy twins in `glflow/backends/cpu/arithmetic.py`.
"""
from .. import dtypes, engine, kernels
from . import _core
from ._pointwise import launch
from .creation import zeros_like
from .elementwise import add, div, mul, neg, square, sub
from .reduction import sum_to_shape

__all__ = ["floor_div", "mod", "fmod", "squared_difference", "atan2", "add_n"]
TENSOR_METHODS = ["floor_div", "mod", "fmod", "squared_difference", "atan2"]

kernels.register("fmod", "binary")
kernels.register("floor_div", "binary", requires=("fmod",))
kernels.register("mod", "binary", requires=("fmod",))
kernels.register("floor_div_int", "binary", differentiable=False, requires=("floor_div",))
kernels.register("mod_int", "binary", differentiable=False, requires=("mod",))
kernels.register("squared_difference", "binary")
kernels.register("atan2", "binary")


def _binary(op, a, b, kernel, out_dtype):
    shape = _core.broadcast_shapes(op, a._shape, b._shape)
    return launch(kernel, [a, b], shape, out_dtype)


def _integer_or_float(op, a, b):
    """int32 kernels when both are int32/bool (exact, like numpy's integer ops), else float."""
    dtype = dtypes.promote(a.dtype, b.dtype)
    return (op + "_int" if dtype == dtypes.INT32 else op), dtype


def floor_div(a, b):
    """floor(a / b) with broadcasting, as numpy.floor_divide: int32 in, int32 out (exact;
    x // 0 = 0); floats follow numpy step for step (a / 0 = +-inf or nan). The gradient is zero
    (the function is piecewise constant)."""
    a, b = _core.tensors("floor_div", a, b)
    kernel, dtype = _integer_or_float("floor_div", a, b)
    y = _binary("floor_div", a, b, kernel, dtype)
    if dtype == dtypes.INT32:
        return engine.record("floor_div", [a, b], y, None)
    return engine.record("floor_div", [a, b], y, lambda dy: (zeros_like(a), zeros_like(b)))


def mod(a, b):
    """a - floor(a / b) * b with broadcasting, as numpy.remainder: the result has the sign of b;
    int32 exact (x % 0 = 0), float x % 0 = nan."""
    a, b = _core.tensors("mod", a, b)
    kernel, dtype = _integer_or_float("mod", a, b)
    y = _binary("mod", a, b, kernel, dtype)
    if dtype == dtypes.INT32:
        return engine.record("mod", [a, b], y, None)

    def grad(dy):
        return (sum_to_shape(dy, a._shape),
                sum_to_shape(neg(mul(dy, floor_div(a, b))), b._shape))
    return engine.record("mod", [a, b], y, grad)


def fmod(a, b):
    """The remainder of a / b truncated toward zero, with the sign of a (C fmod, numpy.fmod),
    exact; always float32; nan for b = 0."""
    a, b = _core.tensors("fmod", a, b)
    y = _binary("fmod", a, b, "fmod", dtypes.FLOAT32)

    def grad(dy):
        quotient = div(sub(a, y), b)  # trunc(a / b), an integer up to rounding
        return sum_to_shape(dy, a._shape), sum_to_shape(neg(mul(dy, quotient)), b._shape)
    return engine.record("fmod", [a, b], y, grad)


def squared_difference(a, b):
    """(a - b)^2 with broadcasting."""
    a, b = _core.tensors("squared_difference", a, b)
    y = _binary("squared_difference", a, b, "squared_difference",
                dtypes.promote(a.dtype, b.dtype))

    def grad(dy):
        d2 = mul(mul(dy, sub(a, b)), 2.0)
        return sum_to_shape(d2, a._shape), sum_to_shape(neg(d2), b._shape)
    return engine.record("squared_difference", [a, b], y, grad)


def atan2(a, b):
    """The angle of the point (x=b, y=a) in [-pi, pi], with broadcasting and numpy's results
    for signed zeros and infinities; always float32."""
    a, b = _core.tensors("atan2", a, b)
    y = _binary("atan2", a, b, "atan2", dtypes.FLOAT32)

    def grad(dy):
        scale = div(dy, add(square(a), square(b)))
        return sum_to_shape(mul(scale, b), a._shape), sum_to_shape(neg(mul(scale, a)), b._shape)
    return engine.record("atan2", [a, b], y, grad)


def add_n(tensors):
    """The sum of a list of tensors of one shape and dtype, in one pass over all of them (in
    chunks when they outnumber the GPU's texture units). Sums left to right, like a + b + c."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"add_n: tensors must be a list of tensors, got {type(tensors).__name__}")
    if len(tensors) == 0:
        raise ValueError("add_n: tensors must hold at least one tensor, got an empty list")
    xs = _core.tensors("add_n", *tensors)
    for i, x in enumerate(xs[1:], 1):
        if x._shape != xs[0]._shape:
            raise ValueError(f"add_n: all tensors must have the same shape: tensors[0] is "
                             f"{xs[0].shape}, tensors[{i}] is {x.shape}")
        if x.dtype != xs[0].dtype:
            raise TypeError(f"add_n: all tensors must have the same dtype: tensors[0] is "
                            f"{xs[0].dtype}, tensors[{i}] is {x.dtype} (shape {x.shape})")
    dtype = dtypes.promote(xs[0].dtype)
    y = _sum_in_passes(xs, dtype)
    return engine.record("add_n", xs, y, lambda dy: tuple(dy for _ in xs))


def _sum_in_passes(xs, dtype):
    """Left fold of add kernels, as many inputs per pass as the backend can sample at once
    (a later pass reads the previous partial sum as its first input)."""
    limit = max(engine.backend().describe().get("max_texture_units") or len(xs), 2)
    shape = xs[0]._shape
    if len(xs) == 1:
        return _core.elementwise("add_n", _core.call("identity", 1), xs, shape, dtype)
    total, rest = None, list(xs)
    while rest:
        carried = [] if total is None else [total]
        room = limit - len(carried)
        group, rest = carried + rest[:room], rest[room:]
        expr = ("in", 0)
        for i in range(1, len(group)):
            expr = ("call", "add", [expr, ("in", i)], ())
        total = _core.elementwise("add_n", expr, group, shape, dtype)
    return total
