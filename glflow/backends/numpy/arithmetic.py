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


KERNELS = {"add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "maximum": maximum, "minimum": minimum, "fmod": fmod, "floor_div": floor_div, "floor_div_int": floor_div_int, "mod": mod, "mod_int": mod_int, "squared_difference": squared_difference, "atan2": atan2}
