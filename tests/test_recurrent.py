"""SimpleRNN, GRU, LSTM: outputs and states against the numpy equations in rnn_reference.py on
both backends, gradients (gl vs cpu, float64 finite differences) through check_op, masks,
configs, saving, a small training run and the errors for bad inputs."""
import numpy as np
import pytest
import rnn_reference
from helpers import check_op, normal

import glflow as gf
from glflow import layers, models

BATCH, TIME, FEATURES, UNITS = 3, 5, 7, 4


def random_weights(layer, seed, scale=0.5):
    """Seeded normal weights of the layer's shapes (scale 0.5 keeps the gates unsaturated,
    so every term of the equations matters)."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(w.shape) * scale).astype(np.float32) for w in layer.weights]


def built(cls, seed=0, **kwargs):
    layer = cls(UNITS, return_sequences=True, return_state=True, **kwargs)
    layer.build((None, TIME, FEATURES))
    weights = random_weights(layer, seed)
    layer.set_weights(weights)
    return layer, weights


CASES = [
    (layers.SimpleRNN, {}),
    (layers.SimpleRNN, {"go_backwards": True}),
    (layers.LSTM, {}),
    (layers.LSTM, {"go_backwards": True}),
    (layers.GRU, {}),
    (layers.GRU, {"reset_after": False}),
    (layers.GRU, {"go_backwards": True}),
]
IDS = ["simple_rnn", "simple_rnn_backwards", "lstm", "lstm_backwards", "gru",
       "gru_reset_before", "gru_backwards"]


# float32 layer vs float64 reference over 5 steps of 7-feature sums: a few ulps of float32
# per step on values of order 1 accumulate to ~1e-6; 1e-5 leaves room, no more
RTOL, ATOL = 1e-5, 1e-5


@pytest.mark.parametrize("backend", ["gl", "cpu"])
@pytest.mark.parametrize("cls,kwargs", CASES, ids=IDS)
def test_outputs_and_states_match_reference(cls, kwargs, backend):
    gf.set_backend(backend)
    layer, weights = built(cls, **kwargs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    states = [(rng.standard_normal((BATCH, UNITS)) * 0.5).astype(np.float32)
              for _ in range(layer.STATES)]
    for initial in (None, states):
        got = layer(x, initial_state=initial)
        want_seq, want_states = rnn_reference.reference(layer, x, weights, initial)
        np.testing.assert_allclose(got[0].numpy(), want_seq, rtol=RTOL, atol=ATOL)
        assert len(got) == 1 + layer.STATES
        for g, w in zip(got[1:], want_states):
            np.testing.assert_allclose(g.numpy(), w, rtol=RTOL, atol=ATOL)
    # the Keras list form [x, *states] and return_sequences=False (the last output only)
    last = cls(UNITS, **kwargs)
    last.build((None, TIME, FEATURES))
    last.set_weights(weights)
    got = last([x] + states).numpy()
    np.testing.assert_allclose(got, rnn_reference.reference(layer, x, weights, states)[0][:, -1],
                               rtol=RTOL, atol=ATOL)
    assert got.shape == (BATCH, UNITS)


@pytest.mark.parametrize("cls,kwargs", CASES, ids=IDS)
def test_mask_keeps_states_over_masked_steps(cls, kwargs):
    layer, weights = built(cls, seed=2, **kwargs)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    mask = rng.random((BATCH, TIME)) < 0.6
    mask[:, 0] = False  # a masked first step must keep the initial (zero) state
    got = layer(x, mask=mask)
    want_seq, want_states = rnn_reference.reference(layer, x, weights, mask=mask)
    np.testing.assert_allclose(got[0].numpy(), want_seq, rtol=RTOL, atol=ATOL)
    for g, w in zip(got[1:], want_states):
        np.testing.assert_allclose(g.numpy(), w, rtol=RTOL, atol=ATOL)


def call_with(layer, weights, *args, **kwargs):
    """layer.call with its weight Variables swapped for tensors, so check_op can
    differentiate with respect to the weights as well as the inputs."""
    saved = {"kernel": layer.kernel, "recurrent_kernel": layer.recurrent_kernel,
             "bias": layer.bias}
    for name, value in zip(saved, weights):
        object.__setattr__(layer, name, value)
    try:
        return layer.call(*args, **kwargs)
    finally:
        for name, value in saved.items():
            object.__setattr__(layer, name, value)


GRAD_CASES = [
    (layers.SimpleRNN, {}), (layers.LSTM, {}), (layers.LSTM, {"go_backwards": True}),
    (layers.GRU, {}), (layers.GRU, {"reset_after": False}),
]


@pytest.mark.parametrize("cls,kwargs", GRAD_CASES,
                         ids=["simple_rnn", "lstm", "lstm_backwards", "gru", "gru_reset_before"])
def test_gradients_wrt_inputs_weights_and_initial_state(cls, kwargs):
    """Tiny shapes (batch 2, time 3, features 3, units 2) keep float64 finite differences
    per coordinate cheap; the weights and the initial states are differentiated too."""
    layer = cls(2, return_sequences=True, return_state=True, **kwargs)
    layer.build((None, 3, 3))
    shapes = [tuple(w.shape) for w in layer.weights]

    def run(x, kernel, recurrent, bias, *states):
        return call_with(layer, [kernel, recurrent, bias], x, initial_state=list(states))
    check_op(run, [normal((2, 3, 3)), normal(shapes[0], 0.5), normal(shapes[1], 0.5),
                   normal(shapes[2], 0.5)] + [normal((2, 2), 0.5)] * layer.STATES)


def test_lstm_weights_layout_and_forget_bias():
    layer = layers.LSTM(UNITS, kernel_regularizer="l2", recurrent_regularizer="l1")
    layer.build((None, TIME, FEATURES))
    assert [w.shape for w in layer.weights] == [[FEATURES, 4 * UNITS], [UNITS, 4 * UNITS],
                                                [4 * UNITS]]
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel", "recurrent_kernel",
                                                              "bias"]
    bias = layer.bias.numpy()
    np.testing.assert_array_equal(bias[UNITS:2 * UNITS], 1.0)  # the forget gate's block
    np.testing.assert_array_equal(np.delete(bias, np.s_[UNITS:2 * UNITS]), 0.0)
    recurrent = layer.recurrent_kernel.numpy()  # orthogonal rows: R R^T = I
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(UNITS), atol=1e-5)
    assert len(layer.losses) == 2
    no_forget = layers.LSTM(UNITS, unit_forget_bias=False)
    no_forget.build((None, TIME, FEATURES))
    np.testing.assert_array_equal(no_forget.bias.numpy(), 0.0)
    gru = layers.GRU(UNITS)
    gru.build((None, TIME, FEATURES))
    assert gru.bias.shape == [2, 3 * UNITS]
    gru_before = layers.GRU(UNITS, reset_after=False, use_bias=False)
    gru_before.build((None, TIME, FEATURES))
    assert [w.shape for w in gru_before.weights] == [[FEATURES, 3 * UNITS], [UNITS, 3 * UNITS]]


@pytest.mark.parametrize("layer", [
    layers.SimpleRNN(3, activation="relu", use_bias=False, go_backwards=True,
                     kernel_regularizer="l2", name="rnn"),
    layers.LSTM(4, recurrent_activation="hard_sigmoid", unit_forget_bias=False,
                return_sequences=True, return_state=True, input_shape=(5, 7)),
    layers.GRU(2, reset_after=False, recurrent_initializer="glorot_uniform",
               bias_regularizer="l1"),
])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config


def test_save_and_load_model_with_each_recurrent_layer(tmp_path):
    gf.set_seed(4)
    inputs = layers.Input((TIME, FEATURES))
    sequence, h, c = layers.LSTM(UNITS, return_sequences=True, return_state=True)(inputs)
    assert tuple(sequence.shape) == (None, TIME, UNITS) and tuple(h.shape) == (None, UNITS)
    sequence = layers.GRU(3, reset_after=False, return_sequences=True, go_backwards=True)(
        sequence)
    sequence = layers.GRU(3, return_sequences=True)(sequence)
    last = layers.SimpleRNN(2)(sequence)
    model = models.Model(inputs, [last, h, c])
    x = np.random.default_rng(5).standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    model.save(tmp_path / "rnn.glflow")
    loaded = models.load_model(tmp_path / "rnn.glflow")
    for got, want in zip(loaded.predict(x), model.predict(x)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("keyword", [True, False], ids=["initial_state=", "list_input"])
def test_encoder_decoder_passes_symbolic_states(tmp_path, keyword):
    """A functional seq2seq: the encoder's final states start the decoder, given either as
    initial_state= or in the Keras list form [x, h, c]; the graph equals the eager run."""
    encoder = layers.LSTM(UNITS, return_state=True)
    decoder = layers.LSTM(UNITS, return_sequences=True)
    source, target = layers.Input((TIME, FEATURES)), layers.Input((3, 2))
    _, h, c = encoder(source)
    decoded = decoder(target, initial_state=[h, c]) if keyword else decoder([target, h, c])
    model = models.Model([source, target], decoded)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    y = rng.standard_normal((BATCH, 3, 2)).astype(np.float32)
    _, h_eager, c_eager = encoder(x)
    eager = decoder(y, initial_state=[h_eager, c_eager]).numpy()
    np.testing.assert_allclose(model.predict([x, y]), eager, rtol=1e-6, atol=1e-7)
    model.save(tmp_path / "seq2seq.glflow")
    loaded = models.load_model(tmp_path / "seq2seq.glflow")
    np.testing.assert_array_equal(loaded.predict([x, y]), model.predict([x, y]))


def test_embedding_lstm_dense_learns_a_sequence_task():
    """Is the first token of a sequence of 6 ids in the lower half of the vocabulary? The
    answer must be carried through 5 later steps, so a working LSTM is needed."""
    gf.set_seed(0)
    rng = np.random.default_rng(6)
    ids = rng.integers(0, 8, (64, 6)).astype(np.int32)
    labels = (ids[:, 0] < 4).astype(np.float32)[:, None]
    model = models.Sequential([layers.Input((6,)), layers.Embedding(8, 4),
                               layers.LSTM(6), layers.Dense(1, activation="sigmoid")])
    model.compile(gf.optimizers.Adam(0.05), "binary_crossentropy")
    history = model.fit(ids, labels, epochs=10, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.3 * losses[0], losses


def test_bad_inputs_give_clear_errors():
    layer = layers.LSTM(UNITS, name="probe")
    with pytest.raises(ValueError, match=r"LSTM layer 'probe'.*rank 3.*\[3, 7\]"):
        layer(np.zeros((3, 7), np.float32))
    layer(np.zeros((3, TIME, FEATURES), np.float32))
    with pytest.raises(ValueError, match=r"'probe'.*built for 7 features.*\[3, 5, 6\]"):
        layer(np.zeros((3, TIME, 6), np.float32))
    with pytest.raises(ValueError, match=r"initial_state\[1\] must have shape \[3, 4\].*\[3, 5\]"):
        layer(np.zeros((3, TIME, FEATURES), np.float32),
              initial_state=[np.zeros((3, 4), np.float32), np.zeros((3, 5), np.float32)])
    with pytest.raises(ValueError, match="initial_state needs 2 tensor"):
        layer(np.zeros((3, TIME, FEATURES), np.float32),
              initial_state=np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"mask must have shape \[3, 5\]"):
        layer(np.zeros((3, TIME, FEATURES), np.float32), mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="at least one time step"):
        layers.GRU(2)(np.zeros((3, 0, 2), np.float32))
    with pytest.raises(ValueError, match="units must be a positive int"):
        layers.SimpleRNN(0)
    with pytest.raises(TypeError, match="unexpected keyword argument.*stateful"):
        layers.GRU(2, stateful=True)
