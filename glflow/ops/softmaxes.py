"""Softmax family: softmax, log_softmax and logsumexp, stable for large logits (the max is
subtracted first). (Not named softmax.py: a family module may not share an op's name.)

GL: the logsumexp pair reduction (shaders/logsumexp.glsl) gives each line (max, sum of
exp(x - max)); softmax and log_softmax then normalise in one pass (shaders/softmax.glsl,
shaders/log_softmax.glsl). numpy twins: glflow/backends/cpu/softmax.py.
"""
import numbers

from .. import dtypes, engine, kernels
from . import _core
from .reduction import broadcast_back, launch_reduction, reduced_shape

__all__ = ["softmax", "log_softmax", "logsumexp"]
TENSOR_METHODS = ["softmax", "log_softmax", "logsumexp"]

kernels.register("softmax", "special")
kernels.register("log_softmax", "special")
kernels.register("logsumexp", "special")


def _float_input(op, value):
    from .shape import cast
    (x,) = _core.tensors(op, value)
    return cast(x, dtypes.FLOAT32) if x.dtype != dtypes.FLOAT32 else x


def _one_axis(op, x, axis):
    if x.rank == 0:
        raise ValueError(f"{op}: logits must have rank >= 1, got a scalar (shape [])")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    return _core.normalize_axes(op, axis, x.rank)[0]


def _normalised(op, logits, axis):
    x = _float_input(op, logits)
    axis = _one_axis(op, x, axis)
    if x.size == 0:
        return x, x, axis
    return x, _core.launch(op, op, [x], x._shape, dtypes.FLOAT32, axis=axis), axis


def softmax(logits, axis=-1):
    """exp(x - max) / sum(exp(x - max)) along `axis`; a line holding inf or nan gives nan."""
    from .elementwise import mul, sub
    from .reduction import sum
    x, y, axis = _normalised("softmax", logits, axis)

    def grad(dy):
        return (mul(y, sub(dy, sum(mul(dy, y), axis, keepdims=True))),)
    return engine.record("softmax", [x], y, grad)


def log_softmax(logits, axis=-1):
    """(x - max) - log(sum(exp(x - max))) along `axis`: finite for finite logits, however
    large or far apart; a line holding inf or nan gives nan."""
    from .elementwise import exp, mul, sub
    from .reduction import sum
    x, y, axis = _normalised("log_softmax", logits, axis)

    def grad(dy):
        return (sub(dy, mul(exp(y), sum(dy, axis, keepdims=True))),)
    return engine.record("log_softmax", [x], y, grad)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis` (None: all axes) without overflow; -inf over an empty
    axis, +inf if an element is +inf, nan if one is nan."""
    from .elementwise import exp, fill, mul, sub
    x = _float_input("logsumexp", x)
    axes = _core.normalize_axes("logsumexp", axis, x.rank)
    out_shape = reduced_shape(x._shape, axes, keepdims)
    if not axes:
        y = x._with_shape(out_shape)
    elif x.size == 0:
        length = _core.size_of([x._shape[a] for a in axes])
        y = fill(out_shape, float("-inf") if length == 0 else 0.0, dtypes.FLOAT32)
    else:
        y = launch_reduction("logsumexp", "logsumexp", x, axes, keepdims, dtypes.FLOAT32)

    def grad(dy):
        weights = exp(sub(x, broadcast_back(y, x._shape, axes)))
        return (mul(broadcast_back(dy, x._shape, axes), weights),)
    return engine.record("logsumexp", [x], y, grad)
