"""Activation kernels in numpy (shaders/activations/<name>.glsl), float32 like the GL path.

Each evaluates the formula its shader uses where the formula decides overflow and nan
behaviour (softplus, log_sigmoid, swish, gelu_tanh), so both backends agree at the extremes.
"""
import numpy as np

from ._common import _f, _n
from .math import erf as _erf
from .math import log1p as _log1p


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def relu(x):
    x = _f(x)
    return np.where(np.isnan(x), x, np.maximum(x, 0)).astype(x.dtype)


def sigmoid(x):
    x = _f(x)
    e = np.exp(-np.abs(x))
    pos = 1.0 / (1.0 + e)
    return np.where(x >= 0, pos, e * pos).astype(x.dtype)


def relu6(x):
    return np.clip(_n(x), 0, 6)


def elu(x, alpha):
    x = _f(x)
    with np.errstate(all="ignore"):
        return np.where(x > 0, x, alpha * np.expm1(x)).astype(x.dtype)


def selu(x):
    return SELU_SCALE * elu(x, SELU_ALPHA)


def leaky_relu(x, alpha):
    x = _f(x)
    with np.errstate(all="ignore"):
        return np.where(x > 0, x, alpha * x).astype(x.dtype)


def prelu(x, alpha):
    x, alpha = _f(x), _f(alpha)
    with np.errstate(all="ignore"):
        return np.where(x > 0, x, alpha * x).astype(x.dtype)


def _exp_neg_abs(x):
    with np.errstate(all="ignore"):
        return np.exp(-np.abs(x))


def softplus(x):
    x = _f(x)
    return np.where(np.isnan(x), x, np.maximum(x, 0) + _log1p(_exp_neg_abs(x))).astype(x.dtype)


def log_sigmoid(x):
    x = _f(x)
    return np.where(np.isnan(x), x, np.minimum(x, 0) - _log1p(_exp_neg_abs(x))).astype(x.dtype)


def softsign(x):
    x = _f(x)
    with np.errstate(all="ignore"):
        return x / (1.0 + np.abs(x))


def gelu(x):
    x = _f(x)
    with np.errstate(all="ignore"):  # -inf * 0 = nan, as in the shader
        return 0.5 * x * (1.0 + _erf(x * 0.7071067811865476))


def gelu_tanh(x):
    x = _f(x)
    with np.errstate(all="ignore"):
        u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
        return x / (1.0 + np.exp(-2.0 * u))


def swish(x):
    x = _f(x)
    with np.errstate(all="ignore"):
        return x / (1.0 + np.exp(-x))


def hard_sigmoid(x):
    x = _f(x)
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def step(x, alpha):
    x = _f(x)
    return np.where(np.isnan(x), x, np.where(x > 0, 1.0, alpha)).astype(x.dtype)


KERNELS = {"relu": relu, "sigmoid": sigmoid, "relu6": relu6, "elu": elu, "selu": selu, "leaky_relu": leaky_relu, "prelu": prelu, "softplus": softplus, "log_sigmoid": log_sigmoid, "softsign": softsign, "gelu": gelu, "gelu_tanh": gelu_tanh, "swish": swish, "hard_sigmoid": hard_sigmoid, "step": step}
