"""Activation layers with parameters (Keras's "advanced activations"): ReLU, LeakyReLU,
PReLU, ELU and Softmax. Each is one glflow op where one exists (relu, relu6, leaky_relu,
prelu, elu, softmax) and a short composition otherwise."""
import numbers

from .. import ops
from . import initializers, regularizers
from .base import Layer

# Softmax adds this to the logits a mask hides (Keras's choice for float32): exp() of it
# underflows to 0, while masked logits stay finite so gradients do too.
MASKED_LOGIT = -1e9


def _number(layer, arg, value, minimum=None):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or (
            minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: {arg} must be a number"
                         f"{bound}, got {value!r}")
    return float(value)


class _Elementwise(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """max_value where x >= max_value; x where threshold <= x < max_value; negative_slope *
    (x - threshold) below the threshold. The defaults are plain relu."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _number(self, "max_value", max_value, 0)
        self.negative_slope = _number(self, "negative_slope", negative_slope, 0)
        self.threshold = _number(self, "threshold", threshold)

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        if self.threshold == 0.0 and self.negative_slope == 0.0:
            if self.max_value == 6.0:
                return ops.relu6(x)
            y = ops.relu(x)
        elif self.threshold == 0.0:
            y = ops.leaky_relu(x, self.negative_slope)
        else:
            below = ops.mul(ops.sub(x, self.threshold), self.negative_slope)
            y = ops.where(ops.greater_equal(x, self.threshold), x, below)
        return y if self.max_value is None else ops.minimum(y, self.max_value)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class LeakyReLU(_Elementwise):
    """x for x > 0, negative_slope * x otherwise (Keras's default slope 0.3; Keras 2's
    `alpha=` is accepted for it)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _number(self, "negative_slope", negative_slope, 0)

    def call(self, inputs):
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class PReLU(_Elementwise):
    """Leaky relu with a learned slope per input position: x for x > 0, alpha * x otherwise.
    alpha has the input's shape without the batch axis; `shared_axes` (counted from 1, as in
    Keras) share one slope along those axes, e.g. [1, 2] for one slope per image channel."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = ()
        else:
            axes = (shared_axes,) if isinstance(shared_axes, int) else tuple(shared_axes)
            if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(f"PReLU {self.name!r}: shared_axes must be axes >= 1 (the "
                                 f"batch axis is 0), got {shared_axes!r}")
            self.shared_axes = axes

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes:
            if axis > len(shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {axis} is beyond inputs of "
                                 f"shape {list(input_shape)}")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU {self.name!r}: every axis without a shared slope must "
                             f"have a known size, got input shape {list(input_shape)}")
        self.alpha = self.add_weight("alpha", shape, self.alpha_initializer,
                                     self.alpha_regularizer)

    def call(self, inputs):
        return ops.prelu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config.update(alpha_initializer=initializers.serialize(self.alpha_initializer),
                      alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
                      shared_axes=list(self.shared_axes) or None)
        return config


class ELU(_Elementwise):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number(self, "alpha", alpha)

    def call(self, inputs):
        return ops.elu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(_Elementwise):
    """softmax over `axis` (an int or a tuple of axes). call(x, mask) leaves out the
    positions where mask is False (they get probability ~0)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ValueError(f"Softmax {self.name!r}: axis must be an int or a tuple of ints, "
                             f"got {axis!r}")
        self.axis = axes[0] if isinstance(axis, int) else axes

    def call(self, inputs, mask=None):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        if mask is not None:
            mask = ops.convert(mask, f"Softmax {self.name!r}")
            hidden = ops.sub(1.0, ops.cast(mask, "float32"))
            x = ops.add(x, ops.mul(hidden, MASKED_LOGIT))
        if isinstance(self.axis, int):
            return ops.softmax(x, self.axis)
        return ops.exp(ops.sub(x, ops.logsumexp(x, axis=list(self.axis), keepdims=True)))

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis if isinstance(self.axis, int) else list(self.axis)
        return config
