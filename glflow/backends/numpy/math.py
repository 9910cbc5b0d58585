"""Math kernels in numpy (shaders/math/<name>.glsl), float32 like the GL path.

numpy's own functions are the reference where it has them; erf, which numpy lacks, uses the
same piecewise polynomial as shaders/math/erf.glsl, so both backends compute one function."""
import numpy as np

from ._common import _f, _n, _quiet


def neg(x):
    return -_n(x)


def abs(x):  # noqa: A001
    return np.abs(_n(x))


def sign(x):
    return np.sign(_n(x))


def square(x):
    return np.square(_n(x))


def sqrt(x):
    with np.errstate(invalid="ignore"):
        return np.sqrt(_f(x))


def exp(x):
    with np.errstate(over="ignore"):
        return np.exp(_f(x))


def log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(_f(x))


# sin, cos and tan are NaN from |x| = 2^26 on, as on GL (shaders/math/sin.glsl says why):
# float32 numbers there are more than a period apart.
TRIG_LIMIT = 2.0 ** 26


def trig_in_range(x, values):
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(x) < TRIG_LIMIT, values, np.nan).astype(values.dtype)


def sin(x):
    x = _f(x)
    with np.errstate(invalid="ignore"):
        return trig_in_range(x, np.sin(x))


def cos(x):
    x = _f(x)
    with np.errstate(invalid="ignore"):
        return trig_in_range(x, np.cos(x))


def tanh(x):
    return np.tanh(_f(x))


def reciprocal(x):
    with np.errstate(divide="ignore"):
        return 1.0 / _f(x)


def identity(x):
    return _n(x)


def expm1(x):
    with _quiet():
        return np.expm1(_f(x))


def log1p(x):
    with _quiet():
        return np.log1p(_f(x))


def tan(x):
    x = _f(x)
    with _quiet():
        return trig_in_range(x, np.tan(x))


def asin(x):
    with _quiet():
        return np.arcsin(_f(x))


def acos(x):
    with _quiet():
        return np.arccos(_f(x))


def atan(x):
    return np.arctan(_f(x))


def sinh(x):
    with _quiet():
        return np.sinh(_f(x))


def cosh(x):
    with _quiet():
        return np.cosh(_f(x))


def asinh(x):
    return np.arcsinh(_f(x))


def acosh(x):
    with _quiet():
        return np.arccosh(_f(x))


def atanh(x):
    with _quiet():
        return np.arctanh(_f(x))


def _integral(fn, x):
    """floor/ceil/round leave int32 values as they are (exact)."""
    x = _n(x)
    return x if x.dtype.kind in "iu" else fn(_f(x))


def floor(x):
    return _integral(np.floor, x)


def ceil(x):
    return _integral(np.ceil, x)


def round(x):  # noqa: A001 - the kernel's name
    return _integral(np.round, x)  # halves to even


def rsqrt(x):
    with _quiet():
        return 1.0 / np.sqrt(_f(x))


# shaders/math/erf.glsl's coefficients, lowest degree first.
_ERF_Q = (0.128379166, -0.37612626, 0.112835854, -0.0268538184, 0.00518833846,
          -0.000801027752, 7.8541183e-05)
_ERF_R = (0.210807607, -0.0743421838, 0.0249146298, -0.00813224446, 0.00230250647,
          -0.00066112919, 0.000543307047, 0.000225056036, 0.000106841937)


def _horner(v, coefficients):
    p = np.full_like(v, coefficients[-1])
    for c in coefficients[-2::-1]:
        p = p * v + c
    return p


def erf(x):
    x = _f(x)
    a = np.abs(x)
    with _quiet():
        s = a * a
        small = x + x * _horner(s, _ERF_Q)
        mid = 1.0 - np.exp(-s) * _horner(a - 2.5, _ERF_R)
    mid = np.where(a >= 4.0, 1.0, mid)
    mid = np.where(x < 0, -mid, mid)
    return np.where(a >= 1.0, mid, small).astype(x.dtype)


def clip_by_value(x, lo, hi):
    x = _n(x)
    return np.clip(x, np.asarray(lo, x.dtype), np.asarray(hi, x.dtype))


KERNELS = {"neg": neg, "abs": abs, "sign": sign, "square": square, "sqrt": sqrt, "exp": exp, "log": log, "sin": sin, "cos": cos, "tanh": tanh, "reciprocal": reciprocal, "identity": identity, "expm1": expm1, "log1p": log1p, "tan": tan, "asin": asin, "acos": acos, "atan": atan, "sinh": sinh, "cosh": cosh, "asinh": asinh, "acosh": acosh, "atanh": atanh, "floor": floor, "ceil": ceil, "round": round, "rsqrt": rsqrt, "erf": erf, "clip_by_value": clip_by_value}
