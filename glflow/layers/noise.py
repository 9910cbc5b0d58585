"""Regularising noise, active only while training (the identity at inference):
SpatialDropout1D/2D drop whole feature maps, GaussianNoise adds N(0, stddev), GaussianDropout
multiplies by N(1, rate / (1 - rate)). A seeded layer draws new noise on every call from its
own stream, as Dropout does."""
import math
import numbers

import numpy as np

from .. import ops
from . import conv_utils as cu
from .base import Layer
from .core import Dropout
from .shapes import InputSpec


class SpatialDropout1D(Dropout):
    """Dropout of whole channels of [batch, steps, channels] inputs: one keep/drop draw per
    (sample, channel), shared by every step, for inputs whose neighbouring steps are
    strongly correlated (where element-wise dropout barely regularises)."""

    def __init__(self, rate, seed=None, **kwargs):
        # None: the input's size there (Dropout's convention)
        super().__init__(rate, noise_shape=(None, 1, None), seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        return config


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps of images: one draw per (sample, channel)."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = cu.data_format(self, data_format)
        self.noise_shape = ((None, 1, 1, None) if self.data_format == "channels_last"
                            else (None, None, 1, 1))
        self.input_spec = InputSpec(ndim=4)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        config["data_format"] = self.data_format
        return config


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _next_seed(self):
        return None if self._rng is None else int(self._rng.integers(2 ** 31 - 1))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config


def _nonnegative(layer, arg, value, upper=None):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0
    if ok and upper is not None:
        ok = value < upper
    if not ok:
        bound = ">= 0" if upper is None else f"in [0, {upper})"
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: {arg} must be a number "
                         f"{bound}, got {value!r}")
    return float(value)


class GaussianNoise(_Noise):
    """inputs + N(0, stddev) noise while training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _nonnegative(self, "stddev", stddev)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0.0:
            return inputs
        noise = ops.random_normal(inputs.shape, 0.0, self.stddev, seed=self._next_seed())
        return ops.add(inputs, noise)

    def get_config(self):
        config = super().get_config()
        config["stddev"] = self.stddev
        return config


class GaussianDropout(_Noise):
    """inputs * N(1, rate / (1 - rate)) noise while training: the variance of Dropout(rate)
    with a mean-preserving continuous mask."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _nonnegative(self, "rate", rate, 1.0)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = ops.random_normal(inputs.shape, 1.0, stddev, seed=self._next_seed())
        return ops.mul(inputs, noise)

    def get_config(self):
        config = super().get_config()
        config["rate"] = self.rate
        return config
