"""Numpy twins of the softmax-family kernels (shaders/softmax.glsl, log_softmax.glsl,
logsumexp.glsl), in float32 like GL, with the same formulas so both agree on inf and nan."""
import numpy as np

from ._common import _f


def _shifted(x, axis):
    """x - max(x) along axis: <= 0, so exp never overflows."""
    with np.errstate(all="ignore"):
        return x - np.max(x, axis=axis, keepdims=True)


def softmax(x, axis):
    x = _f(x)
    with np.errstate(all="ignore"):
        e = np.exp(_shifted(x, axis))
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis):
    x = _f(x)
    with np.errstate(all="ignore"):
        z = _shifted(x, axis)
        return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def logsumexp(x, outer, length, inner):
    """Over the middle axis of [outer, length, inner]; an infinite max is not subtracted, so
    +inf -> inf, all -inf -> -inf (as scipy.special.logsumexp)."""
    x = _f(x).reshape(outer, length, inner)
    with np.errstate(all="ignore"):
        m = np.max(x, axis=1)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        return np.log(np.sum(np.exp(x - m[:, None, :]), axis=1)) + m


KERNELS = {"softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp}
