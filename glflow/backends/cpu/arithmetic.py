"""Numpy twins of the binary arithmetic kernels (shaders/<name>.glsl).

numpy is the definition here: floor_div / mod are numpy.floor_divide / numpy.remainder
(sign of the divisor), and the *_int kernels are their exact int32 forms (x // 0 = x % 0 = 0).
"""
import numpy as np

from .elementwise import _f, _n


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
