"""Core layers: Input/InputLayer, Dense, Activation, Dropout, Flatten, Reshape, Permute, Lambda."""
import math

import numpy as np

from .. import ops
from ..runtime import dtypes
from . import activations, initializers, regularizers
from .base import Layer
from .node import KerasTensor, Node
from .serialization import lookup_custom_object
from .shapes import InputSpec, show


class InputLayer(Layer):
    """The entry of a functional model: owns the KerasTensor that `Input` returns. Its dtype
    is the data's (float32, int32 ids for an Embedding, bool); data of another dtype is cast
    to it, as in Keras. Layers after it compute in float32."""

    def __init__(self, shape=None, batch_size=None, batch_shape=None, name=None, dtype=None,
                 input_shape=None, batch_input_shape=None, **kwargs):
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        shape = shape if shape is not None else input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: give shape (without the batch dimension) or "
                                 "batch_shape")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        if any(d is not None and d < 0 for d in batch_shape):
            raise ValueError(f"InputLayer: negative dimension in shape {show(batch_shape)}")
        super().__init__(name=name, batch_input_shape=batch_shape, **kwargs)
        self.dtype = dtypes.normalize(dtype, f"Input {self.name!r}") or dtypes.FLOAT32
        self.built = True
        self.output = KerasTensor(batch_shape, dtype=self.dtype, name=self.name,
                                  history=(self, 0, 0))
        self._inbound_nodes.append(Node(self, [], [self.output], {}))

    def call(self, inputs):
        want, got = self._batch_input_shape, tuple(inputs.shape)
        if len(got) != len(want) or any(w is not None and w != g for w, g in zip(want, got)):
            raise ValueError(f"Input {self.name!r} expects shape {show(want)}, got data of "
                             f"shape {show(got)}")
        return inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "batch_shape": list(self._batch_input_shape)}


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """A symbolic input of `shape` (batch dimension excluded) for functional models."""
    return InputLayer(shape=shape, batch_size=batch_size, batch_shape=batch_shape, name=name,
                      dtype=dtype).output


class Dense(Layer):
    """activation(inputs @ kernel + bias) on the last axis; inputs of rank > 2 keep their
    leading axes."""

    # activations fused_matmul applies in its own epilogue (no extra pass on GL)
    _FUSABLE = ("linear", "relu", "relu6", "sigmoid", "tanh")

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense {self.name!r}: units must be a positive int, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense {self.name!r}: needs inputs of rank >= 2 with a known last "
                             f"axis, got shape {input_shape}")
        in_dim = input_shape[-1]
        self.kernel = self.add_weight("kernel", (in_dim, self.units), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.bias = (self.add_weight("bias", (self.units,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        lead = list(x.shape[:-1])
        if x.rank > 2:  # sizes, not -1: an empty feature axis leaves -1 undetermined
            x = ops.reshape(x, [math.prod(lead), x.shape[-1]])
        name = getattr(self.activation, "__name__", None)
        fused = (name in self._FUSABLE and self.activation is activations.ACTIVATIONS[name]
                 and hasattr(ops, "fused_matmul"))
        if fused:
            y = ops.fused_matmul(x, self.kernel, bias=self.bias, activation=name)
        else:
            y = ops.matmul(x, self.kernel)
            if self.bias is not None:
                y = ops.add(y, self.bias)
            y = self.activation(y)
        if len(lead) > 1:
            y = ops.reshape(y, lead + [self.units])
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=activations.serialize(self.activation),
                      use_bias=self.use_bias,
                      kernel_initializer=initializers.serialize(self.kernel_initializer),
                      bias_initializer=initializers.serialize(self.bias_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Zeroes a `rate` fraction of values while training and scales the rest by 1/(1-rate);
    the identity at inference. A seeded layer draws a new mask each call from its own stream."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout {self.name!r}: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        noise_shape = self.noise_shape
        if noise_shape is not None:  # None entries take the input's size (Keras convention)
            noise_shape = [d if n is None else n for n, d in zip(noise_shape, inputs.shape)]
        # a callable seed is drawn when the mask is: on every call, also compiled ones
        seed = None if self._rng is None else self._next_seed
        return ops.dropout(inputs, self.rate, noise_shape=noise_shape, seed=seed)

    def _next_seed(self):
        return int(self._rng.integers(2 ** 31 - 1))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed,
                      noise_shape=None if self.noise_shape is None else list(self.noise_shape))
        return config


class Flatten(Layer):
    """[batch, d1, d2, ...] -> [batch, d1 * d2 * ...]."""

    def call(self, inputs):
        # sizes, not -1: an empty batch leaves -1 undetermined ([0, 3, 4] -> [0, 12])
        shape = inputs.shape
        return ops.reshape(inputs, [shape[0], math.prod(shape[1:])] if inputs.rank > 1
                           else [shape[0], 1])

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(np.prod(rest))
        return (input_shape[0], size if rest else 1)


class Reshape(Layer):
    """Reshape every sample to `target_shape` (the batch axis stays; one -1 allowed)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(d < -1 or d == 0
                                                              for d in self.target_shape):
            raise ValueError(f"Reshape {self.name!r}: target_shape {list(self.target_shape)} "
                             "must hold positive sizes and at most one -1")

    def call(self, inputs):
        return ops.reshape(inputs, [inputs.shape[0]] + list(self.compute_output_shape(
            tuple(inputs.shape))[1:]))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return (input_shape[0],) + self.target_shape
        size = int(np.prod(rest))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        target = list(self.target_shape)
        if -1 in target:
            if size % known:
                raise ValueError(f"Reshape {self.name!r}: cannot reshape samples of shape "
                                 f"{show(rest)} into {target}")
            target[target.index(-1)] = size // known
        elif known != size:
            raise ValueError(f"Reshape {self.name!r}: samples of shape {show(rest)} ({size} "
                             f"values) cannot take target_shape {target} ({known} values)")
        return (input_shape[0],) + tuple(target)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Permute(Layer):
    """Permute the non-batch axes; `dims` counts them from 1 (Keras convention)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute {self.name!r}: dims {list(self.dims)} must be a "
                             f"permutation of 1..{len(self.dims)}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, [0] + list(self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class Lambda(Layer):
    """Wrap `function(inputs, **arguments)` as a layer. To save it, the function must be a
    named function given again at load time through `custom_objects`."""

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda {self.name!r}: function must be callable, got {function!r}")
        self.function = function
        self.output_shape = None if output_shape is None else tuple(output_shape)
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self.output_shape is not None:
            return (_first_batch(input_shape),) + self.output_shape
        return super().compute_output_shape(input_shape)

    def get_config(self):
        name = getattr(self.function, "__name__", "<lambda>")
        if name == "<lambda>":
            raise ValueError(f"Lambda {self.name!r}: a lambda expression cannot be saved; use a "
                             "named function and pass it in custom_objects when loading")
        config = super().get_config()
        config.update(function=name, arguments=self.arguments,
                      output_shape=None if self.output_shape is None else list(self.output_shape))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["function"] = lookup_custom_object(config["function"], "Lambda function")
        return cls(**config)


def _first_batch(shape):
    while not isinstance(shape, tuple):
        shape = shape[0] if not isinstance(shape, dict) else next(iter(shape.values()))
    return shape[0] if shape else None
