"""Math functions: inverse and hyperbolic trigonometry, accurate expm1/log1p, rounding, erf,
nan/inf tests and clip_by_value. Each op is one kernel: `shaders/<name>.glsl` and its numpy
twin in `glflow/backends/cpu/math.py`; gradients are written in glflow ops.
"""
import math

from .. import dtypes, engine, kernels
from . import _core
from ._pointwise import launch, require_float_or_int, result_dtype, scalar_param, unary_op
from .elementwise import add, div, equal, exp, mul, neg, sqrt, square, sub
from .logic import where

__all__ = ["expm1", "log1p", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
           "atanh", "floor", "ceil", "round", "rsqrt", "erf", "is_nan", "is_inf", "is_finite",
           "clip_by_value"]
TENSOR_METHODS = ["expm1", "log1p", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                  "acosh", "atanh", "floor", "ceil", "round", "rsqrt", "erf", "is_nan",
                  "is_inf", "is_finite", "clip_by_value"]

kernels.register("expm1", "unary")
kernels.register("log1p", "unary")
kernels.register("tan", "unary", requires=("sin",))  # sin.glsl's argument reduction
# atan, asin and acos evaluate the atan2 kernel (registered in arithmetic.py) in GLSL
for _name in ("atan", "asin", "acos"):
    kernels.register(_name, "unary", requires=("atan2",))
for _name in ("sinh", "cosh"):
    kernels.register(_name, "unary", requires=("expm1",))
for _name in ("asinh", "acosh", "atanh"):
    kernels.register(_name, "unary", requires=("log1p",))
for _name in ("floor", "ceil", "round"):
    kernels.register(_name, "unary", differentiable=False)
kernels.register("rsqrt", "unary")
kernels.register("erf", "unary", requires=("expm1",))
for _name in ("is_nan", "is_inf", "is_finite"):
    kernels.register(_name, "unary", differentiable=False)
kernels.register("clip_by_value", "unary", params=("clip_value_min", "clip_value_max"))


def _sqrt_one_minus_square(x):
    """sqrt(1 - x^2) as sqrt((1 - x)(1 + x)): no cancellation near |x| = 1."""
    return sqrt(mul(sub(1.0, x), add(x, 1.0)))


expm1 = unary_op("expm1", lambda x, y, dy: mul(dy, add(y, 1.0)),
                 doc="e^x - 1, accurate for x near 0")
log1p = unary_op("log1p", lambda x, y, dy: div(dy, add(x, 1.0)),
                 doc="log(1 + x), accurate for x near 0; -inf at -1, nan below")
tan = unary_op("tan", lambda x, y, dy: mul(dy, add(square(y), 1.0)), doc="tangent")
asin = unary_op("asin", lambda x, y, dy: div(dy, _sqrt_one_minus_square(x)),
                doc="arc sine in [-pi/2, pi/2]; nan outside [-1, 1]")
acos = unary_op("acos", lambda x, y, dy: neg(div(dy, _sqrt_one_minus_square(x))),
                doc="arc cosine in [0, pi]; nan outside [-1, 1]")
atan = unary_op("atan", lambda x, y, dy: div(dy, add(square(x), 1.0)),
                doc="arc tangent in [-pi/2, pi/2]")
sinh = unary_op("sinh", lambda x, y, dy: mul(dy, cosh(x)), doc="hyperbolic sine")
cosh = unary_op("cosh", lambda x, y, dy: mul(dy, sinh(x)), doc="hyperbolic cosine")
asinh = unary_op("asinh", lambda x, y, dy: mul(dy, rsqrt(add(square(x), 1.0))),
                 doc="inverse hyperbolic sine")
acosh = unary_op("acosh", lambda x, y, dy: mul(dy, rsqrt(mul(sub(x, 1.0), add(x, 1.0)))),
                 doc="inverse hyperbolic cosine; nan below 1")
atanh = unary_op("atanh", lambda x, y, dy: div(dy, mul(sub(1.0, x), add(x, 1.0))),
                 doc="inverse hyperbolic tangent; +-inf at +-1, nan beyond")
floor = unary_op("floor", None, out="same",
                 doc="largest integer <= x (not differentiable); int32 stays int32")
ceil = unary_op("ceil", None, out="same",
                doc="smallest integer >= x (not differentiable); int32 stays int32")
round = unary_op("round", None, out="same",  # noqa: A001 - public name follows tfjs
                 doc="nearest integer, halves to even like numpy and tfjs (not differentiable)")
rsqrt = unary_op("rsqrt", lambda x, y, dy: mul(mul(dy, -0.5), mul(square(y), y)),
                 doc="1 / sqrt(x); inf at 0, nan below 0")
erf = unary_op("erf", lambda x, y, dy: mul(dy, mul(exp(neg(square(x))), 2.0 / math.sqrt(math.pi))),
               doc="the error function, within 2e-7 relative of the exact value")
is_nan = unary_op("is_nan", None, out="bool", doc="True where x is nan")
is_inf = unary_op("is_inf", None, out="bool", doc="True where x is +-inf")
is_finite = unary_op("is_finite", None, out="bool", doc="True where x is neither nan nor inf")


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
    if x.dtype == dtypes.INT32:
        # the integers inside [lo, hi]: an int result never lands on a fractional bound
        lo = lo if math.isinf(lo) else float(math.ceil(lo))
        hi = hi if math.isinf(hi) else float(math.floor(hi))
        if lo > hi:
            raise ValueError(f"clip_by_value: no int32 value lies in [{clip_value_min}, "
                             f"{clip_value_max}] for int32 x of shape {x.shape}")
    y = launch("clip_by_value", [x], x._shape, result_dtype("same", x), params=(lo, hi))

    # y == x exactly where x lies inside the range
    return engine.record("clip_by_value", [x], y, lambda dy: (where(equal(y, x), dy, 0.0),))
