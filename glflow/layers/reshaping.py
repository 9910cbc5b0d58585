"""Reshaping layers: ZeroPadding2D, UpSampling2D (nearest, bilinear), Cropping1D/2D and
RepeatVector."""
import numbers

from .. import ops
from . import conv_utils as cu
from .base import Layer
from .shapes import InputSpec


def _padding_pairs(layer, padding, arg="padding"):
    """int | (rows, cols) | ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    def bad():
        return ValueError(f"{cu.where(layer)}: {arg} must be an int, (rows, cols) or "
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


def _pair(layer, value):
    """int | (start, end) -> (start, end), ints >= 0."""
    pair = (value, value) if isinstance(value, numbers.Integral) else value
    try:
        start, end = pair
    except (TypeError, ValueError):
        start = end = None
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0
               for v in (start, end)):
        raise ValueError(f"{cu.where(layer)}: cropping must be an int or (start, end) ints "
                         f">= 0, got {value!r}")
    return int(start), int(end)


class Cropping1D(Layer):
    """Remove `cropping` = (start, end) steps (or one int for both) from [batch, steps, ...]."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pair(self, cropping)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        (start, end), = _crops(self, inputs.shape, [1], [self.cropping])
        return inputs[:, start:end]

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, 3, "[batch, steps, features]")
        return (input_shape[0], _cropped(self, input_shape[1], self.cropping), input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["cropping"] = list(self.cropping)
        return config


class Cropping2D(Layer):
    """Remove rows and columns from the edges of images: cropping is an int, (rows, cols)
    or ((top, bottom), (left, right))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _padding_pairs(self, cropping, "cropping")
        self.data_format = cu.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        axes = [1, 2] if self.data_format == "channels_last" else [2, 3]
        (top, bottom), (left, right) = _crops(self, inputs.shape, axes, self.cropping)
        if self.data_format == "channels_last":
            return inputs[:, top:bottom, left:right]
        return inputs[:, :, top:bottom, left:right]

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, 4, "image")
        spatial = [_cropped(self, d, c) for d, c in
                   zip(cu.spatial_dims(input_shape, self.data_format), self.cropping)]
        channels = input_shape[cu.channel_axis(self.data_format)]
        return cu.with_spatial(input_shape, self.data_format, spatial, channels)

    def get_config(self):
        config = super().get_config()
        config.update(cropping=[list(c) for c in self.cropping], data_format=self.data_format)
        return config


def _cropped(layer, size, crop):
    if size is None:
        return None
    if sum(crop) >= size:
        raise ValueError(f"{cu.where(layer)}: cropping {list(crop)} leaves nothing of an axis "
                         f"of size {size}")
    return size - sum(crop)


def _crops(layer, shape, axes, crops):
    """(start, stop) slice bounds per cropped axis, checked against the real sizes."""
    bounds = []
    for axis, (before, after) in zip(axes, crops):
        _cropped(layer, shape[axis], (before, after))  # refuses a crop that leaves nothing
        bounds.append((before, shape[axis] - after))
    return bounds


class RepeatVector(Layer):
    """[batch, features] -> [batch, n, features]: the vector repeated n times (e.g. to feed
    one encoding to every step of a decoder RNN)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"{cu.where(self)}: n must be a positive int, got {n!r}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        batch, features = inputs.shape
        return ops.broadcast_to(ops.reshape(inputs, [batch, 1, features]),
                                [batch, self.n, features])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
