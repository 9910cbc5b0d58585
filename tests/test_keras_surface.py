"""The Keras surface a ported program touches first: gf.Input, integer Inputs feeding an
Embedding, gf.utils (to_categorical, pad_sequences, set_random_seed), model.to_json /
gf.models.model_from_json and evaluate's printed line."""
import json
import random

import numpy as np
import pytest

import glflow as gf
from glflow import layers


def test_input_is_exported_at_top_level():
    assert gf.Input is gf.layers.Input
    x = gf.Input(shape=(3,))
    assert x.shape == (None, 3) and x.dtype == "float32"


def test_integer_input_feeds_embedding_in_functional_and_sequential_models():
    ids = gf.Input(shape=(None,), dtype="int32")
    assert ids.dtype == "int32"
    embedding = layers.Embedding(10, 4)
    model = gf.Model(ids, layers.GlobalAveragePooling1D()(embedding(ids)))
    data = np.array([[1, 2, 3], [4, 5, 9]])
    table = embedding.embeddings.numpy()
    np.testing.assert_allclose(model.predict(data, verbose=0), table[data].mean(axis=1),
                               rtol=1e-6)
    longer = np.array([[7, 0, 0, 1, 2]])  # any length: the time axis is None
    np.testing.assert_allclose(model.predict(longer), table[longer].mean(axis=1), rtol=1e-6)

    seq = gf.Sequential([gf.Input(shape=(None,), dtype="int64"), layers.Embedding(10, 2)])
    assert seq.layers[0].embeddings.shape == [10, 2]
    np.testing.assert_allclose(seq.predict(data), seq.layers[0].embeddings.numpy()[data])


def test_input_casts_data_to_its_dtype_and_refuses_unknown_dtypes():
    ids = gf.Input(shape=(2,), dtype="int32")
    model = gf.Model(ids, layers.Lambda(lambda t: t * 1)(ids))
    out = model(np.array([[1.0, 3.0]], np.float32))
    assert out.dtype == "int32" and out.numpy().tolist() == [[1, 3]]
    floats = gf.Input(shape=(2,))
    assert gf.Model(floats, floats)(np.array([[1, 2]])).dtype == "float32"
    with pytest.raises(TypeError, match="Input 'bad'.*unsupported dtype 'complex64'"):
        gf.Input(shape=(2,), dtype="complex64", name="bad")


def test_integer_input_survives_save_and_json(tmp_path):
    ids = gf.Input(shape=(None,), dtype="int32", name="ids")
    out = layers.Dense(1)(layers.GlobalAveragePooling1D()(layers.Embedding(6, 3)(ids)))
    model = gf.Model(ids, out)
    data = np.array([[1, 2, 5]])
    model.save(tmp_path / "m.glflow")
    loaded = gf.models.load_model(tmp_path / "m.glflow")
    assert loaded.inputs[0].dtype == "int32"
    np.testing.assert_allclose(loaded.predict(data), model.predict(data), rtol=1e-6)
    again = gf.models.model_from_json(model.to_json())
    assert again.inputs[0].dtype == "int32"


def test_to_categorical_matches_an_identity_matrix():
    labels = np.array([2, 0, 1, 2, 4])
    np.testing.assert_array_equal(gf.utils.to_categorical(labels), np.eye(5)[labels])
    got = gf.utils.to_categorical(labels.reshape(-1, 1), num_classes=6)  # the column drops
    assert got.shape == (5, 6) and got.dtype == np.float32
    np.testing.assert_array_equal(got, np.eye(6)[labels])
    grid = np.array([[1, 0], [2, 1]])
    np.testing.assert_array_equal(gf.utils.to_categorical(grid, 3), np.eye(3)[grid])
    np.testing.assert_array_equal(gf.utils.to_categorical([1.0, 0.0]), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"to_categorical: label 3 is outside \[0, "
                                         r"num_classes=3\)"):
        gf.utils.to_categorical([0, 3], 3)
    with pytest.raises(ValueError, match="to_categorical: label -1"):
        gf.utils.to_categorical([0, -1])
    with pytest.raises(ValueError, match="labels must be integers"):
        gf.utils.to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        gf.utils.to_categorical([0], 0)


def test_pad_sequences_follows_keras_options():
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    np.testing.assert_array_equal(gf.utils.pad_sequences(seqs),
                                  [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 0, 0], [0, 0, 6, 7]])
    np.testing.assert_array_equal(
        gf.utils.pad_sequences(seqs, maxlen=3, padding="post", truncating="pre", value=-1),
        [[2, 3, 4], [5, -1, -1], [-1, -1, -1], [6, 7, -1]])
    np.testing.assert_array_equal(gf.utils.pad_sequences(seqs, maxlen=2, truncating="post"),
                                  [[1, 2], [0, 5], [0, 0], [6, 7]])
    assert gf.utils.pad_sequences(seqs).dtype == np.int32
    floats = gf.utils.pad_sequences([[0.5, 1.5], [2.5]], dtype="float32", value=0.25)
    np.testing.assert_array_equal(floats, np.array([[0.5, 1.5], [0.25, 2.5]], np.float32))
    vectors = gf.utils.pad_sequences([np.ones((2, 3)), np.ones((1, 3)) * 2], maxlen=3)
    assert vectors.shape == (2, 3, 3)
    np.testing.assert_array_equal(vectors[1], [[0, 0, 0], [0, 0, 0], [2, 2, 2]])
    assert gf.utils.pad_sequences(seqs, maxlen=0).shape == (4, 0)
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post', got 'left'"):
        gf.utils.pad_sequences(seqs, padding="left")
    with pytest.raises(ValueError, match="truncating must be"):
        gf.utils.pad_sequences(seqs, truncating="middle")
    with pytest.raises(ValueError, match=r"sequences\[1\] is not a sequence"):
        gf.utils.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="maxlen must be an int >= 0"):
        gf.utils.pad_sequences(seqs, maxlen=-1)
    with pytest.raises(ValueError, match=r"sequences\[1\] has items of shape \[2\]"):
        gf.utils.pad_sequences([np.ones((2, 3)), np.ones((1, 2))])


def test_set_random_seed_repeats_python_numpy_and_glflow_draws():
    def draws():
        return (random.random(), np.random.rand(), gf.random_uniform([3]).numpy().tolist())
    gf.utils.set_random_seed(5)
    first = draws()
    gf.utils.set_random_seed(5)
    assert draws() == first
    with pytest.raises(TypeError, match="seed must be an int"):
        gf.utils.set_random_seed(1.5)


def _functional():
    inputs = gf.Input(shape=(4,), name="features")
    hidden = layers.Dense(3, activation="tanh", name="hidden")(inputs)
    outputs = layers.Dense(2, activation="softmax", name="probs")(
        layers.Concatenate()([hidden, inputs]))
    return gf.Model(inputs, outputs, name="net")


@pytest.mark.parametrize("make", [
    lambda: gf.Sequential([gf.Input(shape=(4,)), layers.Dense(3, activation="relu"),
                           layers.Dense(1)], name="stack"),
    _functional])
def test_to_json_round_trip(make):
    model = make()
    text = model.to_json()
    entry = json.loads(text)
    assert entry["class_name"] == type(model).__name__
    assert entry["config"]["name"] == model.name
    assert [layer["class_name"] for layer in entry["config"]["layers"]][-1] == "Dense"
    rebuilt = gf.models.model_from_json(text)
    assert type(rebuilt) is type(model) and rebuilt.to_json() == text
    rebuilt.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(rebuilt.predict(x), model.predict(x), rtol=1e-6)
    assert json.loads(model.to_json(indent=2)) == entry


def test_model_from_json_errors_are_clear():
    with pytest.raises(ValueError, match="model_from_json: not valid JSON"):
        gf.models.model_from_json("{not json")
    with pytest.raises(ValueError, match="expected a JSON object with 'class_name'"):
        gf.models.model_from_json("[1, 2]")
    with pytest.raises(ValueError, match="unknown layer class 'MyLayer'"):
        gf.models.model_from_json('{"class_name": "MyLayer", "config": {}}')
    with pytest.raises(ValueError, match="config of 'Dense' is malformed"):
        gf.models.model_from_json('{"class_name": "Dense", "config": {"unitz": 3}}')


def test_evaluate_prints_one_keras_line(capsys):
    model = gf.Sequential([gf.Input(shape=(3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(1).normal(size=(10, 3)).astype(np.float32)
    y = np.array([0, 1] * 5)
    loss, accuracy = model.evaluate(x, y, batch_size=4)
    out = capsys.readouterr().out
    assert out == f"3/3 - loss: {loss:.4f} - accuracy: {accuracy:.4f}\n"
    probs = model.predict(x)
    assert loss == pytest.approx(-np.log(probs[np.arange(10), y]).mean(), rel=1e-5)
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""
