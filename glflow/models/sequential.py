"""Sequential: a plain stack of single-input, single-output layers."""
from ..layers import serialization
from ..layers.base import Layer
from ..layers.core import InputLayer
from ..layers.node import KerasTensor
from .functional import Model


class Sequential(Model):
    """Sequential([Input((4,)), Dense(8, activation='relu'), Dense(1)]). With a known input
    shape (an Input/InputLayer first, or input_shape= on the first layer) the model builds
    at once; otherwise on its first call."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._input_layer = None
        self._stack = []
        self._output_shapes = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
            if not isinstance(layer, InputLayer):
                raise TypeError(f"Sequential {self.name!r}: only Input() tensors can be added, "
                                f"not outputs of {layer.name!r}")
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential {self.name!r}: add() expects a Layer, got "
                            f"{type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(f"Sequential {self.name!r}: an Input must come first")
            self._input_layer = layer
        else:
            if any(layer.name == other.name for other in self._stack):
                raise ValueError(f"Sequential {self.name!r}: two layers are named "
                                 f"{layer.name!r}; layer names must be unique in a model")
            self._stack.append(layer)
        self._track(layer)
        self.built = False
        shape = self._known_input_shape()
        if shape is not None and self._stack:
            self.build(shape)

    def pop(self):
        if not self._stack:
            raise IndexError(f"Sequential {self.name!r}: no layers to pop")
        layer = self._stack.pop()
        self._sublayers = [s for s in self._sublayers if s is not layer]
        self._output_shapes = self._output_shapes[:len(self._stack)]
        return layer

    @property
    def layers(self):
        return list(self._stack)

    def _known_input_shape(self):
        if self._input_layer is not None:
            return self._input_layer._batch_input_shape
        if self._stack and self._stack[0]._batch_input_shape is not None:
            return self._stack[0]._batch_input_shape
        return None

    def build(self, input_shape=None):
        """Build every layer in turn from the input shape (no data needed)."""
        shape = tuple(input_shape) if input_shape is not None else self._known_input_shape()
        if shape is None:
            raise ValueError(f"Sequential {self.name!r}: the input shape is unknown; pass "
                             "build(input_shape) or start the model with Input(shape)")
        self._build_input_shape = shape
        self._output_shapes = []
        for layer in self._stack:
            layer._maybe_build(shape)
            layer._check_inputs(shape)
            shape = layer.compute_output_shape(shape)
            if not isinstance(shape, tuple):
                raise ValueError(  # noqa: TRY004 - a shape problem, not a type one
                    f"Sequential {self.name!r}: layer {layer.name!r} has several "
                    "outputs; use the functional Model for that")
            self._output_shapes.append(shape)
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:  # first call on data: any batch size may follow
            self.build((None,) + tuple(input_shape[1:]) if isinstance(input_shape, tuple)
                       else input_shape)

    def call(self, inputs, training=None):
        x = inputs
        if self._input_layer is not None:
            x = self._input_layer(x)
        for layer in self._stack:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_layer is not None else None

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else None

    def get_config(self):
        layers = [serialization.serialize(layer) for layer in
                  ([self._input_layer] if self._input_layer is not None else []) + self._stack]
        config = {"name": self.name, "trainable": self._trainable, "layers": layers}
        if self._input_layer is None and self.built:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        try:
            model = cls(name=config.get("name"))
            for entry in config["layers"]:
                model.add(serialization.deserialize(entry))
            if config.get("build_input_shape") is not None and not model.built:
                model.build(tuple(config["build_input_shape"]))
            if not config.get("trainable", True):  # True must not override frozen sublayers
                model.trainable = False
        except (KeyError, TypeError) as exc:
            raise ValueError(f"Sequential config is malformed: {type(exc).__name__}: {exc}") \
                from None
        return model
