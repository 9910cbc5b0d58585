"""Elementwise ops: shape rule (numpy broadcasting), kernel launch and gradient, side by side.

Each op is one kernel (`shaders/<name>.glsl`, `backends/cpu/elementwise.py:<name>`); gradients
are written in glflow ops, so they run on whichever backend is active.
"""

__all__ = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "neg", "abs", "sign", "square", "sqrt", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "reciprocal", "identity", "fill"]
TENSOR_METHODS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "neg", "abs", "sign", "square", "sqrt", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "reciprocal"]
from .. import dtypes, engine, kernels
from . import _core
from .reduction import sum_to_shape

# --------------------------------------------------------------------------- registry
ARITHMETIC = ("add", "sub", "mul", "div", "pow", "maximum", "minimum")
COMPARISONS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
UNARY = ("neg", "abs", "square", "sqrt", "exp", "log", "sin", "tanh", "sigmoid", "relu",
         "reciprocal")
for _name in ARITHMETIC:
    kernels.register(_name, "binary")
for _name in COMPARISONS:
    kernels.register(_name, "binary", differentiable=False)
for _name in UNARY:
    kernels.register(_name, "unary")
kernels.register("cos", "unary", requires=("sin",))  # sin.glsl's argument reduction
kernels.register("pow_int", "binary", differentiable=False, requires=("pow",))
kernels.register("sign", "unary", differentiable=False)
kernels.register("identity", "unary")
kernels.register("fill", "special", params=("value",), differentiable=False)


def binary(name, a, b, out_dtype=None):
    """Launch binary kernel `name` on two broadcast tensors; no gradient recorded."""
    shape = _core.broadcast_shapes(name, a._shape, b._shape)
    out_dtype = out_dtype or dtypes.promote(a._dtype, b._dtype)  # not the properties: 2 calls less
    return _core.elementwise(name, _core.call(name, 2), [a, b], shape, out_dtype)


def unary(name, x, out_dtype=None, params=None):
    expr = _core.call(name, 1, len(params or ()))
    return _core.elementwise(name, expr, [x], x._shape, out_dtype or x.dtype,
                             params=dict(enumerate(params or ())))


# --------------------------------------------------------------------------- binary ops

def add(a, b):
    """a + b with broadcasting."""
    a, b = _core.tensors("add", a, b)
    y = binary("add", a, b)
    return engine.record("add", [a, b], y, lambda dy: (sum_to_shape(dy, a._shape),
                                                         sum_to_shape(dy, b._shape)))


def sub(a, b):
    """a - b with broadcasting."""
    a, b = _core.tensors("sub", a, b)
    y = binary("sub", a, b)
    return engine.record("sub", [a, b], y, lambda dy: (sum_to_shape(dy, a._shape),
                                                         sum_to_shape(neg(dy), b._shape)))


def mul(a, b):
    """a * b with broadcasting."""
    a, b = _core.tensors("mul", a, b)
    y = binary("mul", a, b)
    return engine.record("mul", [a, b], y, lambda dy: (sum_to_shape(mul(dy, b), a._shape),
                                                         sum_to_shape(mul(dy, a), b._shape)))


def div(a, b):
    """a / b with broadcasting; always float32 (true division, like numpy)."""
    a, b = _core.tensors("div", a, b)
    y = binary("div", a, b, out_dtype=dtypes.FLOAT32)

    def grad(dy):
        da = div(dy, b)
        return sum_to_shape(da, a._shape), sum_to_shape(neg(mul(da, y)), b._shape)
    return engine.record("div", [a, b], y, grad)


def pow(a, b):  # noqa: A001 - public name follows tfjs
    """a ** b with broadcasting, numpy's results for every sign and special value (0 ** -1 =
    inf, (-8) ** (1/3) = nan). Integral exponents are exact while the result is: 5 ** 2 = 25,
    in float32 and int32. int32 ** int32 stays int32: a negative exponent gives the result
    truncated toward zero (1, -1 or 0) and 0 ** negative = 0, as int32 x // 0 = 0. The
    gradient is TensorFlow's: b a^(b-1) (inf for 0 ** 0.5), a^b log(a) where a > 0, else 0."""
    a, b = _core.tensors("pow", a, b)
    if dtypes.promote(a._dtype, b._dtype) == dtypes.INT32:
        return engine.record("pow", [a, b], binary("pow_int", a, b), None)
    y = binary("pow", a, b)

    def grad(dy):
        da = mul(dy, mul(b, pow(a, sub(b, 1.0))))
        # d/db a**b = a**b log a, defined as 0 where a == 0 (where the value is 0 or 1)
        safe_a = where_positive(a)
        db = mul(dy, mul(y, log(safe_a)))
        return sum_to_shape(da, a._shape), sum_to_shape(db, b._shape)
    return engine.record("pow", [a, b], y, grad)


def where_positive(a):
    """a where a > 0, else 1 (so log stays finite in pow's gradient)."""
    pos = binary("greater", a, _core.scalar_constant(0.0, a.dtype, "pow"), out_dtype=a.dtype)
    one_minus = binary("sub", _core.scalar_constant(1.0, a.dtype, "pow"), pos)
    return binary("add", binary("mul", a, pos), one_minus)


def maximum(a, b):
    """Elementwise max with broadcasting; the gradient goes to a where a >= b."""
    a, b = _core.tensors("maximum", a, b)
    y = binary("maximum", a, b)

    def grad(dy):
        mask = binary("greater_equal", a, b, out_dtype=dtypes.FLOAT32)
        return (sum_to_shape(mul(dy, mask), a._shape),
                sum_to_shape(mul(dy, sub(1.0, mask)), b._shape))
    return engine.record("maximum", [a, b], y, grad)


def minimum(a, b):
    """Elementwise min with broadcasting; the gradient goes to a where a <= b."""
    a, b = _core.tensors("minimum", a, b)
    y = binary("minimum", a, b)

    def grad(dy):
        mask = binary("less_equal", a, b, out_dtype=dtypes.FLOAT32)
        return (sum_to_shape(mul(dy, mask), a._shape),
                sum_to_shape(mul(dy, sub(1.0, mask)), b._shape))
    return engine.record("minimum", [a, b], y, grad)


def _comparison(name):
    def op(a, b):
        a, b = _core.tensors(name, a, b)
        return engine.record(name, [a, b], binary(name, a, b, out_dtype=dtypes.BOOL), None)
    op.__name__ = name
    op.__doc__ = f"Elementwise {name.replace('_', ' ')} with broadcasting; returns bool (not differentiable)."
    return op


equal = _comparison("equal")
not_equal = _comparison("not_equal")
less = _comparison("less")
less_equal = _comparison("less_equal")
greater = _comparison("greater")
greater_equal = _comparison("greater_equal")


# --------------------------------------------------------------------------- unary ops

def _unary_op(name, grad_of, float_only=False, doc=""):
    """Build `name(x)`; grad_of(x, y, dy) is the vector-Jacobian product."""
    def op(x):
        (x,) = _core.tensors(name, x)
        out_dtype = dtypes.FLOAT32 if float_only else (
            dtypes.INT32 if x.dtype == dtypes.BOOL else x.dtype)
        y = unary(name, x, out_dtype)
        if grad_of is None:
            return engine.record(name, [x], y, None)
        return engine.record(name, [x], y, lambda dy: (grad_of(x, y, dy),))
    op.__name__ = name
    op.__doc__ = doc
    return op


neg = _unary_op("neg", lambda x, y, dy: neg(dy), doc="-x")
abs = _unary_op("abs", lambda x, y, dy: mul(dy, sign(x)), doc="|x|")  # noqa: A001
sign = _unary_op("sign", None, doc="-1, 0 or 1 (not differentiable)")
square = _unary_op("square", lambda x, y, dy: mul(dy, mul(x, 2.0)), doc="x * x")
sqrt = _unary_op("sqrt", lambda x, y, dy: div(dy, mul(y, 2.0)), True, doc="square root")
exp = _unary_op("exp", lambda x, y, dy: mul(dy, y), True, doc="e ** x")
log = _unary_op("log", lambda x, y, dy: div(dy, x), True, doc="natural logarithm")
sin = _unary_op("sin", lambda x, y, dy: mul(dy, cos(x)), True, doc="sine")
cos = _unary_op("cos", lambda x, y, dy: neg(mul(dy, sin(x))), True, doc="cosine")
tanh = _unary_op("tanh", lambda x, y, dy: mul(dy, sub(1.0, square(y))), True,
                 doc="hyperbolic tangent")
sigmoid = _unary_op("sigmoid", lambda x, y, dy: mul(dy, mul(y, sub(1.0, y))), True,
                    doc="1 / (1 + exp(-x)), stable for large |x|")
relu = _unary_op("relu", lambda x, y, dy: mul(dy, binary("greater", x, _zero(x),
                                                           out_dtype=dtypes.FLOAT32)),
                 doc="max(x, 0)")
reciprocal = _unary_op("reciprocal", lambda x, y, dy: neg(mul(dy, square(y))), True, doc="1 / x")
identity = _unary_op("identity", lambda x, y, dy: dy, doc="a copy of x")


def _zero(x):
    return _core.scalar_constant(0.0, x.dtype, "relu")


def fill(shape, value, dtype=None):
    """A tensor of `shape` with every element `value` (drawn, not uploaded)."""
    shape = _core.check_shape(shape, "fill")
    if dtype is None:
        dtype = dtypes.infer(_core.to_numpy(value, "fill"))
    dtype = dtypes.normalize(dtype, "fill")
    value = _core.to_numpy(value, "fill", dtype)
    if value.ndim:
        raise ValueError(f"fill: value must be a scalar, got shape {list(value.shape)}")
    b = engine.backend()
    limit = dtypes.GL_EXACT_INT_LIMIT
    if b.name == "gl" and dtype == dtypes.INT32 and not -limit <= int(value) <= limit:
        raise ValueError(f"fill: int32 value {int(value)} exceeds +-{dtypes.GL_EXACT_INT_LIMIT}, "
                         "the largest the GL backend stores exactly")
    return _core.elementwise("fill", ("call", "fill", [], (0,)), [], shape, dtype,
                             params={0: float(value)})
