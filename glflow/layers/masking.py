"""Masking: mark the time steps of padded sequences that recurrent layers should skip."""
import numbers

from .. import ops
from .base import Layer
from .shapes import InputSpec


class Masking(Layer):
    """[batch, steps, features] inputs: a step whose features all equal mask_value is
    masked. The output is the input with masked steps zeroed, carrying the mask as
    `_keras_mask` ([batch, steps] bool), which SimpleRNN, GRU, LSTM and Attention read: a
    masked step leaves a recurrent state unchanged, as in Keras."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(mask_value, numbers.Real) or isinstance(mask_value, bool):
            raise ValueError(f"Masking {self.name!r}: mask_value must be a number, got "
                             f"{mask_value!r}")
        self.mask_value = float(mask_value)
        self.input_spec = InputSpec(min_ndim=2)

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        mask = self.compute_mask(x)
        out = ops.mul(x, ops.expand_dims(ops.cast(mask, "float32"), -1))
        out._keras_mask = mask
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
