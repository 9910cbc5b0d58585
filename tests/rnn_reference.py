"""Keras' recurrent equations in plain float64 numpy, one time step at a time, written from
the equations (Keras docs / the papers), not from glflow's layer code. The tests compare the
layers against these.

Weights use Keras' layout: kernel [features, k * units], recurrent [units, k * units],
gate blocks LSTM i f c o, GRU z r h. `mask` [batch, time] (bool) keeps the state where False.
Every function returns (outputs in processing order [batch, time, units], final states).
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _time_order(steps, go_backwards):
    return range(steps - 1, -1, -1) if go_backwards else range(steps)


def _keep(mask, t, new, old):
    if mask is None:
        return new
    return np.where(mask[:, t:t + 1], new, old)


def simple_rnn(x, kernel, recurrent, bias, h0=None, go_backwards=False, mask=None):
    x = x.astype(np.float64)
    h = np.zeros((x.shape[0], recurrent.shape[0])) if h0 is None else h0.astype(np.float64)
    outputs = []
    for t in _time_order(x.shape[1], go_backwards):
        h = _keep(mask, t, np.tanh(x[:, t] @ kernel + h @ recurrent + bias), h)
        outputs.append(h)
    return np.stack(outputs, 1), [h]


def lstm(x, kernel, recurrent, bias, h0=None, c0=None, go_backwards=False, mask=None):
    x = x.astype(np.float64)
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units)) if h0 is None else h0.astype(np.float64)
    c = np.zeros((x.shape[0], units)) if c0 is None else c0.astype(np.float64)
    outputs = []
    for t in _time_order(x.shape[1], go_backwards):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i = sigmoid(z[:, :units])
        f = sigmoid(z[:, units:2 * units])
        candidate = np.tanh(z[:, 2 * units:3 * units])
        o = sigmoid(z[:, 3 * units:])
        new_c = f * c + i * candidate
        new_h = o * np.tanh(new_c)
        h, c = _keep(mask, t, new_h, h), _keep(mask, t, new_c, c)
        outputs.append(h)
    return np.stack(outputs, 1), [h, c]


def gru(x, kernel, recurrent, bias, h0=None, reset_after=True, go_backwards=False, mask=None):
    x = x.astype(np.float64)
    u = recurrent.shape[0]
    h = np.zeros((x.shape[0], u)) if h0 is None else h0.astype(np.float64)
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    outputs = []
    for t in _time_order(x.shape[1], go_backwards):
        xs = x[:, t] @ kernel + input_bias
        if reset_after:
            hs = h @ recurrent + recurrent_bias
            z = sigmoid(xs[:, :u] + hs[:, :u])
            r = sigmoid(xs[:, u:2 * u] + hs[:, u:2 * u])
            candidate = np.tanh(xs[:, 2 * u:] + r * hs[:, 2 * u:])
        else:
            z = sigmoid(xs[:, :u] + h @ recurrent[:, :u])
            r = sigmoid(xs[:, u:2 * u] + h @ recurrent[:, u:2 * u])
            candidate = np.tanh(xs[:, 2 * u:] + (r * h) @ recurrent[:, 2 * u:])
        h = _keep(mask, t, z * h + (1 - z) * candidate, h)
        outputs.append(h)
    return np.stack(outputs, 1), [h]


def reference(layer, x, weights, initial_state=None, mask=None):
    """The reference run of a built SimpleRNN / LSTM / GRU `layer` with these weights."""
    kernel, recurrent, bias = (w.astype(np.float64) for w in weights)
    states = list(initial_state or [])
    kind = type(layer).__name__
    common = {"go_backwards": layer.go_backwards, "mask": mask}
    if kind == "SimpleRNN":
        return simple_rnn(x, kernel, recurrent, bias, *states, **common)
    if kind == "LSTM":
        return lstm(x, kernel, recurrent, bias, *states, **common)
    return gru(x, kernel, recurrent, bias, *states, reset_after=layer.reset_after, **common)
