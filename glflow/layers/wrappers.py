"""Wrappers: layers that run another layer in a new way.

Bidirectional(rnn)   runs a copy of the recurrent layer forward in time and another backward,
                     and merges the two outputs;
TimeDistributed(l)   applies a layer to every time step: [B, T, ...] -> [B * T, ...] (a free
                     reshape), one call of the layer, and back.
"""
from .. import ops
from . import serialization
from .base import Layer
from .recurrent import states_as_inputs
from .shapes import show


def _sequence_part(shape):
    """The sequence's shape in an input shape that may be [sequence, *states]."""
    return shape[0] if isinstance(shape, list) else shape


class Bidirectional(Layer):
    """merge_mode: 'concat' (last axis, Keras' default), 'sum', 'mul', 'ave', or None (a list
    [forward, backward]). With return_sequences the backward output is flipped back into time
    order before merging, so step t of both halves sees the same input position. With
    return_state the result is [output(s), *forward states, *backward states]; initial_state
    is the forward states followed by the backward ones."""

    MERGE_MODES = ("concat", "sum", "mul", "ave", None)

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        _require_recurrent(layer, "layer")
        config = layer.get_config()
        inner_shape = config.pop("batch_input_shape", None)
        if inner_shape is not None and "input_shape" not in kwargs:
            kwargs.setdefault("batch_input_shape", inner_shape)  # the wrapper takes the input
        super().__init__(**kwargs)
        if merge_mode not in self.MERGE_MODES:
            raise ValueError(f"Bidirectional layer {self.name!r}: merge_mode must be one of "
                             f"{self.MERGE_MODES}, got {merge_mode!r}")
        self.merge_mode = merge_mode
        self._layer_config = serialization.serialize(layer)
        self.forward_layer = type(layer).from_config(dict(config, name="forward_" + layer.name))
        if backward_layer is None:
            backward = dict(config, name="backward_" + layer.name,
                            go_backwards=not layer.go_backwards)
            self.backward_layer = type(layer).from_config(backward)
            self._backward_config = None
        else:
            _require_recurrent(backward_layer, "backward_layer")
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(f"Bidirectional layer {self.name!r}: backward_layer has "
                                     f"{attr}={getattr(backward_layer, attr)}, layer has "
                                     f"{getattr(layer, attr)}; they must agree")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(f"Bidirectional layer {self.name!r}: backward_layer must run "
                                 "the other way in time (opposite go_backwards to layer)")
            self.backward_layer = backward_layer
            self._backward_config = serialization.serialize(backward_layer)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state

    def __call__(self, inputs, *args, **kwargs):
        return states_as_inputs(super().__call__, inputs, args, kwargs)

    def build(self, input_shape):
        sequence = _sequence_part(input_shape)
        self.forward_layer._maybe_build(sequence)
        self.backward_layer._maybe_build(sequence)

    def _split_states(self, initial_state):
        if initial_state is None:
            return None, None
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        half = self.forward_layer.STATES
        if len(states) != 2 * half:
            raise ValueError(f"Bidirectional layer {self.name!r}: initial_state needs {half} "
                             f"forward and {half} backward state(s), got {len(states)} tensors")
        return states[:half], states[half:]

    def call(self, inputs, mask=None, initial_state=None):
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], (list(inputs[1:]) or initial_state)
        forward_state, backward_state = self._split_states(initial_state)
        forward = self.forward_layer(inputs, mask=mask, initial_state=forward_state)
        backward = self.backward_layer(inputs, mask=mask, initial_state=backward_state)
        states = []
        if self.return_state:
            forward, states = forward[0], forward[1:]
            backward, states = backward[0], states + backward[1:]
        if self.return_sequences:
            backward = ops.reverse(backward, axis=1)
        merged = self._merge(forward, backward)
        if not states:
            return merged
        return (merged if isinstance(merged, list) else [merged]) + states

    def _merge(self, forward, backward):
        if self.merge_mode == "concat":
            return ops.concat([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return ops.add(forward, backward)
        if self.merge_mode == "mul":
            return ops.mul(forward, backward)
        if self.merge_mode == "ave":
            return ops.mul(ops.add(forward, backward), 0.5)
        return [forward, backward]

    def compute_output_shape(self, input_shape):
        inner = self.forward_layer.compute_output_shape(_sequence_part(input_shape))
        output, states = (inner[0], inner[1:]) if self.return_state else (inner, [])
        if self.merge_mode == "concat":
            merged = [output[:-1] + (output[-1] * 2,)]
        elif self.merge_mode is None:
            merged = [output, output]
        else:
            merged = [output]
        shapes = merged + list(states) * 2
        return shapes[0] if len(shapes) == 1 else shapes

    def get_config(self):
        config = super().get_config()
        config.update(layer=self._layer_config, merge_mode=self.merge_mode)
        if self._backward_config is not None:
            config["backward_layer"] = self._backward_config
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = serialization.deserialize(config["backward_layer"])
        return cls(**config)


def _require_recurrent(layer, arg):
    if not isinstance(layer, Layer) or not all(
            hasattr(layer, a) for a in ("go_backwards", "return_sequences", "return_state")):
        raise TypeError(f"Bidirectional: {arg} must be a recurrent layer (SimpleRNN, GRU, "
                        f"LSTM), got {type(layer).__name__}")


class TimeDistributed(Layer):
    """Apply `layer` to every time step of [batch, time, ...] inputs (weights shared across
    time): the layer sees one [batch * time, ...] tensor, a free reshape away."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed: layer must be a Layer, got "
                            f"{type(layer).__name__}")
        super().__init__(**kwargs)
        self.layer = layer

    def _check(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 3:
            shown = show(input_shape) if isinstance(input_shape, tuple) else input_shape
            raise ValueError(f"TimeDistributed layer {self.name!r}: expects one input of rank "
                             f">= 3 ([batch, time, ...]), got input shape {shown}")
        return input_shape

    def _inner_shape(self, input_shape):
        batch, steps = self._check(input_shape)[:2]
        rows = None if batch is None or steps is None else batch * steps
        return (rows,) + tuple(input_shape[2:])

    def build(self, input_shape):
        self.layer._maybe_build(self._inner_shape(input_shape))

    def call(self, inputs):
        batch, steps = self._check(tuple(inputs.shape))[:2]
        outputs = self.layer(ops.reshape(inputs, [batch * steps] + inputs.shape[2:]))
        if isinstance(outputs, (list, tuple)):
            raise ValueError(f"TimeDistributed layer {self.name!r}: the wrapped layer "
                             f"{self.layer.name!r} must return one tensor")
        return ops.reshape(outputs, [batch, steps] + outputs.shape[1:])

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        if not isinstance(inner, tuple):
            raise ValueError(f"TimeDistributed layer {self.name!r}: the wrapped layer "
                             f"{self.layer.name!r} must return one tensor")
        return tuple(input_shape[:2]) + tuple(inner[1:])

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialization.serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"])
        return cls(**config)
