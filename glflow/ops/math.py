"""Math functions: pow, abs, sign, square, sqrt, rsqrt, exp, expm1, log, log1p, trigonometry
and its inverses, hyperbolic functions, rounding, reciprocal, erf, clip_by_value and identity.
Each op is one kernel: shaders/math/<name>.glsl and its numpy twin in
glflow/backends/numpy/math.py; gradients are written in glflow ops beside each primitive.
"""
import math

from ..runtime import dtypes
from . import _core
from ._elementwise import (binary_op, primitive, require_float_or_int, result_dtype,
                           scalar_param, unary_op)
from .arithmetic import add, div, mul, neg, sub
from .logic import equal, greater, where

__all__ = ["pow", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p",
           "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
           "acosh", "atanh", "floor", "ceil", "round", "reciprocal", "erf", "clip_by_value",
           "identity", "clone"]
TENSOR_METHODS = ["pow", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "expm1", "log",
                  "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
                  "asinh", "acosh", "atanh", "floor", "ceil", "round", "reciprocal", "erf",
                  "clip_by_value", "clone"]


def _unary(name, grad, out="float", doc="", requires=()):
    """A unary math op; grad(x, y, dy) is its vector-Jacobian product (None: none)."""
    fn = None if grad is None else (lambda call, dy: (grad(call.inputs[0], call.output, dy),))
    return unary_op(primitive(name, "math", grad=fn, requires=requires), out=out, doc=doc)


def _pow_grad(call, dy):
    """TensorFlow's: b a^(b-1) (inf for 0 ** 0.5), and a^b log a where a > 0, else 0."""
    a, b = call.inputs
    da = mul(dy, mul(b, pow(a, sub(b, 1.0))))
    # d/db a**b = a**b log a, taken as 0 where a <= 0 (where a**b is 0, 1 or not real)
    db = mul(dy, mul(call.output, log(where(greater(a, 0.0), a, 1.0))))
    return da, db


_pow_float = binary_op(primitive("pow", "math", grad=_pow_grad))
POW_INT = primitive("pow_int", "math", requires=("pow",))


def pow(a, b):  # noqa: A001 - public name (TF.js)
    """a ** b with broadcasting, numpy's results for every sign and special value (0 ** -1 =
    inf, (-8) ** (1/3) = nan). Integral exponents are exact while the result is: 5 ** 2 = 25,
    in float32 and int32. int32 ** int32 stays int32: a negative exponent gives the result
    truncated toward zero (1, -1 or 0) and 0 ** negative = 0, as int32 x // 0 = 0. The
    gradient is TensorFlow's: b a^(b-1) (inf for 0 ** 0.5), a^b log(a) where a > 0, else 0."""
    a, b = _core.tensors("pow", a, b)
    if dtypes.promote(a._dtype, b._dtype) != dtypes.INT32:
        return _pow_float(a, b)
    shape = _core.broadcast_shapes("pow", a._shape, b._shape)
    _core.check_size("pow", shape)
    return POW_INT.run((a, b), shape, dtypes.INT32)
abs = _unary("abs", lambda x, y, dy: mul(dy, sign(x)), out="same", doc="|x|")  # noqa: A001
sign = _unary("sign", None, out="same", doc="-1, 0 or 1 (not differentiable)")
square = _unary("square", lambda x, y, dy: mul(dy, mul(x, 2.0)), out="same", doc="x * x")
sqrt = _unary("sqrt", lambda x, y, dy: div(dy, mul(y, 2.0)), doc="square root")
rsqrt = _unary("rsqrt", lambda x, y, dy: mul(mul(dy, -0.5), mul(square(y), y)),
               doc="1 / sqrt(x); inf at 0, nan below 0")
exp = _unary("exp", lambda x, y, dy: mul(dy, y), doc="e ** x")
expm1 = _unary("expm1", lambda x, y, dy: mul(dy, add(y, 1.0)),
               doc="e^x - 1, accurate for x near 0")
log = _unary("log", lambda x, y, dy: div(dy, x), doc="natural logarithm")
log1p = _unary("log1p", lambda x, y, dy: div(dy, add(x, 1.0)),
               doc="log(1 + x), accurate for x near 0; -inf at -1, nan below")
# cos and tan call sin.glsl's argument reduction. All three are NaN from |x| = 2^26 on, where
# float32 numbers are more than a period apart (shaders/math/sin.glsl says why).
sin = _unary("sin", lambda x, y, dy: mul(dy, cos(x)), doc="sine; NaN for |x| >= 2^26")
cos = _unary("cos", lambda x, y, dy: neg(mul(dy, sin(x))), requires=("sin",),
             doc="cosine; NaN for |x| >= 2^26")
tan = _unary("tan", lambda x, y, dy: mul(dy, add(square(y), 1.0)), requires=("sin",),
             doc="tangent; NaN for |x| >= 2^26")


def _sqrt_one_minus_square(x):
    """sqrt(1 - x^2) as sqrt((1 - x)(1 + x)): no cancellation near |x| = 1."""
    return sqrt(mul(sub(1.0, x), add(x, 1.0)))


# atan, asin and acos evaluate the atan2 kernel's GLSL function
asin = _unary("asin", lambda x, y, dy: div(dy, _sqrt_one_minus_square(x)), requires=("atan2",),
              doc="arc sine in [-pi/2, pi/2]; nan outside [-1, 1]")
acos = _unary("acos", lambda x, y, dy: neg(div(dy, _sqrt_one_minus_square(x))),
              requires=("atan2",), doc="arc cosine in [0, pi]; nan outside [-1, 1]")
atan = _unary("atan", lambda x, y, dy: div(dy, add(square(x), 1.0)), requires=("atan2",),
              doc="arc tangent in [-pi/2, pi/2]")
sinh = _unary("sinh", lambda x, y, dy: mul(dy, cosh(x)), requires=("expm1",),
              doc="hyperbolic sine")
cosh = _unary("cosh", lambda x, y, dy: mul(dy, sinh(x)), requires=("expm1",),
              doc="hyperbolic cosine")
tanh = _unary("tanh", lambda x, y, dy: mul(dy, sub(1.0, square(y))), doc="hyperbolic tangent")
asinh = _unary("asinh", lambda x, y, dy: mul(dy, rsqrt(add(square(x), 1.0))),
               requires=("log1p",), doc="inverse hyperbolic sine")
acosh = _unary("acosh", lambda x, y, dy: mul(dy, rsqrt(mul(sub(x, 1.0), add(x, 1.0)))),
               requires=("log1p",), doc="inverse hyperbolic cosine; nan below 1")
atanh = _unary("atanh", lambda x, y, dy: div(dy, mul(sub(1.0, x), add(x, 1.0))),
               requires=("log1p",), doc="inverse hyperbolic tangent; +-inf at +-1, nan beyond")
floor = _unary("floor", None, out="same",
               doc="largest integer <= x (not differentiable); int32 stays int32")
ceil = _unary("ceil", None, out="same",
              doc="smallest integer >= x (not differentiable); int32 stays int32")
round = _unary("round", None, out="same",  # noqa: A001 - public name follows TF.js
               doc="nearest integer, halves to even like numpy and TF.js (not differentiable)")
reciprocal = _unary("reciprocal", lambda x, y, dy: neg(mul(dy, square(y))), doc="1 / x")
erf = _unary("erf", lambda x, y, dy: mul(dy, mul(exp(neg(square(x))),
                                                 2.0 / math.sqrt(math.pi))),
             requires=("expm1",), doc="the error function, within 2e-7 relative of the exact value")
identity = _unary("identity", lambda x, y, dy: dy, out="same", doc="a copy of x")
clone = identity

CLIP_BY_VALUE = primitive(
    "clip_by_value", "math", params=("clip_value_min", "clip_value_max"),
    # the output equals x exactly where x lies inside the range
    grad=lambda call, dy: (where(equal(call.output, call.inputs[0]), dy, 0.0),))


def clip_by_value(x, clip_value_min, clip_value_max):
    """x limited to [clip_value_min, clip_value_max] (scalars); the gradient passes where x lies
    inside the range, bounds included. nan stays nan. int32 stays int32."""
    (x,) = _core.tensors("clip_by_value", x)
    require_float_or_int("clip_by_value", "x", x)
    lo = scalar_param("clip_by_value", "clip_value_min", clip_value_min)
    hi = scalar_param("clip_by_value", "clip_value_max", clip_value_max)
    if not lo <= hi:
        raise ValueError(f"clip_by_value: clip_value_min ({lo}) must be <= clip_value_max "
                         f"({hi}), for x of shape {x.shape}")
    if x._dtype == dtypes.INT32:
        # the integers inside [lo, hi]: an int result never lands on a fractional bound
        lo = lo if math.isinf(lo) else float(math.ceil(lo))
        hi = hi if math.isinf(hi) else float(math.floor(hi))
        if lo > hi:
            raise ValueError(f"clip_by_value: no int32 value lies in [{clip_value_min}, "
                             f"{clip_value_max}] for int32 x of shape {x.shape}")
    return CLIP_BY_VALUE.run((x,), x._shape, result_dtype("same", x),
                             {"clip_value_min": lo, "clip_value_max": hi})
