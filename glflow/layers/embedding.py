"""Embedding: integer ids -> rows of a trainable [input_dim, output_dim] table."""
import numpy as np

from .. import ops
from . import initializers, regularizers
from .base import Layer
from .shapes import show


class Embedding(Layer):
    """ids of any shape -> ids.shape + [output_dim], by gathering rows of `embeddings`.
    Its gradient is a scatter-add into the rows that were used.

    mask_zero=True treats id 0 as padding: the output carries a `_keras_mask` (ids != 0) that
    the recurrent layers read, so padded steps are skipped (id 0 then cannot be a word, and
    input_dim must count it)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, mask_zero=False, input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs and \
                "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (int(input_length),)
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Embedding layer {self.name!r}: {arg} must be a positive "
                                 f"int, got {value!r}")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        # Keras' "uniform" for embeddings means U(-0.05, 0.05), glflow's RandomUniform default
        if embeddings_initializer == "uniform":
            embeddings_initializer = initializers.RandomUniform()
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self.input_length = None if input_length is None else int(input_length)

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          self.embeddings_regularizer)

    def call(self, inputs):
        self._check_length(tuple(inputs.shape))
        ids = inputs if inputs.dtype == "int32" else ops.cast(inputs, "int32")
        try:
            out = ops.gather(self.embeddings, ids)
        except IndexError as exc:
            raise IndexError(f"Embedding layer {self.name!r}: ids must lie in [0, "
                             f"input_dim={self.input_dim}) for inputs of shape "
                             f"{show(inputs.shape)} ({exc})") from None
        if self.mask_zero:
            out._keras_mask = self.compute_mask(ids)
        return out

    def compute_mask(self, inputs, mask=None):
        """Where the ids are not the padding id 0 (None without mask_zero)."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, tuple):
            raise ValueError(f"Embedding layer {self.name!r}: expects one tensor of ids, got "
                             f"input shape {input_shape}")
        self._check_length(input_shape)
        return tuple(input_shape) + (self.output_dim,)

    def _check_length(self, shape):
        if (self.input_length is not None and len(shape) == 2
                and shape[1] not in (None, self.input_length)):
            raise ValueError(f"Embedding layer {self.name!r}: input_length is "
                             f"{self.input_length}, got ids of shape {show(shape)}")

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=initializers.serialize(
                          self.embeddings_initializer),
                      embeddings_regularizer=regularizers.serialize(
                          self.embeddings_regularizer),
                      mask_zero=self.mask_zero, input_length=self.input_length)
        return config
