"""Recurrent layers on [batch, time, features] inputs: SimpleRNN, GRU, LSTM.

Each layer unrolls over time with glflow ops, so the autodiff tape differentiates through
time (backpropagation through time) with no code of its own. The input projection
x @ kernel + bias of every time step is one matmul up front (one big pass instead of T small
ones); a step then costs the recurrent matmul h @ recurrent_kernel (with the step's projected
input as fused_matmul's bias, so no separate add pass) and the gate arithmetic.

Weights follow Keras' layout, so Keras weights load unchanged:
    kernel [features, k * units], recurrent_kernel [units, k * units], bias [k * units]
    (GRU with reset_after: bias [2, 3 * units], row 0 for the input, row 1 for the recurrence)
with the column blocks in Keras' gate order: LSTM i, f, c, o; GRU z, r, h; SimpleRNN one.

dropout / recurrent_dropout follow Keras (Gal & Ghahramani 2016's variational dropout): while
training, each call draws masks [batch, features] for the inputs and [batch, units] for the
recurrent state once and applies them at every step (a dropped unit stays dropped for the
whole sequence). With recurrent_dropout every gate gets its own input and recurrent mask
(Keras's implementation 1); with dropout alone one input mask serves all gates. The state
carried to the next step is never masked, only what the matmuls read. At inference there
are no masks.
"""
import numpy as np

from .. import ops
from . import activations, initializers, regularizers
from .base import Layer, to_tensors
from .node import is_symbolic
from .shapes import show


def matmul_add(a, b, bias, activation=None):
    """activation(a @ b + bias). Built-in activations that fused_matmul knows run inside the
    matmul's own pass; anything else (a custom callable) runs as separate ops."""
    name = getattr(activation, "__name__", None) if activation is not None else "linear"
    known = activation is None or activations.ACTIVATIONS.get(name) is activation
    if known and name in ops.linalg.ACTIVATIONS:
        return ops.fused_matmul(a, b, bias=bias, activation=name)
    y = ops.matmul(a, b)
    if bias is not None:
        y = ops.add(y, bias)
    return y if activation is None else activation(y)


def states_as_inputs(layer_call, inputs, args, kwargs):
    """Call with symbolic initial states moved into the input list ([x, *states], the Keras
    form): a functional graph records its inputs, not tensors hidden in keyword arguments."""
    states = kwargs.get("initial_state")
    if states is not None and is_symbolic(states):
        kwargs = dict(kwargs)
        del kwargs["initial_state"]
        inputs = [inputs] + (list(states) if isinstance(states, (list, tuple)) else [states])
    return layer_call(inputs, *args, **kwargs)


class _Recurrent(Layer):
    """What SimpleRNN, GRU and LSTM share: config, checks, weights and the loop over time.
    A subclass sets GATES (column blocks of the kernels) and STATES (tensors carried between
    steps, the first being the output h) and writes `_step`."""

    GATES = 1
    STATES = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{self._where()}: units must be a positive int, got {units!r}")
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
                raise ValueError(f"{self._where()}: {arg} must be a number in [0, 1), got "
                                 f"{rate!r}")
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self._features = None

    def _where(self):
        return f"{type(self).__name__} layer {self.name!r}"

    def __call__(self, inputs, *args, **kwargs):
        return states_as_inputs(super().__call__, inputs, args, kwargs)

    # ------------------------------------------------------------------ shapes
    def _sequence_shape(self, input_shape):
        """(batch, time, features) of the sequence input, checked; a list input is
        [sequence, *initial states] (the Keras form)."""
        shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if not isinstance(shape, tuple) or len(shape) != 3:
            raise ValueError(f"{self._where()}: expects inputs of shape [batch, time, "
                             f"features] (rank 3), got shape "
                             f"{show(shape) if isinstance(shape, tuple) else shape}")
        if self._features is not None and shape[2] is not None and shape[2] != self._features:
            raise ValueError(f"{self._where()}: was built for {self._features} features, got "
                             f"inputs of shape {show(shape)}")
        return shape

    def build(self, input_shape):
        features = self._sequence_shape(input_shape)[2]
        if features is None:
            raise ValueError(f"{self._where()}: the feature axis of the inputs must be known, "
                             f"got shape {show(self._sequence_shape(input_shape))}")
        width = self.GATES * self.units
        self.kernel = self.add_weight("kernel", (features, width), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = (self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                     self.bias_regularizer) if self.use_bias else None)
        self._features = features

    def _bias_shape(self):
        return (self.GATES * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def compute_output_shape(self, input_shape):
        batch, steps, _ = self._sequence_shape(input_shape)
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * self.STATES
        return output

    # ------------------------------------------------------------------ running
    def _initial_states(self, states, batch):
        if states is None:
            return [ops.zeros([batch, self.units]) for _ in range(self.STATES)]
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(states) != self.STATES:
            raise ValueError(f"{self._where()}: initial_state needs {self.STATES} tensor(s) "
                             f"of shape [{batch}, {self.units}], got {len(states)}")
        states = to_tensors(states, self._where())
        for k, s in enumerate(states):
            if tuple(s.shape) != (batch, self.units):
                raise ValueError(f"{self._where()}: initial_state[{k}] must have shape "
                                 f"[{batch}, {self.units}] (batch, units), got {show(s.shape)}")
        return [s if s.dtype == "float32" else ops.cast(s, "float32") for s in states]

    def _step_masks(self, mask, batch, steps):
        """Per step a bool [batch, 1] tensor: where it is False the step is skipped and the
        states (and so the output) carry over, as in Keras."""
        if mask is None:
            return None
        (mask,) = to_tensors([mask], self._where())
        if tuple(mask.shape) != (batch, steps):
            raise ValueError(f"{self._where()}: mask must have shape [{batch}, {steps}] "
                             f"(batch, time), got {show(mask.shape)}")
        if mask.dtype != "bool":
            mask = ops.cast(mask, "bool")
        return [ops.reshape(m, [batch, 1]) for m in ops.unstack(mask, axis=1)]

    def _project(self, x, bias, masks):
        """x @ kernel + bias for every time step in one matmul: [batch, time, width]. With
        dropout masks ([batch, features], one per sequence) the inputs are masked first; with
        one mask per gate, each gate's column block of the kernel reads its own."""
        batch, steps, features = x.shape

        def flat(mask):
            masked = x if mask is None else ops.mul(x, ops.expand_dims(mask, 1))
            return ops.reshape(masked, [batch * steps, features])

        if masks is None or len(masks) == 1:
            projected = matmul_add(flat(None if masks is None else masks[0]), self.kernel, bias)
        else:
            kernels = ops.split(self.kernel, len(masks), axis=1)
            biases = [None] * len(masks) if bias is None else ops.split(bias, len(masks), 0)
            projected = ops.concat([matmul_add(flat(m), k, b)
                                    for m, k, b in zip(masks, kernels, biases)], axis=1)
        return ops.reshape(projected, [batch, steps, projected.shape[-1]])

    def _prepare(self):
        """Per-call tensors a step needs (weight slices): computed once, not once a step."""
        return None

    def _step_inputs(self, x, masks):
        return ops.unstack(self._project(x, self.bias, masks), axis=1)

    def _next_seed(self):
        return None if self._rng is None else int(self._rng.integers(2 ** 31 - 1))

    def _dropout_masks(self, batch, width, rate, count):
        """`count` independent masks [batch, width] of 0 and 1 / (1 - rate), drawn once per
        call: the same units stay dropped at every step of a sequence."""
        ones = ops.ones([batch, width])
        return [ops.dropout(ones, rate, seed=self._next_seed()) for _ in range(count)]

    def _masks(self, batch, features, training):
        """(input masks, recurrent masks) for this call; None where no dropout applies."""
        if not training:
            return None, None
        per_gate = self.recurrent_dropout > 0
        inputs = (self._dropout_masks(batch, features, self.dropout,
                                      self.GATES if per_gate else 1)
                  if self.dropout > 0 else None)
        recurrent = (self._dropout_masks(batch, self.units, self.recurrent_dropout, self.GATES)
                     if per_gate else None)
        return inputs, recurrent

    def call(self, inputs, mask=None, initial_state=None, training=False):
        if isinstance(inputs, (list, tuple)):
            if initial_state is not None and len(inputs) > 1:
                raise ValueError(f"{self._where()}: initial states given both in the input "
                                 "list and as initial_state")
            inputs, initial_state = inputs[0], (list(inputs[1:]) or initial_state)
        batch, steps, _ = self._sequence_shape(tuple(inputs.shape))
        if steps == 0:
            raise ValueError(f"{self._where()}: needs at least one time step, got inputs of "
                             f"shape {show(inputs.shape)}")
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)  # set by Embedding(mask_zero=True)
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        states = self._initial_states(initial_state, batch)
        keep = self._step_masks(mask, batch, steps)
        input_masks, recurrent_masks = self._masks(batch, x.shape[2], training)
        per_step = self._step_inputs(x, input_masks)
        prepared = self._prepare()
        outputs = []
        for t in (reversed(range(steps)) if self.go_backwards else range(steps)):
            new_states = self._step(per_step[t], states, prepared, recurrent_masks)
            if keep is not None:
                new_states = [ops.where(keep[t], n, s) for n, s in zip(new_states, states)]
            states = new_states
            outputs.append(states[0])
        # go_backwards: outputs stay in processing order (reversed time), as in Keras
        output = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [output] + states if self.return_state else output

    def _step(self, x_t, states, prepared, masks):
        """The new states from the step's projected input x_t; `masks` (None, or one
        [batch, units] recurrent dropout mask per gate) apply to h where a matmul reads it."""
        raise NotImplementedError

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed,
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards)
        return config


def masked_matmul_add(h, kernel, masks, bias, activation=None):
    """activation(h @ kernel + bias); with recurrent dropout masks (one per column block of
    kernel), block g reads h * masks[g]."""
    if masks is None:
        return matmul_add(h, kernel, bias, activation)
    blocks = ops.split(kernel, len(masks), axis=1)
    y = ops.concat([ops.matmul(ops.mul(h, m), k) for m, k in zip(masks, blocks)], axis=1)
    if bias is not None:
        y = ops.add(y, bias)
    return y if activation is None else activation(y)


class SimpleRNN(_Recurrent):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)."""

    def _step(self, x_t, states, prepared, masks):
        return [masked_matmul_add(states[0], self.recurrent_kernel, masks, x_t,
                                  self.activation)]


class _Gated(_Recurrent):
    """A recurrent layer with a second, gate activation (GRU, LSTM)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config


class LSTM(_Gated):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), Keras' equations:
        i, f, c~, o = split(x_t @ kernel + h @ recurrent_kernel + bias)   (gate order i f c o)
        c = sig(f) * c + sig(i) * act(c~);   h = sig(o) * act(c)
    States [h, c]. unit_forget_bias starts the forget gate's bias at 1, so early training
    does not forget everything (Jozefowicz et al. 2015)."""

    GATES = 4
    STATES = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_gate_ones(shape):
            return ops.concat([base((units,)), ops.ones((units,)), base((2 * units,))], 0)
        return forget_gate_ones

    def _step(self, x_t, states, prepared, masks):
        h, c = states
        gates = masked_matmul_add(h, self.recurrent_kernel, masks, x_t)
        i, f, candidate, o = ops.split(gates, 4, axis=1)
        gate = self.recurrent_activation
        c = ops.add(ops.mul(gate(f), c), ops.mul(gate(i), self.activation(candidate)))
        h = ops.mul(gate(o), self.activation(c))
        return [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRU(_Gated):
    """Gated recurrent unit (Cho et al. 2014), Keras' equations (gate order z, r, h):
        z = sig(x_z + h @ U_z),  r = sig(x_r + h @ U_r)
        reset_after=True (Keras 2 default, cuDNN's form): h~ = act(x_h + r * (h @ U_h + b_h))
        reset_after=False (the paper's form):             h~ = act(x_h + (r * h) @ U_h)
        h = z * h + (1 - z) * h~
    where x_* = x_t @ kernel_* + input bias. With reset_after the bias is [2, 3 * units]:
    an input bias row and a recurrent bias row."""

    GATES = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _biases(self):
        """(input bias, recurrent bias); either may be None."""
        if self.bias is None:
            return None, None
        if self.reset_after:
            return tuple(ops.unstack(self.bias, axis=0))
        return self.bias, None

    def _step_inputs(self, x, masks):
        projected = self._project(x, self._biases()[0], masks)
        # split once per call: each step gets (x_z|x_r, x_h) with no per-step slicing
        gates, candidate = ops.split(projected, [2 * self.units, self.units], axis=2)
        return list(zip(ops.unstack(gates, axis=1), ops.unstack(candidate, axis=1)))

    def _prepare(self):
        if self.reset_after:
            return {"recurrent_bias": self._biases()[1]}
        gates, candidate = ops.split(self.recurrent_kernel, [2 * self.units, self.units], axis=1)
        return {"kernel_zr": gates, "kernel_h": candidate}

    def _step(self, x_t, states, prepared, masks):
        x_zr, x_h = x_t
        h = states[0]
        if self.reset_after:
            recurrent = masked_matmul_add(h, self.recurrent_kernel, masks,
                                          prepared["recurrent_bias"])
            rec_zr, rec_h = ops.split(recurrent, [2 * self.units, self.units], axis=1)
            z, r = ops.split(self.recurrent_activation(ops.add(x_zr, rec_zr)), 2, axis=1)
            candidate = self.activation(ops.add(x_h, ops.mul(r, rec_h)))
        else:
            zr = masked_matmul_add(h, prepared["kernel_zr"], None if masks is None
                                   else masks[:2], x_zr, self.recurrent_activation)
            z, r = ops.split(zr, 2, axis=1)
            h_read = h if masks is None else ops.mul(h, masks[2])
            candidate = matmul_add(ops.mul(r, h_read), prepared["kernel_h"], x_h,
                                   self.activation)
        # z * h + (1 - z) * h~ written as h~ + z * (h - h~): the same value in 3 ops, not 4
        return [ops.add(candidate, ops.mul(z, ops.sub(h, candidate)))]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config
