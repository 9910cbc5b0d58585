"""SimpleRNN/GRU/LSTM dropout and recurrent_dropout with Keras's semantics: masks drawn once
per call and fixed over the sequence, one per gate when recurrent_dropout is on, applied
only in training. Checked black-box (masks seen through linear RNNs), against numpy
references of Keras's per-gate equations (written here) fed the masks the layer drew, and
for gradients through check_layer."""
import numpy as np
import pytest
from layer_checks import check_layer

from glflow import layers


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def linear_rnn(recurrent, **kwargs):
    """SimpleRNN(1) computing h_t = x_t * 1 + h_{t-1} * recurrent (no bias, no squashing)."""
    layer = layers.SimpleRNN(1, activation=None, use_bias=False, return_sequences=True,
                             **kwargs)
    layer.build((None, None, 1))
    layer.kernel.assign(np.ones((1, 1), np.float32))
    layer.recurrent_kernel.assign(np.full((1, 1), recurrent, np.float32))
    return layer


def test_input_mask_is_fixed_over_the_sequence():
    layer = linear_rnn(0.0, dropout=0.5, seed=3)
    x = np.ones((64, 6, 1), np.float32)
    out = layer(x, training=True).numpy()[..., 0]
    # one draw per sample: every step of a sample is 0 (dropped) or 1 / (1 - 0.5) = 2
    assert set(np.unique(out)) == {0.0, 2.0}
    assert np.all(out == out[:, :1])
    np.testing.assert_array_equal(layer(x).numpy()[..., 0], np.ones((64, 6)))


def test_recurrent_mask_is_fixed_over_the_sequence():
    layer = linear_rnn(1.0, recurrent_dropout=0.5, seed=4)
    x = np.zeros((64, 5, 1), np.float32)
    x[:, 0] = 1.0
    out = layer(x, training=True).numpy()[..., 0]
    # h_t = h_{t-1} * r with r fixed per sample: [1, 2, 4, 8, 16] or [1, 0, 0, 0, 0]; a mask
    # drawn per step would mix the two
    kept = np.array([1, 2, 4, 8, 16], np.float32)
    dropped = np.array([1, 0, 0, 0, 0], np.float32)
    is_kept = np.all(out == kept, axis=1)
    assert np.all(is_kept | np.all(out == dropped, axis=1))
    assert 0 < is_kept.sum() < 64
    np.testing.assert_array_equal(layer(x).numpy()[..., 0], np.ones((64, 5)))


def test_inference_ignores_dropout_and_each_training_call_draws_anew():
    x = rand(3, 4, 2, seed=5)
    for cls in (layers.SimpleRNN, layers.GRU, layers.LSTM):
        plain = cls(3)
        plain.build((None, 4, 2))
        noisy = cls(3, dropout=0.4, recurrent_dropout=0.3, seed=1)
        noisy.build((None, 4, 2))
        noisy.set_weights(plain.get_weights())
        np.testing.assert_array_equal(noisy(x).numpy(), plain(x).numpy())
        first = noisy(x, training=True).numpy()
        assert not np.allclose(first, plain(x).numpy())
        assert not np.allclose(noisy(x, training=True).numpy(), first)


class MaskSpy:
    """Wraps a layer's mask drawing and keeps what it drew (the layer still draws)."""

    def __init__(self, layer):
        self.draws = []
        original = layer._dropout_masks

        def spy(batch, width, rate, count):
            masks = original(batch, width, rate, count)
            self.draws.append([m.numpy().astype(np.float64) for m in masks])
            return masks
        layer._dropout_masks = spy


def per_gate(masks, gates):
    """None -> None; one shared mask -> it for every gate."""
    if masks is None:
        return None
    return masks * gates if len(masks) == 1 else masks


def np_lstm(x, kernel, recurrent, bias, in_masks, rec_masks):
    units = recurrent.shape[0]
    blocks = [slice(g * units, (g + 1) * units) for g in range(4)]
    h = c = np.zeros((x.shape[0], units))
    outs = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        pre = [(xt if in_masks is None else xt * in_masks[g]) @ kernel[:, b] + bias[b]
               + (h if rec_masks is None else h * rec_masks[g]) @ recurrent[:, b]
               for g, b in enumerate(blocks)]
        i, f, o = sigmoid(pre[0]), sigmoid(pre[1]), sigmoid(pre[3])
        c = f * c + i * np.tanh(pre[2])
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1)


def np_gru(x, kernel, recurrent, bias, in_masks, rec_masks, reset_after):
    units = recurrent.shape[0]
    blocks = [slice(g * units, (g + 1) * units) for g in range(3)]
    input_bias, rec_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * units))
    h = np.zeros((x.shape[0], units))
    outs = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        xs = [(xt if in_masks is None else xt * in_masks[g]) @ kernel[:, b] + input_bias[b]
              for g, b in enumerate(blocks)]
        hs = [h if rec_masks is None else h * rec_masks[g] for g in range(3)]
        z = sigmoid(xs[0] + hs[0] @ recurrent[:, blocks[0]] + rec_bias[blocks[0]])
        r = sigmoid(xs[1] + hs[1] @ recurrent[:, blocks[1]] + rec_bias[blocks[1]])
        if reset_after:
            candidate = np.tanh(xs[2] + r * (hs[2] @ recurrent[:, blocks[2]]
                                             + rec_bias[blocks[2]]))
        else:
            candidate = np.tanh(xs[2] + (r * hs[2]) @ recurrent[:, blocks[2]])
        h = z * h + (1 - z) * candidate  # the carried state is never masked
        outs.append(h)
    return np.stack(outs, 1)


CASES = [
    (layers.LSTM, {}, dict(dropout=0.3, recurrent_dropout=0.4)),
    (layers.LSTM, {}, dict(dropout=0.5)),
    (layers.LSTM, {}, dict(recurrent_dropout=0.5)),
    (layers.GRU, {"reset_after": True}, dict(dropout=0.3, recurrent_dropout=0.4)),
    (layers.GRU, {"reset_after": False}, dict(dropout=0.3, recurrent_dropout=0.4)),
    (layers.GRU, {"reset_after": True}, dict(dropout=0.5)),
]


@pytest.mark.parametrize("cls, options, rates", CASES)
def test_gated_layers_match_keras_equations_with_the_drawn_masks(cls, options, rates):
    x = rand(4, 5, 3, seed=6)
    layer = cls(4, return_sequences=True, bias_initializer="random_normal", seed=2,
                **options, **rates)
    layer.build((None, 5, 3))
    spy = MaskSpy(layer)
    got = layer(x, training=True).numpy()
    gates = cls.GATES
    draws = iter(spy.draws)
    in_masks = next(draws) if rates.get("dropout") else None
    rec_masks = next(draws) if rates.get("recurrent_dropout") else None
    # with recurrent_dropout each gate has its own input mask, else one serves all
    assert in_masks is None or len(in_masks) == (gates if rec_masks else 1)
    assert rec_masks is None or len(rec_masks) == gates
    kernel, recurrent, bias = (w.numpy().astype(np.float64) for w in layer.weights)
    args = (x.astype(np.float64), kernel, recurrent, bias, per_gate(in_masks, gates),
            per_gate(rec_masks, gates))
    want = (np_lstm(*args) if cls is layers.LSTM
            else np_gru(*args, reset_after=options["reset_after"]))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_drawn_masks_are_scaled_bernoulli_draws():
    layer = layers.LSTM(2, dropout=0.25, seed=8)
    masks = layer._dropout_masks(200, 50, 0.25, 4)
    for m in masks:
        values = m.numpy()
        assert set(np.unique(values)) == {0.0, np.float32(1 / 0.75)}
        kept = (values != 0).mean()
        assert abs(kept - 0.75) < 5 * np.sqrt(0.75 * 0.25 / values.size)
    assert not np.array_equal(masks[0].numpy(), masks[1].numpy())


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(3, dropout=0.3, recurrent_dropout=0.4, seed=7),
    lambda: layers.GRU(3, dropout=0.3, recurrent_dropout=0.4, seed=7),
    lambda: layers.GRU(3, recurrent_dropout=0.4, reset_after=False, seed=7),
    lambda: layers.SimpleRNN(3, dropout=0.5, recurrent_dropout=0.5, seed=7)])
def test_gradients_through_dropout_masks(make):
    # a seeded layer made fresh for each evaluation draws the same masks every time, on
    # both backends, so finite differences see one fixed function
    check_layer(make, (2, 4, 3), call_kwargs={"training": True})


def test_config_and_argument_checks():
    layer = layers.GRU(3, dropout=0.2, recurrent_dropout=0.1, seed=5)
    config = layer.get_config()
    assert (config["dropout"], config["recurrent_dropout"], config["seed"]) == (0.2, 0.1, 5)
    assert layers.GRU.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"LSTM layer 'l': dropout must be a number in \[0, 1\)"):
        layers.LSTM(2, dropout=1.0, name="l")
    with pytest.raises(ValueError, match="recurrent_dropout must be a number"):
        layers.SimpleRNN(2, recurrent_dropout=-0.1)
