"""Comparison and logic kernels in numpy (shaders/logic/<name>.glsl); results are 0/1 in the
computing dtype, stored as bool by the backend."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype
from ._common import _f, _n


def equal(a, b):
    return (_n(a) == _n(b)).astype(numpy_dtype(FLOAT32))


def not_equal(a, b):
    return (_n(a) != _n(b)).astype(numpy_dtype(FLOAT32))


def less(a, b):
    return (_n(a) < _n(b)).astype(numpy_dtype(FLOAT32))


def less_equal(a, b):
    return (_n(a) <= _n(b)).astype(numpy_dtype(FLOAT32))


def greater(a, b):
    return (_n(a) > _n(b)).astype(numpy_dtype(FLOAT32))


def greater_equal(a, b):
    return (_n(a) >= _n(b)).astype(numpy_dtype(FLOAT32))


def logical_not(x):
    return np.logical_not(x)


def logical_and(a, b):
    return np.logical_and(a, b)


def logical_or(a, b):
    return np.logical_or(a, b)


def logical_xor(a, b):
    return np.logical_xor(a, b)


def where(condition, a, b):
    return np.where(np.asarray(condition) != 0, a, b)


def is_nan(x):
    return np.isnan(_f(x))


def is_inf(x):
    return np.isinf(_f(x))


def is_finite(x):
    return np.isfinite(_f(x))


KERNELS = {"equal": equal, "not_equal": not_equal, "less": less, "less_equal": less_equal, "greater": greater, "greater_equal": greater_equal, "logical_not": logical_not, "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor, "where": where, "is_nan": is_nan, "is_inf": is_inf, "is_finite": is_finite}
