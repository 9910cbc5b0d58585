"""Generate the Keras 3 reference models of the layers keras_models.py does not cover
(advanced activations, preprocessing, noise, cropping, masking, attention, 3-D layers) under
tests/data/keras3: `<name>.keras`, Keras 3's legacy `<name>.h5`, and `<name>.npz` with the
inputs and Keras' own predictions.

Not run in CI. Keras 3 runs on any of its backends; JAX needs no TensorFlow:

    python -m venv /tmp/kvenv
    /tmp/kvenv/bin/pip install keras jax h5py
    KERAS_BACKEND=jax /tmp/kvenv/bin/python tests/data/generate/keras3_layers.py

The weights are seeded random values (so a wrong weight order cannot hide behind zeros and
ones); Normalization's adapted mean and variance come from `adapt` on seeded data.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "keras3")


def activation_layers(keras, rng):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((6,)),
        layers.Dense(8),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(8),
        layers.PReLU(),
        layers.Dense(8),
        layers.ELU(alpha=0.7),
        layers.Dense(8),
        layers.ReLU(max_value=2.5, negative_slope=0.1, threshold=0.3),
        layers.Dense(4),
        layers.Softmax(),
    ], name="activation_layers")
    return model, [rng.normal(size=(5, 6))]


def preprocessing(keras, rng):
    layers = keras.layers
    adapted = layers.Normalization(name="adapted")
    adapted.adapt(rng.normal(loc=2.0, scale=3.0, size=(64, 5)).astype(np.float32))
    model = keras.Sequential([
        keras.Input((5,)),
        layers.Rescaling(0.5, offset=0.25),
        adapted,
        layers.Normalization(mean=[0.1, -0.2, 0.3, 0.0, 1.0], variance=[1.0, 2.0, 0.5, 4.0, 1.5],
                             name="fixed"),
        layers.Dense(4, activation="tanh"),
        layers.GaussianNoise(0.3),             # the identity at inference
        layers.GaussianDropout(0.2),
        layers.Dense(2),
    ], name="preprocessing")
    return model, [rng.normal(loc=1.0, scale=4.0, size=(6, 5))]


def images(keras, rng):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((9, 9, 3)),
        layers.Conv2D(4, 3, padding="same"),
        layers.PReLU(shared_axes=[1, 2]),      # one slope per channel
        layers.Cropping2D(((1, 0), (2, 1))),    # 8x6
        layers.SpatialDropout2D(0.3),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(3),
    ], name="images")
    return model, [rng.normal(size=(2, 9, 9, 3))]


def volumes(keras, rng):
    layers = keras.layers
    inp = keras.Input((6, 7, 5, 2), name="volume")
    x = layers.Conv3D(3, (2, 3, 2), strides=(1, 2, 1), padding="same", activation="relu")(inp)
    x = layers.MaxPooling3D((2, 2, 1))(x)                                  # 3x2x5
    x = layers.Conv3D(4, 2, use_bias=False)(x)                             # 2x1x4
    a = layers.GlobalMaxPooling3D()(x)
    b = layers.GlobalAveragePooling3D()(layers.AveragePooling3D(2, padding="same")(x))
    out = layers.Dense(2)(layers.Concatenate()([a, b]))
    return keras.Model(inp, out, name="volumes"), [rng.normal(size=(2, 6, 7, 5, 2))]


def sequences(keras, rng):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((8, 3)),
        layers.Cropping1D((1, 2)),              # 5 steps
        layers.SpatialDropout1D(0.2),
        layers.Conv1D(4, 2),                    # 4 steps
        layers.GlobalAveragePooling1D(),
        layers.RepeatVector(3),
        layers.SimpleRNN(2),
        layers.Dense(2),
    ], name="sequences")
    return model, [rng.normal(size=(3, 8, 3))]


def masking(keras, rng):
    layers = keras.layers
    model = keras.Sequential([keras.Input((6, 3)), layers.Masking(0.0), layers.LSTM(4),
                              layers.Dense(2)], name="masking")
    x = rng.normal(size=(4, 6, 3))
    for row, length in zip(x, (6, 4, 2, 5)):  # padded sequences: Keras skips those steps
        row[length:] = 0.0
    return model, [x]


def attention(keras, rng):
    layers = keras.layers
    query = keras.Input((4, 6), name="query")
    value = keras.Input((5, 6), name="value")
    dot = layers.Attention(use_scale=True)([query, value])
    concat = layers.Attention(score_mode="concat")([query, value, value])
    # dropout (the identity at inference) keeps Keras off JAX's fused attention, which 3.15
    # cannot run with value_dim != key_dim
    heads = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, dropout=0.1)(
        query, value)
    wide = layers.MultiHeadAttention(num_heads=3, key_dim=2, output_shape=5)(query, value, value)
    x = layers.Concatenate()([dot, concat, heads, wide])                    # 4x23
    out = layers.Dense(2)(layers.Flatten()(x))
    return keras.Model([query, value], out, name="attention"), \
        [rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 5, 6))]


def unknown_layer(keras, rng):
    """A layer glflow does not have (UnitNormalization): loading must name it and allocate
    nothing."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3),
                              layers.UnitNormalization(name="unit"), layers.Dense(2)],
                             name="unknown_layer")
    return model, [rng.normal(size=(2, 4))]


MODELS = {"activation_layers": activation_layers, "preprocessing": preprocessing,
          "images": images, "volumes": volumes, "sequences": sequences, "masking": masking,
          "attention": attention, "unknown_layer": unknown_layer}


def randomize(model, rng):
    """Seeded random float weights: variances positive, the rest N(0, 0.5); Normalization's
    adapted values (and its integer count) stay as adapt left them."""
    for layer in model.layers:
        if type(layer).__name__ == "Normalization":
            continue
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            if "variance" in w.path:
                values.append(rng.uniform(0.5, 1.5, size=shape))
            else:
                values.append(rng.normal(scale=0.5, size=shape))
        layer.set_weights([v.astype(np.float32) for v in values])


def main():
    import keras
    keras.utils.set_random_seed(0)
    os.makedirs(OUT, exist_ok=True)
    for index, (name, build) in enumerate(MODELS.items()):
        rng = np.random.default_rng(200 + index)
        model, inputs = build(keras, rng)
        inputs = [x.astype(np.float32) for x in inputs]
        randomize(model, rng)
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        arrays = {f"x{i}": x for i, x in enumerate(inputs)}
        arrays.update({f"y{i}": np.asarray(y, np.float32) for i, y in enumerate(outputs)})
        stem = os.path.join(OUT, name)
        for suffix in (".keras",) if name == "unknown_layer" else (".keras", ".h5"):
            model.save(stem + suffix)
        np.savez(stem + ".npz", **arrays)
        print("keras3", name, keras.__version__, keras.backend.backend())


if __name__ == "__main__":
    sys.exit(main())
