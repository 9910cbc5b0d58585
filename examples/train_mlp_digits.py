"""Train a Keras-style MLP on scikit-learn's 8x8 digits with a gf.data.Dataset pipeline.

    glflow run examples/train_mlp_digits.py

Every Dense layer, the loss, the gradients and the Adam updates run as fragment shaders on the
GL backend (or in numpy with GLFLOW_BACKEND=cpu); the printed test accuracy should be ~0.95+.
"""
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import glflow as gf

gf.set_seed(0)  # weight initialisation and shuffling: the same run every time
digits = load_digits()
x = (digits.data / 16.0).astype(np.float32)      # 1797 images of 8x8 pixels in [0, 1]
y = digits.target.astype(np.int32)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0,
                                                    stratify=y)

train = (gf.data.Dataset.from_tensor_slices((x_train, y_train))
         .shuffle(len(x_train), seed=0)
         .batch(64))
test = gf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(256)

model = gf.Sequential([
    gf.layers.Dense(64, activation="relu", input_shape=(64,)),
    gf.layers.Dense(64, activation="relu"),
    gf.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=gf.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.summary()

start = time.perf_counter()
history = model.fit(train, epochs=10, verbose=0)
print(f"trained {len(history.history['loss'])} epochs in {time.perf_counter() - start:.1f} s "
      f"on {gf.get_backend()}; final training loss {history.history['loss'][-1]:.4f}")

loss, accuracy = model.evaluate(test, verbose=0)
print(f"test accuracy: {accuracy:.3f} ({len(x_test)} held-out digits)")
