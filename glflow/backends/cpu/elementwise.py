"""Elementwise kernels in numpy, one function per kernel, named as in shaders/<name>.glsl.

They compute in float32 (as the GL path does) and follow numpy's IEEE results for
division by zero, log of zero, nan propagation.
"""
import numpy as np

from ...dtypes import FLOAT32, numpy_dtype


def _f(x):
    """Float kernels compute in float32, as the GL path does (float64 in reference mode)."""
    return np.asarray(x, dtype=numpy_dtype(FLOAT32))


def _n(x):
    """Arithmetic kernels keep int32 exact (bool counts as int, like glflow's promotion)."""
    x = np.asarray(x)
    return x.astype(np.int32) if x.dtype == np.bool_ else x


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


# sin, cos and tan are NaN from |x| = 2^26 on, as on GL (shaders/sin.glsl says why): float32
# numbers there are more than a period apart.
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


def sigmoid(x):
    x = _f(x)
    e = np.exp(-np.abs(x))
    pos = 1.0 / (1.0 + e)
    return np.where(x >= 0, pos, e * pos).astype(x.dtype)


def relu(x):
    x = _f(x)
    return np.where(np.isnan(x), x, np.maximum(x, 0)).astype(x.dtype)


def reciprocal(x):
    with np.errstate(divide="ignore"):
        return 1.0 / _f(x)


def identity(x):
    return _n(x)


def cast_int(x):
    with np.errstate(invalid="ignore"):
        return np.trunc(_n(x))


def cast_bool(x):
    return _n(x) != 0


def fill(value):
    return numpy_dtype(FLOAT32)(value)
