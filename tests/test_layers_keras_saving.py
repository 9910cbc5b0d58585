"""Every layer added for Keras parity survives model.save / load_model and to_json /
model_from_json: same config, same weights, same predictions. Keras's alias names load."""
import json

import numpy as np
import pytest

import glflow as gf
from glflow import layers
from glflow.models import safetensors_io


def _adapted_normalization():
    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(np.random.default_rng(0).normal(size=(20, 5, 4)) * 3 + 1)
    return layer


# (make the layer, input shape without the batch axis)
LAYERS = [
    (lambda: layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5), (5, 4)),
    (lambda: layers.LeakyReLU(0.2), (5, 4)),
    (lambda: layers.PReLU(alpha_initializer="random_uniform", shared_axes=[1]), (5, 4)),
    (lambda: layers.ELU(0.5), (5, 4)),
    (lambda: layers.Softmax(axis=(1, 2)), (5, 4)),
    (lambda: layers.Rescaling([0.5, 1.0, 2.0, 4.0], offset=-1.0), (5, 4)),
    (_adapted_normalization, (5, 4)),
    (lambda: layers.Normalization(mean=2.0, variance=9.0, invert=True), (5, 4)),
    (lambda: layers.Masking(mask_value=0.5), (5, 4)),
    (lambda: layers.Cropping1D((1, 2)), (5, 4)),
    (lambda: layers.Cropping2D(((1, 0), (0, 1)), data_format="channels_first"), (3, 4, 5)),
    (lambda: layers.SpatialDropout1D(0.3, seed=1), (5, 4)),
    (lambda: layers.SpatialDropout2D(0.3, data_format="channels_first"), (3, 4, 5)),
    (lambda: layers.GaussianNoise(0.2, seed=2), (5, 4)),
    (lambda: layers.GaussianDropout(0.2), (5, 4)),
    (lambda: layers.RepeatVector(3), (4,)),
    (lambda: layers.Conv3D(2, (2, 1, 2), padding="same", bias_initializer="random_normal"),
     (3, 4, 2, 2)),
    (lambda: layers.MaxPooling3D(2, padding="same"), (3, 4, 2, 2)),
    (lambda: layers.AveragePooling3D((1, 2, 2), strides=1), (3, 4, 2, 2)),
    (lambda: layers.GlobalMaxPooling3D(keepdims=True), (3, 4, 2, 2)),
    (lambda: layers.LSTM(3, dropout=0.2, recurrent_dropout=0.3, seed=4), (5, 4)),
    (lambda: layers.Attention(use_scale=True, score_mode="concat", dropout=0.1), None),
    (lambda: layers.MultiHeadAttention(2, 3, value_dim=2, output_shape=6, dropout=0.1), None),
]


def _model(make, shape):
    layer = make()
    if shape is not None:
        inputs = gf.Input(shape=shape)
        return gf.Model(inputs, layer(inputs)), [(2,) + shape]
    query, value = gf.Input(shape=(3, 4)), gf.Input(shape=(5, 4))
    if isinstance(layer, layers.MultiHeadAttention):
        return gf.Model([query, value], layer(query, value)), [(2, 3, 4), (2, 5, 4)]
    out, scores = layer([query, value], return_attention_scores=True)
    return gf.Model([query, value], [out, scores]), [(2, 3, 4), (2, 5, 4)]


@pytest.mark.parametrize("make, shape", LAYERS, ids=[f"{i}" for i in range(len(LAYERS))])
def test_save_load_and_json_round_trip(make, shape, tmp_path):
    model, shapes = _model(make, shape)
    rng = np.random.default_rng(5)
    data = [rng.normal(size=s).astype(np.float32) for s in shapes]
    data = data[0] if len(data) == 1 else data
    expected = model.predict(data)
    model.save(tmp_path / "m.glflow")
    loaded = gf.models.load_model(tmp_path / "m.glflow")
    for got, want in zip(*(x if isinstance(x, list) else [x]
                           for x in (loaded.predict(data), expected))):
        np.testing.assert_array_equal(got, want)
    assert loaded.to_json() == model.to_json()
    rebuilt = gf.models.model_from_json(model.to_json())
    assert [type(a) for a in rebuilt.layers] == [type(b) for b in model.layers]
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]


def test_keras_alias_names_load():
    config = {"class_name": "Sequential", "config": {"name": "aliases", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 8, 8, 2]}},
        {"class_name": "Convolution2D", "config": {"filters": 3, "kernel_size": [3, 3]}},
        {"class_name": "MaxPool2D", "config": {"pool_size": [2, 2]}},
        {"class_name": "AvgPool2D", "config": {"pool_size": [1, 1]}},
        {"class_name": "GlobalAvgPool2D", "config": {}}]}}
    model = gf.models.model_from_json(json.dumps(config))
    assert [type(layer) for layer in model.layers] == [
        layers.Conv2D, layers.MaxPooling2D, layers.AveragePooling2D,
        layers.GlobalAveragePooling2D]
    assert model.compute_output_shape((None, 8, 8, 2)) == (None, 3)
    for alias in ("MaxPool1D", "AvgPool1D", "GlobalMaxPool1D", "GlobalMaxPool2D",
                  "GlobalAvgPool1D", "Convolution1D", "SeparableConvolution2D",
                  "Convolution2DTranspose"):
        assert getattr(layers, alias) in vars(layers).values()
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D


def test_scalar_weights_keep_their_shape_in_the_file():
    """Attention's scale is a 0-d weight: the safetensors writer kept it as [1] (and
    load_model then refused the file)."""
    scalar = np.float32(2.5).reshape(())
    for save, load in ((safetensors_io.dumps, safetensors_io.loads),
                       (safetensors_io.save_bytes, safetensors_io.load_bytes)):
        back = load(save({"s": scalar, "v": np.arange(3, dtype=np.float32)}))
        assert back["s"].shape == () and back["s"] == 2.5
        assert back["v"].tolist() == [0.0, 1.0, 2.0]
