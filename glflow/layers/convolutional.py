"""Convolution layers: Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose.

Kernels use the TensorFlow/Keras layouts, so weights move between the two unchanged:
Conv2D [KH, KW, Cin // groups, filters], DepthwiseConv2D [KH, KW, Cin, multiplier],
Conv2DTranspose [KH, KW, filters, Cin]. The convolution itself is one glflow op; the layer
adds the bias (broadcast on the channel axis) and the activation.
"""
from .. import ops
from . import activations, initializers, regularizers
from . import conv_utils as cu
from .base import Layer
from .shapes import InputSpec


class _Conv(Layer):
    """Config, bias and activation shared by every convolution; subclasses make the kernel
    weights in `_build_kernels(channels)`, run the op in `_convolve(x)` and give the output
    channel count and spatial sizes."""

    RANK = 2
    PADDINGS = cu.PADDINGS

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if filters is not None and (isinstance(filters, bool) or not isinstance(filters, int)
                                    or filters < 1):
            raise ValueError(f"{cu.where(self)}: filters must be a positive int, got "
                             f"{filters!r}")
        self.filters = filters
        self.kernel_size = cu.int_tuple(self, "kernel_size", kernel_size, self.RANK)
        self.strides = cu.int_tuple(self, "strides", strides, self.RANK)
        self.padding = cu.padding_mode(self, padding, self.PADDINGS)
        self.data_format = cu.data_format(self, data_format)
        self.dilation_rate = cu.int_tuple(self, "dilation_rate", dilation_rate, self.RANK)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cu.where(self)}: strides {list(self.strides)} > 1 cannot be "
                             f"combined with dilation_rate {list(self.dilation_rate)} > 1")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(ndim=self.RANK + 2)

    # ------------------------------------------------------------------ weights
    def build(self, input_shape):
        cu.check_rank(self, input_shape, self.RANK + 2, f"{self.RANK}-D")
        channels = cu.known_channels(self, input_shape, self.data_format)
        self._build_kernels(channels)
        self.bias = (self.add_weight("bias", (self._out_channels(channels),),
                                     self.bias_initializer, self.bias_regularizer)
                     if self.use_bias else None)
        self.input_spec = InputSpec(ndim=self.RANK + 2,
                                    axes={cu.channel_axis(self.data_format): channels})

    def _build_kernels(self, channels):
        raise NotImplementedError

    def _out_channels(self, channels):
        return self.filters

    # ------------------------------------------------------------------ compute
    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        y = self._convolve(x)
        if self.bias is not None:
            bias = self.bias
            if self.data_format == "channels_first":  # [C] -> [C, 1, ...] to meet axis 1
                bias = ops.reshape(bias, [bias.shape[0]] + [1] * self.RANK)
            y = ops.add(y, bias)
        return self.activation(y)

    def _convolve(self, x):
        raise NotImplementedError

    def _op_format(self):
        return cu.op_format(self.data_format, self.RANK)

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, self.RANK + 2, f"{self.RANK}-D")
        channels = input_shape[cu.channel_axis(self.data_format)]
        spatial = self._out_spatial(cu.spatial_dims(input_shape, self.data_format))
        out_channels = None if channels is None else self._out_channels(channels)
        return cu.with_spatial(input_shape, self.data_format, spatial, out_channels)

    def _out_spatial(self, spatial):
        return [cu.conv_output_length(d, k, self.padding, s, r) for d, k, s, r in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=list(self.kernel_size),
                      strides=list(self.strides), padding=self.padding,
                      data_format=self.data_format, dilation_rate=list(self.dilation_rate),
                      activation=activations.serialize(self.activation), use_bias=self.use_bias,
                      bias_initializer=initializers.serialize(self.bias_initializer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


class _PlainConv(_Conv):
    """Conv1D/Conv2D: one kernel [*kernel_size, Cin // groups, filters]."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer, **kwargs)
        self.groups = cu.int_tuple(self, "groups", groups, 1)[0]
        if filters % self.groups:
            raise ValueError(f"{cu.where(self)}: filters ({filters}) must be divisible by "
                             f"groups ({self.groups})")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

    def _build_kernels(self, channels):
        if channels % self.groups:
            raise ValueError(f"{cu.where(self)}: input channels ({channels}) must be divisible "
                             f"by groups ({self.groups})")
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer,
                                      self.kernel_regularizer)

    def get_config(self):
        config = super().get_config()
        config.update(groups=self.groups,
                      kernel_initializer=initializers.serialize(self.kernel_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer))
        return config


class Conv1D(_PlainConv):
    """1-D convolution over [N, W, C] (or [N, C, W]). padding='causal' pads only the start,
    so output t sees inputs <= t (as in WaveNet and Keras)."""

    RANK = 1
    PADDINGS = ("valid", "same", "causal")

    def _convolve(self, x):
        padding = self.padding
        if padding == "causal":
            axis = 1 if self.data_format == "channels_last" else 2
            pairs = [(0, 0)] * 3
            pairs[axis] = (self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)
            x, padding = ops.pad(x, pairs), "valid"
        return ops.conv1d(x, self.kernel, stride=self.strides[0], padding=padding,
                          data_format=self._op_format(), dilation=self.dilation_rate[0],
                          groups=self.groups)

    def _out_spatial(self, spatial):
        if self.padding != "causal":
            return super()._out_spatial(spatial)
        return [cu.conv_output_length(spatial[0], 1, "valid", self.strides[0])]


class Conv2D(_PlainConv):
    """2-D convolution over images [N, H, W, C] (or [N, C, H, W]), grouped when groups > 1."""

    RANK = 2

    def _convolve(self, x):
        return ops.conv2d(x, self.kernel, strides=self.strides, padding=self.padding,
                          data_format=self._op_format(), dilations=self.dilation_rate,
                          groups=self.groups)


class DepthwiseConv2D(_Conv):
    """Each input channel convolved with its own `depth_multiplier` filters:
    kernel [KH, KW, Cin, depth_multiplier], Cin * depth_multiplier outputs."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer, **kwargs)
        self.depth_multiplier = cu.int_tuple(self, "depth_multiplier", depth_multiplier, 1)[0]
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)

    def _build_kernels(self, channels):
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer)

    def _out_channels(self, channels):
        return channels * self.depth_multiplier

    def _convolve(self, x):
        return ops.depthwise_conv2d(x, self.depthwise_kernel, strides=self.strides,
                                    padding=self.padding, data_format=self._op_format(),
                                    dilations=self.dilation_rate)

    def get_config(self):
        config = super().get_config()
        del config["filters"]
        config.update(depth_multiplier=self.depth_multiplier,
                      depthwise_initializer=initializers.serialize(self.depthwise_initializer),
                      depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer))
        return config


class SeparableConv2D(_Conv):
    """A depthwise convolution followed by a 1x1 convolution to `filters` channels:
    depthwise_kernel [KH, KW, Cin, depth_multiplier], pointwise_kernel
    [1, 1, Cin * depth_multiplier, filters]."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer, **kwargs)
        self.depth_multiplier = cu.int_tuple(self, "depth_multiplier", depth_multiplier, 1)[0]
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)

    def _build_kernels(self, channels):
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, self.pointwise_regularizer)

    def _convolve(self, x):
        return ops.separable_conv2d(x, self.depthwise_kernel, self.pointwise_kernel,
                                    strides=self.strides, padding=self.padding,
                                    data_format=self._op_format(), dilations=self.dilation_rate)

    def get_config(self):
        config = super().get_config()
        config.update(depth_multiplier=self.depth_multiplier,
                      depthwise_initializer=initializers.serialize(self.depthwise_initializer),
                      pointwise_initializer=initializers.serialize(self.pointwise_initializer),
                      depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
                      pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer))
        return config


class Conv2DTranspose(_PlainConv):
    """The gradient of Conv2D with respect to its input, used as a learned upsampler:
    kernel [KH, KW, filters, Cin]; 'valid' gives (H - 1) * stride + KH rows, 'same' H * stride."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, **kwargs)
        if max(self.dilation_rate) > 1:
            raise ValueError(f"{cu.where(self)}: dilation_rate > 1 is not supported, got "
                             f"{list(self.dilation_rate)}")

    def _build_kernels(self, channels):
        shape = self.kernel_size + (self.filters, channels)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer,
                                      self.kernel_regularizer)

    def _out_spatial(self, spatial):
        return [cu.deconv_output_length(d, k, self.padding, s)
                for d, k, s in zip(spatial, self.kernel_size, self.strides)]

    def _convolve(self, x):
        # the op's default output size for 'valid'/'same' is the one _out_spatial gives
        return ops.conv2d_transpose(x, self.kernel, strides=self.strides, padding=self.padding,
                                    data_format=self._op_format())

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        return config

