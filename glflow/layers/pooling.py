"""Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and their Global* forms.

Each layer is one glflow op (max_pool / avg_pool, their 1-D forms, global_avg_pool /
global_max_pool); window strides default to the pool size (non-overlapping windows), as in
Keras.
"""
from .. import ops
from . import conv_utils as cu
from .base import Layer
from .shapes import InputSpec


class _Pooling(Layer):
    RANK = 2
    OP = None  # the glflow op: max_pool, avg_pool, max_pool1d, avg_pool1d

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size = cu.int_tuple(self, "pool_size", pool_size, self.RANK)
        self.strides = (self.pool_size if strides is None
                        else cu.int_tuple(self, "strides", strides, self.RANK))
        self.padding = cu.padding_mode(self, padding)
        self.data_format = cu.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.RANK + 2)

    def call(self, inputs):
        pool = getattr(ops, self.OP)
        size, strides = self.pool_size, self.strides
        if self.RANK == 1:
            size, strides = size[0], strides[0]
        return pool(inputs, size, strides=strides, padding=self.padding,
                    data_format=cu.op_format(self.data_format, self.RANK))

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, self.RANK + 2, f"{self.RANK}-D")
        spatial = [cu.conv_output_length(d, k, self.padding, s) for d, k, s in
                   zip(cu.spatial_dims(input_shape, self.data_format), self.pool_size,
                       self.strides)]
        channels = input_shape[cu.channel_axis(self.data_format)]
        return cu.with_spatial(input_shape, self.data_format, spatial, channels)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format)
        return config


class MaxPooling1D(_Pooling):
    RANK, OP = 1, "max_pool1d"


class AveragePooling1D(_Pooling):
    RANK, OP = 1, "avg_pool1d"


class MaxPooling2D(_Pooling):
    RANK, OP = 2, "max_pool"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    RANK, OP = 2, "avg_pool"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    RANK = 2
    OP = None  # global_avg_pool or global_max_pool: a mean/max over the spatial axes

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = cu.data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.RANK + 2)

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        pool = getattr(ops, self.OP)
        return pool(x, data_format=cu.op_format(self.data_format, self.RANK),
                    keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, self.RANK + 2, f"{self.RANK}-D")
        first = 1 if self.data_format == "channels_last" else 2
        axes = range(first, first + self.RANK)
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling1D(_GlobalPooling):
    RANK, OP = 1, "global_avg_pool"


class GlobalMaxPooling1D(_GlobalPooling):
    RANK, OP = 1, "global_max_pool"


class GlobalAveragePooling2D(_GlobalPooling):
    RANK, OP = 2, "global_avg_pool"


class GlobalMaxPooling2D(_GlobalPooling):
    RANK, OP = 2, "global_max_pool"
