"""Spatial reshaping layers: ZeroPadding2D and UpSampling2D (nearest, bilinear)."""
import numbers

from .. import ops
from . import conv_utils as cu
from .base import Layer
from .shapes import InputSpec


def _padding_pairs(layer, padding):
    """int | (rows, cols) | ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    def bad():
        return ValueError(f"{cu.where(layer)}: padding must be an int, (rows, cols) or "
                          f"((top, bottom), (left, right)) of ints >= 0, got {padding!r}")

    def count(v):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
            raise bad()
        return int(v)

    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = count(padding)
        return (p, p), (p, p)
    try:
        rows, cols = padding
    except (TypeError, ValueError):
        raise bad() from None
    pairs = []
    for item in (rows, cols):
        if isinstance(item, numbers.Integral):
            pairs.append((count(item), count(item)))
        else:
            try:
                before, after = item
            except (TypeError, ValueError):
                raise bad() from None
            pairs.append((count(before), count(after)))
    return tuple(pairs)


class ZeroPadding2D(Layer):
    """Zeros around the rows and columns of images ([N, H, W, C] or [N, C, H, W])."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _padding_pairs(self, padding)
        self.data_format = cu.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        none = (0, 0)
        if self.data_format == "channels_last":
            pairs = [none, *self.padding, none]
        else:
            pairs = [none, none, *self.padding]
        return ops.pad(inputs, pairs)

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, 4, "image")
        spatial = [None if d is None else d + b + a
                   for d, (b, a) in zip(cu.spatial_dims(input_shape, self.data_format),
                                        self.padding)]
        channels = input_shape[cu.channel_axis(self.data_format)]
        return cu.with_spatial(input_shape, self.data_format, spatial, channels)

    def get_config(self):
        config = super().get_config()
        config.update(padding=[list(p) for p in self.padding], data_format=self.data_format)
        return config


class UpSampling2D(Layer):
    """Repeat rows and columns by `size` (interpolation='nearest'), or resize bilinearly to
    that size with half-pixel centres (interpolation='bilinear', as Keras/TF2 resize)."""

    INTERPOLATIONS = ("nearest", "bilinear")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = cu.int_tuple(self, "size", size, 2)
        self.data_format = cu.data_format(self, data_format)
        if interpolation not in self.INTERPOLATIONS:
            raise ValueError(f"{cu.where(self)}: interpolation must be 'nearest' or "
                             f"'bilinear', got {interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first":
            x = ops.transpose(x, [0, 2, 3, 1])
        if self.interpolation == "nearest":
            y = self._repeat(x)
        else:
            n, h, w, c = x.shape
            y = ops.resize_bilinear(x, (h * self.size[0], w * self.size[1]),
                                    half_pixel_centers=True)
        if self.data_format == "channels_first":
            y = ops.transpose(y, [0, 3, 1, 2])
        return y

    def _repeat(self, x):
        # nearest upsampling by an integer factor is a broadcast of [N, H, 1, W, 1, C] to
        # [N, H, sh, W, sw, C]: one copy pass, and the gradient is broadcast's sum
        n, h, w, c = x.shape
        sh, sw = self.size
        if (sh, sw) == (1, 1):
            return x
        y = ops.broadcast_to(ops.reshape(x, [n, h, 1, w, 1, c]), [n, h, sh, w, sw, c])
        return ops.reshape(y, [n, h * sh, w * sw, c])

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, 4, "image")
        spatial = [None if d is None else d * s
                   for d, s in zip(cu.spatial_dims(input_shape, self.data_format), self.size)]
        channels = input_shape[cu.channel_axis(self.data_format)]
        return cu.with_spatial(input_shape, self.data_format, spatial, channels)

    def get_config(self):
        config = super().get_config()
        config.update(size=list(self.size), data_format=self.data_format,
                      interpolation=self.interpolation)
        return config
