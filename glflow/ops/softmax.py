"""Softmax family: softmax, log_softmax and logsumexp, stable for large logits (the max is
subtracted first).

GL: the logsumexp pair reduction (shaders/softmax/logsumexp.glsl) gives each line (max, sum of
exp(x - max)); softmax and log_softmax then normalise in one pass (shaders/softmax/softmax.glsl,
log_softmax.glsl). numpy twins: glflow/backends/numpy/softmax.py.
"""
import numbers

from ..runtime import dtypes
from ..runtime.registry import OPAQUE, REDUCE
from . import _core
from ._primitive import Primitive
from .arithmetic import mul, sub
from .creation import fill
from .math import exp
from .reduction import broadcast_back, reduced_shape, reduced_view, sum
from .shape import cast, reshape


def _softmax_grad(call, dy):
    y, axis = call.output, call.attrs["axis"]
    return (mul(y, sub(dy, sum(mul(dy, y), axis, keepdims=True))),)


def _log_softmax_grad(call, dy):
    y, axis = call.output, call.attrs["axis"]
    return (sub(dy, mul(exp(y), sum(dy, axis, keepdims=True))),)


def _logsumexp_grad(call, dy):
    x = call.inputs[0]
    weights = exp(sub(x, broadcast_back(call.output, call)))
    return (mul(broadcast_back(dy, call), weights),)


SOFTMAX = Primitive("softmax", "softmax", OPAQUE, grad=_softmax_grad)           # attrs: axis
LOG_SOFTMAX = Primitive("log_softmax", "softmax", OPAQUE, grad=_log_softmax_grad)
LOGSUMEXP = Primitive("logsumexp", "softmax", REDUCE, grad=_logsumexp_grad)  # outer/length/inner

__all__ = ["softmax", "log_softmax", "logsumexp"]
TENSOR_METHODS = ["softmax", "log_softmax", "logsumexp"]


def _float_input(op, value):
    (x,) = _core.tensors(op, value)
    return cast(x, dtypes.FLOAT32) if x._dtype != dtypes.FLOAT32 else x


def _one_axis(op, x, axis):
    if x.rank == 0:
        raise ValueError(f"{op}: logits must have rank >= 1, got a scalar (shape [])")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    return _core.normalize_axes(op, axis, x.rank)[0]


def _normalised(prim, logits, axis):
    x = _float_input(prim.name, logits)
    axis = _one_axis(prim.name, x, axis)
    if x.size == 0:
        return x
    return prim.run((x,), x._shape, dtypes.FLOAT32, {"axis": axis})


def softmax(logits, axis=-1):
    """exp(x - max) / sum(exp(x - max)) along `axis`; a line holding inf or nan gives nan."""
    return _normalised(SOFTMAX, logits, axis)


def log_softmax(logits, axis=-1):
    """(x - max) - log(sum(exp(x - max))) along `axis`: finite for finite logits, however
    large or far apart; a line holding inf or nan gives nan."""
    return _normalised(LOG_SOFTMAX, logits, axis)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis` (None: all axes) without overflow; -inf over an empty
    axis, +inf if an element is +inf, nan if one is nan."""
    x = _float_input("logsumexp", x)
    axes = _core.normalize_axes("logsumexp", axis, x.rank)
    out_shape = reduced_shape(x._shape, axes, keepdims)
    if not axes:
        return reshape(x, out_shape)
    if x.size == 0:
        length = _core.size_of([x._shape[a] for a in axes])
        return fill(out_shape, float("-inf") if length == 0 else 0.0, dtypes.FLOAT32)
    view, outer, length, inner = reduced_view(x, axes)
    return LOGSUMEXP.run((view,), out_shape, dtypes.FLOAT32,
                         {"outer": outer, "length": length, "inner": inner})
