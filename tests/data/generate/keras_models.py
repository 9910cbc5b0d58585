"""Generate the Keras reference models under tests/data/keras3 and tests/data/keras2.

Not run in CI: it needs TensorFlow and Keras, which glflow never depends on. Run it in a
throwaway virtual environment outside the repository:

    python -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu tf_keras h5py
    /tmp/tfvenv/bin/python tests/data/generate/keras_models.py

Each model is built by Keras itself (Keras 3 for `.keras` and Keras 3's legacy `.h5`, tf_keras,
the Keras 2 line, for legacy `.h5`), its weights are set to seeded random values (so that a
wrong mapping cannot hide behind zeros and ones), and `<name>.npz` next to the model file holds
the inputs (`x0`, `x1`, ...) and Keras' own predictions for them (`y0`, `y1`, ...).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)

# activations whose name means the same function in every Keras line (hard_sigmoid does not:
# Keras 3 made it relu6(x + 3) / 6, Keras 2 and TF.js use clip(0.2 x + 0.5, 0, 1))
ACTIVATIONS = ["relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish",
               "gelu", "exponential", "linear", "softmax"]


def mlp(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((6,)),
        layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-3)),
        layers.BatchNormalization(),
        layers.Dropout(0.25),
        layers.Dense(7, activation="tanh", use_bias=False),
        layers.Activation("softsign"),
        layers.LayerNormalization(),
        layers.Dense(3, activation="softmax"),
    ], name="mlp")
    model.layers[0].trainable = False
    model.compile(keras.optimizers.Adam(0.005), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, [(5, 6)]


def activations(keras):
    layers = keras.layers
    x = inp = keras.Input((5,), name="features")
    for name in ACTIVATIONS:
        x = layers.Dense(5, activation=name, name=f"dense_{name}")(x)
    x = layers.Dense(4, name="spread")(x)
    x = layers.ReLU(max_value=6.0)(layers.Dense(4)(layers.ReLU()(x)))    # glflow: relu, relu6
    x = layers.Softmax()(x)
    return keras.Model(inp, x, name="activations"), [(4, 5)]


def cnn2d(keras, groups=True):
    layers = keras.layers
    inp = keras.Input((10, 10, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = layers.Conv2D(6, 3, dilation_rate=2)(x)                            # 6x6
    if groups:
        x = layers.Conv2D(4, (3, 1), padding="same", groups=2)(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu6")(x)
    x = layers.SeparableConv2D(5, 3, strides=2, padding="same")(x)         # 3x3
    x = layers.BatchNormalization()(x)
    x = layers.Conv2DTranspose(3, 3, strides=2, padding="same")(x)        # 6x6
    x = layers.Conv2DTranspose(3, (2, 3), strides=(1, 2))(x)              # 7x13
    x = layers.ZeroPadding2D(((1, 0), (2, 1)))(x)                         # 8x16
    x = layers.MaxPooling2D(2, strides=1)(x)                              # 7x15
    x = layers.AveragePooling2D(2, padding="same")(x)                     # 4x8
    up = layers.UpSampling2D(2)(x)                                        # 8x16
    smooth = layers.UpSampling2D((2, 1), interpolation="bilinear")(x)     # 8x8
    pooled = [layers.GlobalAveragePooling2D()(up), layers.GlobalMaxPooling2D()(smooth),
              layers.Flatten()(layers.MaxPooling2D(4)(up))]
    out = layers.Dense(3)(layers.Concatenate()(pooled))
    return keras.Model(inp, out, name="cnn2d"), [(2, 10, 10, 3)]


def conv1d(keras):
    layers = keras.layers
    inp = keras.Input((12, 3), name="signal")
    x = layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="elu")(inp)
    x = layers.Conv1D(5, 3, strides=2, padding="same")(x)                # 6
    a = layers.MaxPooling1D(2, padding="same")(x)                         # 3
    b = layers.AveragePooling1D(2, strides=1)(x)                          # 5
    out = layers.Concatenate()([layers.GlobalMaxPooling1D()(a),
                                layers.GlobalAveragePooling1D()(b)])
    return keras.Model(inp, layers.Dense(2)(out), name="conv1d"), [(3, 12, 3)]


def recurrent(keras):
    layers = keras.layers
    ids = keras.Input((7,), dtype="int32", name="ids")
    x = layers.Embedding(20, 4)(ids)
    x = layers.LSTM(5, return_sequences=True)(x)
    x = layers.GRU(4, return_sequences=True)(x)                          # reset_after=True
    x = layers.GRU(4, return_sequences=True, reset_after=False, go_backwards=True)(x)
    x = layers.SimpleRNN(3, return_sequences=True, activation="relu")(x)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.TimeDistributed(layers.Dense(2, activation="tanh"))(x)
    seq, h, c = layers.LSTM(3, return_state=True, return_sequences=True)(x)
    summed = layers.Bidirectional(layers.GRU(2), merge_mode="sum")(seq)
    out = layers.Concatenate()([summed, h, c])
    return keras.Model(ids, layers.Dense(2)(out), name="recurrent"), [(3, 7, "ids")]


def masked(keras):
    layers = keras.layers
    model = keras.Sequential([keras.Input((6,), dtype="int32"),
                              layers.Embedding(10, 3, mask_zero=True),
                              layers.LSTM(4),
                              layers.Dense(2)], name="masked")
    return model, [(4, 6, "padded_ids")]


def masked_functional(keras):
    """Keras 3 writes the Embedding's padding mask as an `ids != 0` operation node passed to
    each consumer's `mask`; glflow's Embedding carries the same mask itself."""
    layers = keras.layers
    ids = keras.Input((6,), dtype="int32", name="ids")
    x = layers.Embedding(10, 3, mask_zero=True)(ids)
    out = layers.Concatenate()([layers.LSTM(4)(x), layers.Bidirectional(layers.GRU(2))(x)])
    return keras.Model(ids, layers.Dense(2)(out), name="masked_functional"), \
        [(4, 6, "padded_ids")]


def merge(keras):
    layers = keras.layers
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    c = keras.Input((2, 3), name="c")
    shared = layers.Dense(6, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)                                          # one layer, 2 nodes
    merged = [layers.Add()([ha, hb]), layers.Subtract()([ha, hb]), layers.Multiply()([ha, hb]),
              layers.Average()([ha, hb, a]), layers.Maximum()([ha, hb]),
              layers.Minimum()([ha, hb])]
    x = layers.Concatenate()(merged)                                       # 36
    x = layers.Reshape((3, 12))(x)
    x = layers.Permute((2, 1))(x)                                          # 12x3
    x = layers.Concatenate(axis=1)([x, c])                                 # 14x3
    x = layers.LayerNormalization(axis=1)(x)
    x = layers.Flatten()(x)
    head1 = layers.Dense(2, name="head1")(x)
    head2 = layers.Dense(1, activation="sigmoid", name="head2")(shared(a))
    return keras.Model([a, b, c], [head1, head2], name="merge"), [(3, 6), (3, 6), (3, 2, 3)]


def rescaling(keras):
    """Rescaling, in both Keras lines (the files were first made as `unknown_layer`, when
    glflow had no Rescaling; keras3_layers.py makes today's unknown_layer)."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3),
                              layers.Rescaling(0.5, name="halve"), layers.Dense(2)],
                             name="unknown_layer")
    return model, [(2, 4)]


MODELS = {"mlp": mlp, "activations": activations, "cnn2d": cnn2d, "conv1d": conv1d,
          "recurrent": recurrent, "masked": masked, "masked_functional": masked_functional,
          "merge": merge,
          "rescaling": rescaling}


def make_inputs(specs, rng):
    xs = []
    for spec in specs:
        if spec[-1] == "ids":
            xs.append(rng.integers(0, 20, size=spec[:-1]).astype(np.int32))
        elif spec[-1] == "padded_ids":
            ids = rng.integers(1, 10, size=spec[:-1]).astype(np.int32)
            for row, length in zip(ids, rng.integers(2, spec[1] + 1, size=spec[0])):
                row[length:] = 0
            xs.append(ids)
        else:
            xs.append(rng.normal(size=spec).astype(np.float32))
    return xs


def randomize(model, rng):
    """Seeded random weights: variances positive, everything else N(0, 0.5)."""
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path if hasattr(w, "path") else "variance" in w.name:
            values.append(rng.uniform(0.5, 1.5, size=shape))
        else:
            values.append(rng.normal(scale=0.5, size=shape))
    model.set_weights([v.astype(np.float32) for v in values])


def save(model, inputs, path_stem, suffixes):
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    arrays = {f"x{i}": x for i, x in enumerate(inputs)}
    arrays.update({f"y{i}": np.asarray(y, np.float32) for i, y in enumerate(outputs)})
    for suffix in suffixes:
        model.save(path_stem + suffix)
    np.savez(path_stem + ".npz", **arrays)


def main():
    import keras
    keras.utils.set_random_seed(0)
    out3 = os.path.join(DATA, "keras3")
    os.makedirs(out3, exist_ok=True)
    for index, (name, build) in enumerate(MODELS.items()):
        rng = np.random.default_rng(index)
        model, specs = build(keras)
        randomize(model, rng)
        inputs = make_inputs(specs, rng)
        # a legacy .h5 from Keras 3 too, for the models whose graphs differ the most
        suffixes = [".keras"] + ([".h5"] if name in ("merge", "recurrent") else [])
        save(model, inputs, os.path.join(out3, name), suffixes)
        print("keras3", name, keras.__version__)

    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras
    out2 = os.path.join(DATA, "keras2")
    os.makedirs(out2, exist_ok=True)
    for index, (name, build) in enumerate(MODELS.items()):
        rng = np.random.default_rng(100 + index)
        kwargs = {"groups": False} if name == "cnn2d" else {}  # TF's CPU kernels lack groups
        model, specs = build(tf_keras, **kwargs)
        randomize(model, rng)
        save(model, make_inputs(specs, rng), os.path.join(out2, name), [".h5"])
        print("keras2", name, tf_keras.__version__)


if __name__ == "__main__":
    sys.exit(main())
