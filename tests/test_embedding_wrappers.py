"""Embedding, Bidirectional and TimeDistributed: values against numpy (table lookups, the
recurrent equations of rnn_reference.py, per-step matmuls), gradients through check_op,
masking, configs, saving and the errors for bad inputs."""
import numpy as np
import pytest
import rnn_reference
from helpers import check_op, fixed, normal

import glflow as gf
from glflow import layers, models

RTOL, ATOL = 1e-5, 1e-5  # float32 layers vs float64 numpy; see test_recurrent.py


def seeded(layer, seed, scale=0.5):
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal(w.shape) * scale).astype(np.float32) for w in layer.weights]
    layer.set_weights(weights)
    return weights


# ---------------------------------------------------------------------------- Embedding

@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_embedding_looks_up_rows(backend):
    gf.set_backend(backend)
    layer = layers.Embedding(11, 5)
    ids = np.random.default_rng(0).integers(0, 11, (3, 7)).astype(np.int32)
    got = layer(ids).numpy()
    table = layer.embeddings.numpy()
    assert got.shape == (3, 7, 5)
    np.testing.assert_array_equal(got, table[ids])
    assert np.abs(table).max() <= 0.05  # Keras' "uniform": U(-0.05, 0.05)
    # float ids (as Keras accepts) are cast to int32
    np.testing.assert_array_equal(layer(ids.astype(np.float32)).numpy(), table[ids])


def test_embedding_gradient_scatters_into_used_rows():
    layer = layers.Embedding(6, 3)
    layer.build((None, 4))
    ids = np.array([[0, 2, 2, 5], [5, 1, 2, 0], [3, 3, 3, 3]], np.int32)  # repeats sum up

    def look_up(table, ids_):
        object.__setattr__(layer, "embeddings", table)
        return layer.call(ids_)
    check_op(look_up, [normal((6, 3)), fixed(ids)])


def test_embedding_errors_and_shapes():
    layer = layers.Embedding(4, 2, name="emb")
    with pytest.raises(IndexError, match=r"Embedding layer 'emb'.*input_dim=4.*\[2, 2\]"):
        layer(np.array([[0, 4], [1, 2]], np.int32))
    with pytest.raises(IndexError, match="Embedding layer 'emb'"):
        layer(np.array([-1], np.int32))
    with pytest.raises(ValueError, match="output_dim must be a positive int"):
        layers.Embedding(4, 0)
    fixed_length = layers.Embedding(4, 2, input_length=3, name="fixed")
    assert fixed_length.compute_output_shape((None, 3)) == (None, 3, 2)
    with pytest.raises(ValueError, match=r"'fixed': input_length is 3.*\[2, 5\]"):
        fixed_length(np.zeros((2, 5), np.int32))


def test_mask_zero_makes_lstm_skip_padding():
    """With mask_zero, a post-padded sequence ends in the same LSTM state as the sequence
    without its padding."""
    embed = layers.Embedding(9, 4, mask_zero=True)
    lstm = layers.LSTM(3)
    model = models.Sequential([layers.Input((6,)), embed, lstm])
    seeded(model, 1)
    rng = np.random.default_rng(2)
    lengths = [6, 2, 4]
    ids = np.zeros((3, 6), np.int32)
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(1, 9, n)
    np.testing.assert_array_equal(embed.compute_mask(gf.tensor(ids)).numpy(), ids != 0)
    got = model(ids).numpy()
    for row, n in enumerate(lengths):
        alone = lstm(embed(ids[row:row + 1, :n])).numpy()
        np.testing.assert_allclose(got[row], alone[0], rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------- Bidirectional

def numpy_merge(mode, forward, backward):
    return {"concat": lambda: np.concatenate([forward, backward], -1),
            "sum": lambda: forward + backward, "mul": lambda: forward * backward,
            "ave": lambda: (forward + backward) / 2}[mode]()


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_both_directions(mode):
    layer = layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode=mode)
    layer.build((None, 5, 7))
    inner = layer.forward_layer.name[len("forward_"):]  # names follow the wrapped layer's
    assert [w.name.split("/")[0] for w in layer.weights] == \
        ["forward_" + inner] * 3 + ["backward_" + inner] * 3
    weights = seeded(layer, 3)
    x = np.random.default_rng(4).standard_normal((3, 5, 7)).astype(np.float32)
    forward, _ = rnn_reference.gru(x, *weights[:3])
    backward, _ = rnn_reference.gru(x, *weights[3:], go_backwards=True)
    backward = backward[:, ::-1]  # back into time order
    got = layer(x)
    if mode is None:
        np.testing.assert_allclose(got[0].numpy(), forward, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(got[1].numpy(), backward, rtol=RTOL, atol=ATOL)
    else:
        np.testing.assert_allclose(got.numpy(), numpy_merge(mode, forward, backward),
                                   rtol=RTOL, atol=ATOL)
        assert layer.compute_output_shape((None, 5, 7)) == \
            (None, 5, 8 if mode == "concat" else 4)


def test_bidirectional_states_and_initial_state():
    layer = layers.Bidirectional(layers.LSTM(3, return_state=True))
    layer.build((None, 4, 2))
    weights = seeded(layer, 5)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    states = [(rng.standard_normal((2, 3)) * 0.5).astype(np.float32) for _ in range(4)]
    got = layer(x, initial_state=states)
    forward, forward_states = rnn_reference.lstm(x, *weights[:3], *states[:2])
    backward, backward_states = rnn_reference.lstm(x, *weights[3:], *states[2:],
                                                   go_backwards=True)
    want = [np.concatenate([forward[:, -1], backward[:, -1]], -1)] + forward_states + \
        backward_states
    assert len(got) == 5
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=RTOL, atol=ATOL)
    assert layer.compute_output_shape((None, 4, 2)) == [(None, 6)] + [(None, 3)] * 4
    with pytest.raises(ValueError, match="2 forward and 2 backward state"):
        layer(x, initial_state=states[:2])


def test_bidirectional_gradients():
    layer = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True))
    layer.build((None, 3, 2))

    def run(x, *weights):
        for sub, (k, r, b) in ((layer.forward_layer, weights[:3]),
                               (layer.backward_layer, weights[3:])):
            object.__setattr__(sub, "kernel", k)
            object.__setattr__(sub, "recurrent_kernel", r)
            object.__setattr__(sub, "bias", b)
        return layer.call(x)
    saved = [(sub, sub.kernel, sub.recurrent_kernel, sub.bias)
             for sub in (layer.forward_layer, layer.backward_layer)]
    try:
        check_op(run, [normal((2, 3, 2))] + [normal(s, 0.5) for s in
                                             [(2, 2), (2, 2), (2,)] * 2])
    finally:
        for sub, k, r, b in saved:
            for name, value in (("kernel", k), ("recurrent_kernel", r), ("bias", b)):
                object.__setattr__(sub, name, value)


# ---------------------------------------------------------------------------- TimeDistributed

@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_time_distributed_dense(backend):
    gf.set_backend(backend)
    layer = layers.TimeDistributed(layers.Dense(3, activation="tanh"))
    x = np.random.default_rng(7).standard_normal((2, 5, 7)).astype(np.float32)
    got = layer(x).numpy()
    kernel, bias = layer.get_weights()
    want = np.stack([np.tanh(x[:, t] @ kernel + bias) for t in range(5)], 1)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert layer.compute_output_shape((None, 5, 7)) == (None, 5, 3)


def test_time_distributed_gradients():
    dense = layers.Dense(2)
    layer = layers.TimeDistributed(dense)
    layer.build((None, 3, 4))
    saved = (dense.kernel, dense.bias)

    def run(x, k, b):
        object.__setattr__(dense, "kernel", k)
        object.__setattr__(dense, "bias", b)
        return layer.call(x)
    try:
        check_op(run, [normal((2, 3, 4)), normal((4, 2)), normal((2,))])
    finally:
        object.__setattr__(dense, "kernel", saved[0])
        object.__setattr__(dense, "bias", saved[1])


# ---------------------------------------------------------------------------- configs, saving

@pytest.mark.parametrize("layer", [
    layers.Embedding(10, 3, mask_zero=True, input_length=4, embeddings_regularizer="l2"),
    layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="ave"),
    layers.Bidirectional(layers.GRU(2), merge_mode=None,
                         backward_layer=layers.GRU(2, go_backwards=True, reset_after=False)),
    layers.TimeDistributed(layers.Dense(4, activation="relu")),
])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config


def test_save_and_load_embedding_bidirectional_time_distributed(tmp_path):
    gf.set_seed(8)
    model = models.Sequential([
        layers.Input((5,)), layers.Embedding(10, 4),
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.TimeDistributed(layers.Dense(2))])
    assert model.compute_output_shape((None, 5)) == (None, 5, 2)
    ids = np.random.default_rng(9).integers(0, 10, (3, 5)).astype(np.int32)
    model.save(tmp_path / "seq.glflow")
    loaded = models.load_model(tmp_path / "seq.glflow")
    np.testing.assert_array_equal(loaded.predict(ids), model.predict(ids))
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]


def test_wrapper_errors():
    with pytest.raises(TypeError, match="Bidirectional: layer must be a recurrent layer"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="opposite go_backwards"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match=r"TimeDistributed layer 'td'.*rank >= 3.*\[2, 3\]"):
        layers.TimeDistributed(layers.Dense(2), name="td")(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="TimeDistributed: layer must be a Layer"):
        layers.TimeDistributed("dense")
