"""Model: a Layer that trains. Three ways to make one, as in Keras:

    Model(inputs, outputs)            functional: a graph of layer calls on Input() tensors
    class Net(Model): def call(...)   subclassed: any Python code in call()
    Sequential([...])                 a stack (glflow/models/sequential.py)
"""
from .. import ops
from ..autodiff import no_record
from ..tensor import tidy
from ..layers.base import Layer
from ..layers.shapes import flatten_shapes
from .graph import Graph
from .json_config import model_to_json
from .saving import load_weights, save_model, save_weights
from .summary import summary
from .training import Trainer


class Model(Trainer, Layer):
    def __init__(self, *args, **kwargs):
        if len(args) > 2:
            raise TypeError("Model: expected Model(inputs, outputs, name=None)")
        inputs = args[0] if args else kwargs.pop("inputs", None)
        outputs = args[1] if len(args) > 1 else kwargs.pop("outputs", None)
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError(f"Model {self.name!r}: give both inputs and outputs")
            self._graph = Graph(self.name, inputs, outputs)
            for layer in self._graph.layers:
                self._track(layer)
            self.built = True
            shapes = [t.shape for t in self._graph.inputs]
            self._build_input_shape = shapes[0] if len(shapes) == 1 else shapes

    # ------------------------------------------------------------------ structure
    @property
    def layers(self):
        if self._graph is not None:
            return list(self._graph.layers)
        return list(self._sublayers)

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"{self.name}.get_layer: index {index} out of range for "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{self.name}.get_layer: no layer named {name!r}; layers: "
                         f"{[layer.name for layer in layers]}")

    @property
    def inputs(self):
        return None if self._graph is None else list(self._graph.inputs)

    @property
    def outputs(self):
        return None if self._graph is None else list(self._graph.outputs)

    @property
    def input_names(self):
        return None if self._graph is None else self._graph.input_names

    @property
    def output_names(self):
        if self._graph is not None:
            return self._graph.output_names
        return None

    @property
    def input_shape(self):
        shape = self._build_input_shape
        if shape is None:
            raise AttributeError(f"Model {self.name!r} is not built: its input shape is unknown")
        return shape

    @property
    def output_shape(self):
        return self.compute_output_shape(self.input_shape)

    # ------------------------------------------------------------------ running
    def call(self, inputs, training=None):
        if self._graph is None:
            raise NotImplementedError(f"Model {self.name!r}: subclass Model and define call(), "
                                      "or make it with Model(inputs, outputs)")
        return self._graph.run(inputs)

    def _maybe_build(self, input_shape):
        # subclassed models build their layers lazily inside the first call
        if not self.built:
            self.built = True
            self._build_input_shape = input_shape

    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` by running the model once on zeros
        (unknown dimensions taken as 1)."""
        if self._graph is not None:
            return
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], int):
            input_shape = tuple(input_shape)
        probe = _zeros_like_shape(input_shape)
        with tidy(), no_record():
            self(probe)
        self.built = True
        self._build_input_shape = input_shape

    def compute_output_shape(self, input_shape):
        if self._graph is not None:
            return self._graph.output_shapes(input_shape)
        return Layer.compute_output_shape(self, input_shape)

    # ------------------------------------------------------------------ config
    def get_config(self):
        if self._graph is None:
            return Layer.get_config(self)
        config = {"name": self.name, "trainable": self._trainable}
        config.update(self._graph.get_config())
        return config

    @classmethod
    def from_config(cls, config):
        if "layers" not in config or "nodes" not in config:
            return cls(**config)
        inputs, outputs = Graph.from_config(config)
        model = cls(inputs, outputs, name=config.get("name"))
        if not config.get("trainable", True):  # True must not override frozen sublayers
            model.trainable = False
        return model

    def to_json(self, **json_kwargs):
        """The architecture as JSON (Keras layout); gf.models.model_from_json rebuilds it."""
        return model_to_json(self, **json_kwargs)

    def summary(self, line_length=None, print_fn=None):
        return summary(self, line_length=line_length, print_fn=print_fn)

    def save(self, filepath, include_optimizer=True):
        save_model(self, filepath, include_optimizer=include_optimizer)

    def save_weights(self, filepath):
        save_weights(self, filepath)

    def load_weights(self, filepath):
        load_weights(self, filepath)


def _zeros_like_shape(shape):
    if isinstance(shape, tuple):
        return ops.zeros([1 if d is None else d for d in shape])
    if isinstance(shape, dict):
        return {k: _zeros_like_shape(v) for k, v in shape.items()}
    if isinstance(shape, list) and flatten_shapes(shape):
        return [_zeros_like_shape(s) for s in shape]
    raise ValueError(f"Model.build: expected an input shape such as (None, 4), got {shape!r}")

