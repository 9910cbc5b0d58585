"""3-D (volumetric) layers on [batch, depth, height, width, channels] inputs: Conv3D,
MaxPooling3D, AveragePooling3D, GlobalAverage/MaxPooling3D.

glflow has no 3-D kernel; each layer is composed from the 2-D ops, exactly:
- Conv3D: the depth axis folds into the batch. For each depth tap i of the kernel, the
  depth slices the tap meets (every stride-th, from i * dilation) go through one conv2d with
  the kernel's 2-D slice i, and the taps' results add up: kernel_depth conv2d passes.
- Pooling: a 2-D pool over height and width with the depth folded into the batch, then a
  max (or a mean over the real, unpadded positions) of depth slices.
Gradients come from the 2-D ops'. Kernels use Keras's layout [KD, KH, KW, Cin, filters].
"""
import numpy as np

from .. import ops
from . import conv_utils as cu
from .base import Layer
from .convolutional import _PlainConv
from .pooling import _Pooling
from .shapes import InputSpec


def _depth_plan(layer, depth, span, stride, padding):
    """(output depth, (pad before, pad after)) along the depth axis, by TF's rules."""
    if padding == "same":
        out = -(-depth // stride)
        total = max((out - 1) * stride + span - depth, 0)
        return out, (total // 2, total - total // 2)
    if depth < span:
        raise ValueError(f"{cu.where(layer)}: a window spanning {span} depth slices does not "
                         f"fit inputs of depth {depth} with padding='valid'")
    return (depth - span) // stride + 1, (0, 0)


def _depth_slices(x, count, out_depth, stride, dilation=1):
    """For each tap i < count: x[:, i * dilation :: stride] limited to out_depth slices."""
    return [x[:, i * dilation:i * dilation + (out_depth - 1) * stride + 1:stride]
            for i in range(count)]


def _pad_depth(x, pads, value=0.0):
    if pads == (0, 0):
        return x
    return ops.pad(x, [(0, 0), pads, (0, 0), (0, 0), (0, 0)], constant_values=value)


def _channels_last(layer, x):
    return x if layer.data_format == "channels_last" else ops.transpose(x, [0, 2, 3, 4, 1])


def _back(layer, y):
    return y if layer.data_format == "channels_last" else ops.transpose(y, [0, 4, 1, 2, 3])


class Conv3D(_PlainConv):
    """3-D convolution over volumes [N, D, H, W, C] (or [N, C, D, H, W]); kernel
    [KD, KH, KW, Cin // groups, filters]."""

    RANK = 3

    def _convolve(self, x):
        x = _channels_last(self, x)
        n, depth, h, w, c = x.shape
        (kd, _, _), (sd, sh, sw) = self.kernel_size, self.strides
        rd, rh, rw = self.dilation_rate
        out_depth, pads = _depth_plan(self, depth, (kd - 1) * rd + 1, sd, self.padding)
        x = _pad_depth(x, pads)
        total = None
        for tap, slab in zip(ops.unstack(self.kernel, axis=0),
                             _depth_slices(x, kd, out_depth, sd, rd)):
            part = ops.conv2d(ops.reshape(slab, [n * out_depth, h, w, c]), tap,
                              strides=(sh, sw), padding=self.padding, dilations=(rh, rw),
                              groups=self.groups)
            total = part if total is None else ops.add(total, part)
        _, out_h, out_w, filters = total.shape
        return _back(self, ops.reshape(total, [n, out_depth, out_h, out_w, filters]))


class _Pooling3D(_Pooling):
    """pool_size, strides, padding, data_format, the output shape and the config as the 1-D
    and 2-D pooling layers have them; the window is pooled as the 2-D op over each depth
    slice, then reduced along depth."""
    RANK = 3
    POOL = None  # the 2-D op: max_pool or avg_pool

    def call(self, inputs):
        x = _channels_last(self, inputs)
        n, depth, h, w, c = x.shape
        (pd, ph, pw), (sd, sh, sw) = self.pool_size, self.strides
        out_depth, pads = _depth_plan(self, depth, pd, sd, self.padding)
        flat = getattr(ops, self.POOL)(ops.reshape(x, [n * depth, h, w, c]), (ph, pw),
                                       strides=(sh, sw), padding=self.padding)
        _, out_h, out_w, _ = flat.shape
        planes = ops.reshape(flat, [n, depth, out_h, out_w, c])
        return _back(self, self._reduce_depth(planes, depth, out_depth, pads))

    def _reduce_depth(self, planes, depth, out_depth, pads):
        raise NotImplementedError


class MaxPooling3D(_Pooling3D):
    """The maximum of each pool_size window; 'same' padding never wins (padded slices hold
    -inf)."""

    POOL = "max_pool"

    def _reduce_depth(self, planes, depth, out_depth, pads):
        slices = _depth_slices(_pad_depth(planes, pads, -np.inf), self.pool_size[0],
                               out_depth, self.strides[0])
        out = slices[0]
        for s in slices[1:]:
            out = ops.maximum(out, s)
        return out


class AveragePooling3D(_Pooling3D):
    """The mean of each window over its real (unpadded) positions, as TF's 'same' pooling:
    the 2-D pool already averages a depth slice's real positions, so the 3-D mean is the
    mean of those over the window's real depth slices."""

    POOL = "avg_pool"

    def _reduce_depth(self, planes, depth, out_depth, pads):
        pd, sd = self.pool_size[0], self.strides[0]
        slices = _depth_slices(_pad_depth(planes, pads), pd, out_depth, sd)
        starts = np.arange(out_depth) * sd - pads[0]
        counts = np.minimum(starts + pd, depth) - np.maximum(starts, 0)
        scale = ops.tensor((1.0 / counts).astype(np.float32).reshape(1, out_depth, 1, 1, 1))
        return ops.mul(ops.add_n(slices) if len(slices) > 1 else slices[0], scale)


class _GlobalPooling3D(Layer):
    REDUCE = None  # mean or max

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = cu.data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=5)

    def _axes(self):
        return [1, 2, 3] if self.data_format == "channels_last" else [2, 3, 4]

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        return getattr(ops, self.REDUCE)(x, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, 5, "3-D")
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling3D(_GlobalPooling3D):
    REDUCE = "mean"


class GlobalMaxPooling3D(_GlobalPooling3D):
    REDUCE = "max"
