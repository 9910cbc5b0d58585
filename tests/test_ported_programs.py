"""Public Keras tutorials ported by changing only the import (`import glflow as keras`),
run on GL on small local data, reaching the tutorials' kind of result:

- Keras's "Simple MNIST convnet" (Conv2D 32/64 + pooling + dropout + softmax, Adam,
  categorical cross-entropy) at its own input shape, 28x28x1, and its batch size, 128.
  MNIST cannot be downloaded here: scikit-learn's 8x8 digits are upscaled 3x to 24x24 and
  padded to 28x28 (MNIST centres 20x20 digits in 28x28 frames), as uint8 in MNIST's value
  range. 1,400 training images instead of 60,000, and 6 epochs instead of 15: an epoch
  takes ~4.5 s on llvmpipe (2 cores), so the tutorial's 15 would take ~70 s, past this
  test's ~40 s budget; 6 take ~28 s and reach ~0.95. Bar: test accuracy > 0.9 (the
  tutorial: ~0.99 on MNIST).
- Keras's IMDB LSTM text classifier (pad_sequences, Embedding, LSTM with dropout and
  recurrent_dropout, Dense sigmoid, Adam, binary cross-entropy) behind an integer
  `Input(shape=(None,), dtype="int32")`, on synthetic reviews whose label is the sentiment
  word hidden at a random position among neutral words. Bar: accuracy > 0.9 on held-out
  reviews after 5 epochs (the tutorial: ~0.8 on IMDB).

The code between the data preparation and the asserts is the tutorials' program, as a Keras
user writes it."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

import glflow as keras
from glflow import layers


def digits_as_mnist():
    """(x_train, y_train), (x_test, y_test) shaped like keras.datasets.mnist's: 28x28 uint8
    images and integer labels; a seeded shuffle splits train and test."""
    digits = load_digits()
    images = np.kron(digits.images, np.ones((3, 3))) * (255 / 16)      # 24x24
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))                   # 28x28
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order].astype("uint8"), digits.target[order]
    return (images[:1400], labels[:1400]), (images[1400:], labels[1400:])


def test_simple_mnist_convnet(capsys):
    keras.utils.set_random_seed(0)
    num_classes = 10
    input_shape = (28, 28, 1)

    (x_train, y_train), (x_test, y_test) = digits_as_mnist()
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])
    model.summary()

    batch_size = 128
    epochs = 6  # the tutorial: 15 (see the module docstring)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])

    assert keras.get_backend() == "gl"
    out = capsys.readouterr().out
    # conv 3*3*1*32 + 32, conv 3*3*32*64 + 64, dense (5*5*64)*10 + 10 (28 -> 26 -> 13 -> 11
    # -> 5): the tutorial's 34,826
    assert "Total params: 34826" in out
    assert len(model.history.history["val_accuracy"]) == epochs
    assert score[1] > 0.9, score
    predicted = model.predict(x_test).argmax(axis=1)
    assert np.mean(predicted == y_test.argmax(axis=1)) == pytest.approx(score[1], abs=1e-6)


def synthetic_reviews(count, seed):
    """Token lists of 3..10 ids from 30 "words": 7..29 are neutral, and one position holds a
    sentiment word, 1..3 (label 1) or 4..6 (label 0). 0 stays free for padding."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(count):
        words = list(rng.integers(7, 30, rng.integers(3, 11)))
        label = int(rng.integers(0, 2))
        words[rng.integers(0, len(words))] = rng.integers(1, 4) if label else rng.integers(4, 7)
        texts.append(words)
        labels.append(label)
    return texts, np.array(labels)


def test_embedding_lstm_text_classifier(capsys):
    keras.utils.set_random_seed(0)
    max_features = 30  # the tutorial: the 20,000 most frequent words
    maxlen = 10        # the tutorial: 80
    batch_size = 32

    (x_train, y_train), (x_test, y_test) = synthetic_reviews(640, 1), synthetic_reviews(200, 2)
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 16)(inputs)           # the tutorial: 128
    x = layers.LSTM(16, dropout=0.2, recurrent_dropout=0.2)(x)  # the tutorial: 128 units
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)

    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=5,
              validation_data=(x_test, y_test))
    score, acc = model.evaluate(x_test, y_test, batch_size=batch_size)
    print("Test score:", score)
    print("Test accuracy:", acc)

    assert keras.get_backend() == "gl"
    assert x_train.shape == (640, 10) and x_train.dtype == np.int32
    last_line = capsys.readouterr().out.splitlines()[-3]
    assert last_line == f"7/7 - loss: {score:.4f} - accuracy: {acc:.4f}"
    assert acc > 0.9, (score, acc)
