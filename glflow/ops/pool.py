"""Pooling: max_pool, avg_pool (2-D, NHWC/NCHW), their 1-D forms, and global pooling.

Windows are clipped to the input, so padding never takes part: a max ignores it and an
average divides by the number of real elements (TF's rule). Gradients are kernels of their
own that each output element computes by walking the windows that cover it (no atomics):
avg_pool_grad (whose adjoint is avg_pool again) and max_pool_grad, which routes dy to each
window's first maximum, found by max_pool_argmax (a position in the window, so small for any
image size); its adjoint, max_pool_gather, reads at that argmax. So gradients of every order
run on the kernels themselves, on either backend.
GL: glflow/backends/gl/pool.py; numpy twins: glflow/backends/numpy/pool.py.
"""
from typing import NamedTuple

from ..runtime import dtypes
from ..runtime.registry import OPAQUE, REDUCE
from . import _core
from ._nn_args import check_format, check_rank, explicit_pads, positive_ints, window_geometry
from ._primitive import Primitive
from .reduction import max as reduce_max
from .reduction import mean
from .shape import reshape, transpose

__all__ = ["max_pool", "avg_pool", "max_pool1d", "avg_pool1d", "global_avg_pool",
           "global_max_pool"]


class PoolGeometry(NamedTuple):
    in_shape: tuple   # NHWC
    out_hw: tuple
    window: tuple
    strides: tuple
    pads: tuple       # top, left

    def attrs(self):
        return dict(in_shape=self.in_shape, out_hw=self.out_hw, window=self.window,
                    strides=self.strides, pads=self.pads)

    def pooled_shape(self):
        return (self.in_shape[0],) + self.out_hw + (self.in_shape[3],)


def _geo(call):
    a = call.attrs
    return PoolGeometry(a["in_shape"], a["out_hw"], a["window"], a["strides"], a["pads"])


def _max_pool_grad(call, dy):
    x = call.inputs[0]
    geo = _geo(call)
    argmax = MAX_POOL_ARGMAX.run((x,), geo.pooled_shape(), dtypes.INT32, geo.attrs())
    return (_max_adjoint(argmax, dy, geo),)


# attrs (all): in_shape (NHWC), out_hw, window, strides, pads
AVG_POOL = Primitive("avg_pool", "pool", REDUCE,
                     grad=lambda call, dy: (_avg_adjoint(dy, _geo(call)),))
AVG_POOL_GRAD = Primitive("avg_pool_grad", "pool", OPAQUE,
                          grad=lambda call, d: (_avg(d, _geo(call)),))
MAX_POOL = Primitive("max_pool", "pool", REDUCE, grad=_max_pool_grad)
MAX_POOL_ARGMAX = Primitive("max_pool_argmax", "pool", REDUCE)
# inputs (argmax, dy): dy routed to each window's argmax
MAX_POOL_GRAD = Primitive("max_pool_grad", "pool", OPAQUE, grad=lambda call, d: (
    None, _gather_argmax(call.inputs[0], d, _geo(call))))
# inputs (argmax, dx): dx read at each window's argmax
MAX_POOL_GATHER = Primitive("max_pool_gather", "pool", OPAQUE, grad=lambda call, d: (
    None, _max_adjoint(call.inputs[0], d, _geo(call))))


def _avg(x, geo):
    return AVG_POOL.run((x,), geo.pooled_shape(), dtypes.FLOAT32, geo.attrs())


def _avg_adjoint(dy, geo):
    return AVG_POOL_GRAD.run((dy,), geo.in_shape, dtypes.FLOAT32, geo.attrs())


def _max(x, geo):
    return MAX_POOL.run((x,), geo.pooled_shape(), dtypes.FLOAT32, geo.attrs())


def _max_adjoint(argmax, dy, geo):
    """max_pool_grad: dy routed to each window's argmax."""
    return MAX_POOL_GRAD.run((argmax, dy), geo.in_shape, dtypes.FLOAT32, geo.attrs())


def _gather_argmax(argmax, dx, geo):
    """The adjoint of max_pool_grad: dx read at each window's argmax."""
    return MAX_POOL_GATHER.run((argmax, dx), geo.pooled_shape(), dtypes.FLOAT32, geo.attrs())


def _geometry(op, x, pool_size, strides, padding, data_format, rank=2):
    window = positive_ints(op, "pool_size", pool_size, rank)
    strides = window if strides is None else positive_ints(op, "strides", strides, rank)
    outs, pads = window_geometry(op, padding, x._shape[1:3], window, strides, (1, 1),
                                 data_format, "pool window")
    if any(max(p) >= k for p, k in zip(pads, window)):
        raise ValueError(f"{op}: padding {pads} must be smaller than the pool window "
                         f"{list(window)} (a window would hold only padding)")
    return PoolGeometry(x._shape, tuple(outs), window, strides, (pads[0][0], pads[1][0]))


def _pool2d(op, run, x, pool_size, strides, padding, data_format):
    (x,) = _core.tensors(op, x)
    if x._dtype != dtypes.FLOAT32:
        raise TypeError(f"{op}: x must be float32, got {x.dtype}")
    check_format(op, data_format, ("NHWC", "NCHW"))
    check_rank(op, "x", x, 4, data_format)
    if data_format == "NCHW":
        x = transpose(x, [0, 2, 3, 1])
    y = run(x, _geometry(op, x, pool_size, strides, padding, data_format))
    return transpose(y, [0, 3, 1, 2]) if data_format == "NCHW" else y


def max_pool(x, pool_size, strides=None, padding="valid", data_format="NHWC"):
    """The max of each pool_size window (strides default to pool_size); x [N, H, W, C]."""
    return _pool2d("max_pool", _max, x, pool_size, strides, padding, data_format)


def avg_pool(x, pool_size, strides=None, padding="valid", data_format="NHWC"):
    """The mean of each window over its unpadded elements (as TF); x [N, H, W, C]."""
    return _pool2d("avg_pool", _avg, x, pool_size, strides, padding, data_format)


def _pool1d(op, run, x, pool_size, strides, padding, data_format):
    (x,) = _core.tensors(op, x)
    check_format(op, data_format, ("NWC", "NCW"))
    check_rank(op, "x", x, 3, data_format)
    (size,) = positive_ints(op, "pool_size", pool_size, 1)
    (step,) = (size,) if strides is None else positive_ints(op, "strides", strides, 1)
    if not isinstance(padding, str):
        padding = [(0, 0)] + explicit_pads(op, padding, 1, data_format)
    if data_format == "NCW":
        x = transpose(x, [0, 2, 1])
    n, w, c = x._shape
    y = _pool2d(op, run, reshape(x, (n, 1, w, c)), (1, size), (1, step), padding, "NHWC")
    y = reshape(y, (n, y._shape[2], c))
    return transpose(y, [0, 2, 1]) if data_format == "NCW" else y


def max_pool1d(x, pool_size, strides=None, padding="valid", data_format="NWC"):
    return _pool1d("max_pool1d", _max, x, pool_size, strides, padding, data_format)


def avg_pool1d(x, pool_size, strides=None, padding="valid", data_format="NWC"):
    return _pool1d("avg_pool1d", _avg, x, pool_size, strides, padding, data_format)


CHANNELS_LAST = ("NHWC", "NWC", "channels_last")
CHANNELS_FIRST = ("NCHW", "NCW", "channels_first")


def _global(op, reduce, x, data_format, keepdims):
    (x,) = _core.tensors(op, x)
    check_format(op, data_format, CHANNELS_LAST + CHANNELS_FIRST)
    if x.rank not in (3, 4):
        raise ValueError(f"{op}: x must have rank 3 or 4 (batch, spatial..., channels), got "
                         f"shape {x.shape}")
    axes = list(range(1, x.rank - 1)) if data_format in CHANNELS_LAST else list(range(2, x.rank))
    if any(x._shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: x has an empty spatial axis: shape {x.shape}")
    return reduce(x, axes, keepdims=keepdims)


def global_avg_pool(x, data_format="NHWC", keepdims=False):
    """The mean over all spatial axes of a rank 3 or 4 tensor."""
    return _global("global_avg_pool", mean, x, data_format, keepdims)


def global_max_pool(x, data_format="NHWC", keepdims=False):
    """The max over all spatial axes of a rank 3 or 4 tensor."""
    return _global("global_max_pool", reduce_max, x, data_format, keepdims)
