"""Pooling: max_pool, avg_pool (2-D, NHWC/NCHW), their 1-D forms, and global pooling.

Windows are clipped to the input, so padding never takes part: a max ignores it and an
average divides by the number of real elements (TF's rule). Gradients are kernels of their
own that each output element computes by walking the windows that cover it (no atomics):
avg_pool_grad (whose adjoint is avg_pool again) and max_pool_grad, which routes dy to each
window's first maximum, found by max_pool_argmax; its adjoint gathers at that argmax. So
gradients of every order run on the kernels themselves, on either backend.
"""

__all__ = ["max_pool", "avg_pool", "max_pool1d", "avg_pool1d", "global_avg_pool",
           "global_max_pool"]
from typing import NamedTuple

from .. import dtypes, engine, kernels
from . import _core
from ._nn_args import check_format, check_rank, explicit_pads, positive_ints, window_geometry

kernels.register("max_pool", "special")
kernels.register("avg_pool", "special")
kernels.register("max_pool_argmax", "special", differentiable=False)
kernels.register("max_pool_grad", "special")
kernels.register("avg_pool_grad", "special")


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


def _launch(kernel, inputs, out_shape, geo, dtype=dtypes.FLOAT32):
    return _core.launch(kernel, kernel, inputs, out_shape, dtype, **geo.attrs())


def _avg(x, geo):
    y = _launch("avg_pool", [x], geo.pooled_shape(), geo)
    return engine.record("avg_pool", [x], y, lambda dy: (_avg_adjoint(dy, geo),))


def _avg_adjoint(dy, geo):
    dx = _launch("avg_pool_grad", [dy], geo.in_shape, geo)
    return engine.record("avg_pool_grad", [dy], dx, lambda d: (_avg(d, geo),))


def _max(x, geo):
    y = _launch("max_pool", [x], geo.pooled_shape(), geo)

    def grad(dy):
        image = _core.size_of(geo.in_shape[1:])
        if engine.backend().name == "gl" and image > dtypes.GL_EXACT_INT_LIMIT:
            raise ValueError(f"max_pool: the gradient indexes each image's elements in float32 "
                             f"textures; an image of {list(geo.in_shape[1:])} has more than "
                             f"{dtypes.GL_EXACT_INT_LIMIT} (use the cpu backend)")
        argmax = _launch("max_pool_argmax", [x], geo.pooled_shape(), geo, dtypes.INT32)
        return (_max_adjoint(argmax, dy, geo),)
    return engine.record("max_pool", [x], y, grad)


def _max_adjoint(argmax, dy, geo):
    """max_pool_grad: dy routed to each window's argmax."""
    dx = _launch("max_pool_grad", [argmax, dy], geo.in_shape, geo)
    return engine.record("max_pool_grad", [dy], dx, lambda d: (_gather_argmax(argmax, d, geo),))


def _gather_argmax(argmax, dx, geo):
    """The adjoint of max_pool_grad: dx read at each window's argmax (the gather kernel on
    [N, H*W*C] rows; the argmax is in range by construction, no host check needed)."""
    n = geo.in_shape[0]
    y = _core.launch("max_pool", "gather", [dx, argmax], geo.pooled_shape(), dtypes.FLOAT32,
                     batch=n, pre=1, axis_len=_core.size_of(geo.in_shape[1:]),
                     count=_core.size_of(geo.pooled_shape()[1:]), inner=1)
    return engine.record("max_pool_grad_adjoint", [dx], y,
                         lambda d: (_max_adjoint(argmax, d, geo),))


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
    from .shape import transpose
    (x,) = _core.tensors(op, x)
    if x.dtype != dtypes.FLOAT32:
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
    from .shape import reshape, transpose
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
    from .reduction import mean
    return _global("global_avg_pool", mean, x, data_format, keepdims)


def global_max_pool(x, data_format="NHWC", keepdims=False):
    """The max over all spatial axes of a rank 3 or 4 tensor."""
    from .reduction import max as reduce_max
    return _global("global_max_pool", reduce_max, x, data_format, keepdims)
