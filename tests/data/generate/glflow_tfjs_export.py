"""Export glflow models as TF.js layers models (tests/data/tfjs_export) and record what
TensorFlow.js itself predicts from those files.

Not run in CI (it needs Node.js and TensorFlow.js; see tfjs_models.py for the install):

    .venv/bin/python tests/data/generate/glflow_tfjs_export.py /tmp/tfjs-check/node_modules
    .venv/bin/python tests/data/generate/glflow_tfjs_export.py /tmp/tfjs-check/node_modules \\
        --verify     # re-run TF.js on the committed files and compare with the recording

Each model is built and (the mlp) trained with glflow, saved with `model.save(".../model.json")`,
then loaded by TF.js through its own HTTP loader and run on seeded inputs; `<name>.npz` holds
the inputs (`x0`, ...) and TF.js' outputs (`y0`, ...). tests/test_model_files.py loads the
committed exports with glflow, compares glflow's predictions with TF.js' and checks that
glflow writes the committed files again byte for byte, so the recording stays evidence for
the code under test without Node in CI.
"""
import os
import shutil
import sys

import numpy as np

from tfjs_models import make_inputs, node_predict

import glflow as gf  # noqa: E402 - after the sibling import, as a script
from glflow import layers  # noqa: E402
from glflow.io import tfjs_format  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "tfjs_export")
TOLERANCE = dict(rtol=1e-4, atol=1e-5)


def mlp():
    model = gf.Sequential([
        layers.Input((6,)), layers.Dense(8, activation="relu", kernel_regularizer="l2"),
        layers.BatchNormalization(), layers.Dropout(0.2),
        layers.Dense(7, activation="hard_sigmoid", use_bias=False), layers.Activation("gelu"),
        layers.LayerNormalization(), layers.Dense(3, activation="softmax")], name="mlp")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0)
    model.compile(gf.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    return model, [(5, 6)]


def cnn():
    inp = layers.Input((9, 9, 2), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = layers.Conv2D(4, 3, dilation_rate=2)(x)                           # 5x5
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu6")(x)
    x = layers.SeparableConv2D(5, 3, strides=2, padding="same")(x)        # 3x3
    x = layers.BatchNormalization()(x)
    x = layers.Conv2DTranspose(3, 3, strides=2, padding="same")(x)       # 6x6
    x = layers.Conv2DTranspose(3, (2, 3), strides=(1, 2))(x)             # 7x13
    x = layers.ZeroPadding2D(((1, 0), (2, 1)))(x)                        # 8x16
    x = layers.MaxPooling2D(2)(x)                                        # 4x8
    x = layers.AveragePooling2D(2, strides=1, padding="same")(x)
    up = layers.UpSampling2D((2, 1))(x)                                  # 8x8
    out = layers.Concatenate()([layers.GlobalAveragePooling2D()(up),
                                layers.GlobalMaxPooling2D()(x)])
    return gf.Model(inp, layers.Dense(3, activation="selu")(out), name="cnn"), [(2, 9, 9, 2)]


def sequence():
    ids = layers.Input((8,), name="ids")
    x = layers.Embedding(20, 4)(ids)
    x = layers.Conv1D(4, 3, padding="same", activation="elu")(x)
    x = layers.MaxPooling1D(2, strides=1)(x)                             # 7
    x = layers.LSTM(5, return_sequences=True)(x)
    x = layers.GRU(4, return_sequences=True, reset_after=False)(x)
    x = layers.SimpleRNN(3, return_sequences=True, go_backwards=True)(x)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.TimeDistributed(layers.Dense(2, activation="tanh"))(x)
    x = layers.AveragePooling1D(2, padding="same")(x)                    # 4
    a = layers.Bidirectional(layers.GRU(2, reset_after=False, recurrent_activation="hard_sigmoid"),
                             merge_mode="ave")(x)
    b = layers.GlobalMaxPooling1D()(x)
    out = layers.Dense(2)(layers.Concatenate()([a, b]))
    return gf.Model(ids, out, name="sequence"), [(3, 8, "ids")]


def masked():
    model = gf.Sequential([layers.Input((6,)), layers.Embedding(10, 3, mask_zero=True),
                           layers.LSTM(4), layers.Dense(2)], name="masked")
    return model, [(4, 6, "padded")]


def merge():
    a, b = layers.Input((6,), name="a"), layers.Input((6,), name="b")
    c = layers.Input((2, 3), name="c")
    shared = layers.Dense(6, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    merged = [layers.Add()([ha, hb]), layers.Multiply()([ha, hb]),
              layers.Average()([ha, hb, a]), layers.Maximum()([ha, hb]),
              layers.Minimum()([ha, hb])]
    x = layers.Reshape((10, 3))(layers.Concatenate()(merged))
    x = layers.Permute((2, 1))(x)
    x = layers.Permute((2, 1))(x)
    x = layers.Concatenate(axis=1)([x, c])                                # 12x3
    x = layers.Flatten()(layers.LayerNormalization(axis=1)(x))
    heads = [layers.Dense(2, name="head1")(x),
             layers.Dense(1, activation="sigmoid", name="head2")(shared(a))]
    return gf.Model([a, b, c], heads, name="merge"), [(3, 6), (3, 6), (3, 2, 3)]


MODELS = {"mlp": mlp, "cnn": cnn, "sequence": sequence, "masked": masked, "merge": merge}


def randomize(model, rng):
    """Seeded random weights (the mlp keeps its trained ones): variances positive."""
    model.set_weights([rng.uniform(0.5, 1.5, w.shape) if "variance" in w.name
                       else rng.normal(scale=0.5, size=w.shape) for w in model.weights])


def generate(node_modules):
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for index, (name, build) in enumerate(MODELS.items()):
        gf.set_seed(index)
        rng = np.random.default_rng(300 + index)
        model, specs = build()
        if name != "mlp":
            randomize(model, rng)
        path = os.path.join(OUT, name, "model.json")
        # the cnn's weights are written in 1 KiB shards, so TF.js also checks glflow's split
        tfjs_format.SHARD_BYTES = 1024 if name == "cnn" else 4 * 1024 * 1024
        model.save(path)
        inputs = make_inputs(specs, rng)
        ours = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        theirs = node_predict(node_modules, path, inputs)
        for a, b in zip(ours if isinstance(ours, list) else [ours], theirs):
            np.testing.assert_allclose(a, b, **TOLERANCE)
        arrays = {f"x{i}": x for i, x in enumerate(inputs)}
        arrays.update({f"y{i}": y for i, y in enumerate(theirs)})
        np.savez(os.path.join(OUT, f"{name}.npz"), **arrays)
        print("export", name, "TF.js agrees with glflow")


def verify(node_modules):
    for name in MODELS:
        recorded = np.load(os.path.join(OUT, f"{name}.npz"))
        inputs = [recorded[k] for k in sorted(recorded) if k.startswith("x")]
        theirs = node_predict(node_modules, os.path.join(OUT, name, "model.json"), inputs)
        for i, y in enumerate(theirs):
            np.testing.assert_allclose(y, recorded[f"y{i}"], **TOLERANCE)
        print("verify", name, "TF.js predicts what was recorded")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--verify"]):
        sys.exit(__doc__)
    (verify if sys.argv[2:] else generate)(os.path.abspath(sys.argv[1]))
