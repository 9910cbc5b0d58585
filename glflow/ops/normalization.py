"""Normalisation: batch_norm, layer_norm and local_response_normalization, composed from
elementwise ops, moments and matmul (no kernels of their own: their gradients are those of
the parts, so they run on either backend to any order)."""

__all__ = ["batch_norm", "layer_norm", "local_response_normalization"]
import numbers

import numpy as np

from ..runtime import dtypes
from . import _core
from .arithmetic import add, div, mul, sub
from .linalg import matmul
from .math import pow, rsqrt, square
from .shape import reshape
from .statistics import moments


def _float(op, name, value):
    (t,) = _core.tensors(op, value)
    if t.dtype != dtypes.FLOAT32:
        raise TypeError(f"{op}: {name} must be float32, got {t.dtype}")
    return t


def _check_epsilon(op, epsilon):
    if not isinstance(epsilon, numbers.Real) or isinstance(epsilon, bool) or epsilon < 0:
        raise ValueError(f"{op}: epsilon must be a number >= 0, got {epsilon!r}")


def batch_norm(x, mean, variance, offset=None, scale=None, variance_epsilon=1e-3):
    """(x - mean) * scale / sqrt(variance + eps) + offset, as tf.nn.batch_normalization:
    the statistics and parameters broadcast against x (typically [C] over the last axis)."""
    op = "batch_norm"
    x = _float(op, "x", x)
    _check_epsilon(op, variance_epsilon)
    named = {"mean": mean, "variance": variance, "offset": offset, "scale": scale}
    params = {k: _float(op, k, v) for k, v in named.items() if v is not None}
    for name, t in params.items():
        joint = _core.broadcast_shapes(op, x._shape, t._shape, names=("x", name))
        if joint != x._shape:
            raise ValueError(f"{op}: {name} of shape {t.shape} does not broadcast to x's shape "
                             f"{x.shape}")
    inv = rsqrt(add(params["variance"], float(variance_epsilon)))
    if "scale" in params:
        inv = mul(inv, params["scale"])
    shift = mul(params["mean"], inv)
    shift = sub(params["offset"], shift) if "offset" in params else mul(shift, -1.0)
    return add(mul(x, inv), shift)


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """(x - mean) / sqrt(variance + eps) over `axis` (an int or a list), then * gamma + beta.
    gamma/beta have the normalised axes' sizes (as Keras) or broadcast against x. The
    statistics come from moments; batch_norm applies them (two passes over x)."""
    op = "layer_norm"
    x = _float(op, "x", x)
    _check_epsilon(op, epsilon)
    axes = _core.normalize_axes(op, axis, x.rank)
    if any(x._shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: cannot normalise over an empty axis: x is {x.shape}, "
                         f"axis {axis!r}")
    kept = tuple(n if d in axes else 1 for d, n in enumerate(x._shape))
    params = {}
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value is None:
            continue
        t = _float(op, name, value)
        if t._shape == tuple(x._shape[a] for a in axes):
            t = reshape(t, kept)
        elif _core.broadcast_shapes(op, x._shape, t._shape, names=("x", name)) != x._shape:
            raise ValueError(f"{op}: {name} of shape {t.shape} fits neither the normalised "
                             f"axes {[x._shape[a] for a in axes]} nor x's shape {x.shape}")
        params[name] = t
    mean, var = moments(x, axes, keepdims=True)
    return batch_norm(x, mean, var, params.get("beta"), params.get("gamma"), epsilon)


def local_response_normalization(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """x / (bias + alpha * sum of x^2 over channels c - r .. c + r) ** beta over the last
    axis of NHWC x (TF's formula). The windowed sum is one matmul with a 0/1 band matrix."""
    op = "local_response_normalization"
    x = _float(op, "x", x)
    if x.rank != 4:
        raise ValueError(f"{op}: x must have rank 4 (NHWC), got shape {x.shape}")
    if not isinstance(depth_radius, numbers.Integral) or depth_radius < 0:
        raise ValueError(f"{op}: depth_radius must be an int >= 0, got {depth_radius!r}")
    for name, v in (("bias", bias), ("alpha", alpha), ("beta", beta)):
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            raise TypeError(f"{op}: {name} must be a number, got {v!r}")
    c = x._shape[3]
    band = np.abs(np.arange(c)[:, None] - np.arange(c)[None, :]) <= depth_radius
    window_sum = matmul(square(x), _core.from_numpy(band.astype(np.float32), op))
    return div(x, pow(add(mul(window_sum, float(alpha)), float(bias)), float(beta)))
