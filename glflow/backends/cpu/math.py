"""Numpy twins of the math kernels (shaders/<name>.glsl), float32 like the GL path.

numpy's own functions are the reference where it has them; erf, which numpy lacks, uses the
same piecewise polynomial as shaders/erf.glsl, so both backends compute one function.
"""
import numpy as np

from .elementwise import _f, _n, trig_in_range


def _quiet():
    """Overflow to inf, log of 0, nan inputs: IEEE results like the GL path, without warnings."""
    return np.errstate(all="ignore")


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


# shaders/erf.glsl's coefficients, lowest degree first.
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


def is_nan(x):
    return np.isnan(_f(x))


def is_inf(x):
    return np.isinf(_f(x))


def is_finite(x):
    return np.isfinite(_f(x))


def clip_by_value(x, lo, hi):
    x = _n(x)
    return np.clip(x, np.asarray(lo, x.dtype), np.asarray(hi, x.dtype))
