"""Arithmetic kernels in numpy (shaders/arithmetic/<name>.glsl): float kernels compute in float32
as the GL path does (float64 in reference mode); int32 stays exact."""
import numpy as np

from ._common import _f, _n


def add(a, b):
    return _n(a) + _n(b)


def sub(a, b):
    return _n(a) - _n(b)


def mul(a, b):
    return _n(a) * _n(b)


def div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return _f(a) / _f(b)


def pow(a, b):  # noqa: A001 - the kernel's name
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(_f(a), _f(b))


def pow_int(a, b):
    """int32 a ** b, exact (numpy's integer power, wrapping as int32 does) for b >= 0; for
    b < 0 the real result truncated toward zero (1, -1 or 0), and 0 ** b = 0 (int32 has no
    inf; numpy raises instead, which a GPU kernel cannot)."""
    a, b = np.broadcast_arrays(_n(a).astype(np.int64), _n(b).astype(np.int64))
    power = np.power(a, np.maximum(b, 0))
    reciprocal = np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (b % 2), 0))
    return np.where(b < 0, reciprocal, power).astype(np.int32)


def maximum(a, b):
    return np.maximum(_n(a), _n(b))


def minimum(a, b):
    return np.minimum(_n(a), _n(b))


def fmod(a, b):
    with np.errstate(all="ignore"):
        return np.fmod(_f(a), _f(b))


def floor_div(a, b):
    with np.errstate(all="ignore"):
        return np.floor_divide(_f(a), _f(b))


def floor_div_int(a, b):
    with np.errstate(all="ignore"):
        return np.floor_divide(_n(a), _n(b))


def mod(a, b):
    with np.errstate(all="ignore"):
        return np.remainder(_f(a), _f(b))


def mod_int(a, b):
    with np.errstate(all="ignore"):
        return np.remainder(_n(a), _n(b))


def squared_difference(a, b):
    d = _n(a) - _n(b)
    return d * d


def atan2(a, b):
    return np.arctan2(_f(a), _f(b))


KERNELS = {"add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "pow_int": pow_int, "maximum": maximum, "minimum": minimum, "fmod": fmod, "floor_div": floor_div, "floor_div_int": floor_div_int, "mod": mod, "mod_int": mod_int, "squared_difference": squared_difference, "atan2": atan2}
