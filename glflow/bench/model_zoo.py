"""The models the suites time, built one way everywhere.

- `mlp`: Dense 784 -> 256 relu -> 256 relu -> 10 softmax (the TF.js peer harness's MLP);
- `cnn_mnist`: Conv2D(32, 3, relu, valid) -> Conv2D(64, 3, relu, valid) -> MaxPooling2D(2)
  -> Flatten (9216) -> Dense(128, relu) -> Dense(10, softmax) on 28x28x1 (the peer's CNN);
- `digits_cnn`: the model of tests/test_digits_cnn.py (8x8x1 digits).

`seeded=True` gives each weight a seeded uniform(+-0.05) initializer, one seed per weight, as
the peer harness does (seeds 11-16 for the MLP, 21-28 for the CNN); the values still differ
from TF.js's, whose generator is its own, but they are fixed and the same on every backend.
"""
import glflow as gf

layers = gf.layers
MLP_FLOPS_PER_SAMPLE = 2 * (784 * 256 + 256 * 256 + 256 * 10)
CNN_FLOPS_PER_SAMPLE = 2 * (26 * 26 * 32 * 9 * 1 + 24 * 24 * 64 * 9 * 32 + 9216 * 128 + 128 * 10)


def _uniform(seed):
    return layers.initializers.RandomUniform(-0.05, 0.05, seed=seed)


def _weights(seeded, kernel_seed):
    """Initializer keywords: seeded uniform kernel and bias (seeds n, n + 1), or the defaults."""
    if not seeded:
        return {}
    return {"kernel_initializer": _uniform(kernel_seed),
            "bias_initializer": _uniform(kernel_seed + 1)}


def mlp(seeded=True):
    return gf.Sequential([
        layers.Dense(256, activation="relu", input_shape=(784,), **_weights(seeded, 11)),
        layers.Dense(256, activation="relu", **_weights(seeded, 13)),
        layers.Dense(10, activation="softmax", **_weights(seeded, 15)),
    ])


def cnn_mnist(seeded=True):
    return gf.Sequential([
        layers.Conv2D(32, 3, activation="relu", padding="valid", input_shape=(28, 28, 1),
                      **_weights(seeded, 21)),
        layers.Conv2D(64, 3, activation="relu", padding="valid", **_weights(seeded, 23)),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu", **_weights(seeded, 25)),
        layers.Dense(10, activation="softmax", **_weights(seeded, 27)),
    ])


def digits_cnn(seeded=False):
    return gf.Sequential([
        layers.Conv2D(16, 3, activation="relu", input_shape=(8, 8, 1), **_weights(seeded, 41)),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(64, activation="relu", **_weights(seeded, 43)),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax", **_weights(seeded, 45)),
    ])


def compile_for_training(model):
    """The training recipe every suite uses (tests/test_digits_cnn.py's)."""
    model.compile(gf.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
