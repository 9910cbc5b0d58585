"""compile/fit/evaluate/predict and the *_on_batch methods: losses against numpy, seeded
reproducibility across backends, weights, validation, progress output, memory, errors."""
import gc
import re

import numpy as np
import pytest

import glflow as gf
from glflow import callbacks, layers, models, optimizers
from glflow.callbacks import progbar


def regression_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.05 * rng.normal(size=(n, 1)))
    return x, y.astype(np.float32)


def classification_data(n=60, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, y


def mlp(outputs=1, activation=None, seed=0, **dense):
    gf.set_seed(seed)
    return models.Sequential([layers.Input((3 if outputs == 1 else 4,)),
                              layers.Dense(8, activation="tanh", **dense),
                              layers.Dense(outputs, activation=activation)])


def fit_curve(backend):
    gf.set_backend(backend)
    model = mlp(seed=42)
    model.compile(optimizers.Adam(0.02), "mse")
    gf.set_seed(7)  # the shuffling order
    x, y = regression_data()
    return model.fit(x, y, batch_size=16, epochs=6, verbose=0).history["loss"]


def test_fit_reduces_loss_and_backends_agree():
    gl_curve, cpu_curve = fit_curve("gl"), fit_curve("cpu")
    assert gl_curve[-1] < 0.5 * gl_curve[0]
    # same seeds, same data, same shuffles: the curves differ only by float32 rounding,
    # which 24 Adam steps amplify a little
    np.testing.assert_allclose(gl_curve, cpu_curve, rtol=1e-4)
    assert fit_curve("gl") == gl_curve  # exactly repeatable on one backend


def test_train_test_predict_on_batch_match_numpy_loss():
    model = mlp(seed=1, kernel_regularizer="l2")
    model.compile("sgd", "mse")
    x, y = regression_data(10)
    w = np.linspace(0.5, 2.0, 10).astype(np.float32)
    w1, b1, w2, b2 = model.get_weights()
    pred = np.tanh(x @ w1 + b1) @ w2 + b2
    data_loss = (((pred - y) ** 2).mean(-1) * w).sum() / 10
    want = data_loss + 0.01 * np.square(w1).sum()
    np.testing.assert_allclose(model.test_on_batch(x, y, sample_weight=w), want, rtol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x), pred, rtol=1e-5, atol=1e-6)
    first = model.train_on_batch(x, y, sample_weight=w)
    np.testing.assert_allclose(first, want, rtol=1e-5)  # loss before the update
    assert model.train_on_batch(x, y, sample_weight=w) < first
    assert model.optimizer.iterations == 2


def test_multi_output_losses_weights_and_logs():
    a = layers.Input((4,), name="a")
    h = layers.Dense(5, activation="relu", name="h")(a)
    reg = layers.Dense(1, name="reg")(h)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    model = models.Model(a, [reg, cls])
    model.compile("adam", loss={"reg": "mae", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 2.0}, metrics={"cls": ["accuracy"]})
    x, labels = classification_data(12)
    y_reg = x[:, :1] * 2
    logs = model.test_on_batch(x, {"reg": y_reg, "cls": labels}, return_dict=True)
    p_reg, p_cls = model.predict(x)
    mae = np.abs(p_reg - y_reg).mean()
    ce = -np.log(p_cls[np.arange(12), labels]).mean()
    np.testing.assert_allclose([logs["reg_loss"], logs["cls_loss"]], [mae, ce], rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], 0.5 * mae + 2.0 * ce, rtol=1e-5)
    assert logs["cls_accuracy"] == pytest.approx((p_cls.argmax(-1) == labels).mean())
    history = model.fit(x, [y_reg, labels], epochs=2, batch_size=4, verbose=0)
    assert set(history.history) == {"loss", "reg_loss", "cls_loss", "cls_accuracy"}


def test_accuracy_resolution_and_evaluate_return_types():
    x, labels = classification_data()
    model = mlp(outputs=3, activation="softmax")
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_categorical_crossentropy"])
    loss, acc, ce = model.evaluate(x, labels, batch_size=7)
    probs = model.predict(x)
    assert acc == pytest.approx((probs.argmax(-1) == labels).mean())
    np.testing.assert_allclose(loss, -np.log(probs[np.arange(60), labels]).mean(), rtol=1e-5)
    np.testing.assert_allclose(ce, loss, rtol=1e-6)  # the loss, averaged as a metric
    names = ["loss", "accuracy", "sparse_categorical_crossentropy"]
    assert model.metrics_names == names
    assert list(model.evaluate(x, labels, return_dict=True)) == names
    bare = mlp()
    bare.compile("sgd", "mse")
    assert isinstance(bare.evaluate(*regression_data()), float)


def test_validation_split_and_data_and_initial_epoch():
    x, y = regression_data(40)
    model = mlp()
    model.compile("adam", "mse", metrics=["mae"])
    history = model.fit(x, y, validation_split=0.25, epochs=5, initial_epoch=2, batch_size=8,
                        verbose=0)
    assert history.epoch == [2, 3, 4]
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    # the held-out part is the last 25% (before shuffling), scored with the final weights
    val_loss, val_mae = model.evaluate(x[30:], y[30:])
    np.testing.assert_allclose(history.history["val_loss"][-1], val_loss, rtol=1e-6)
    np.testing.assert_allclose(history.history["val_mae"][-1], val_mae, rtol=1e-6)
    history = model.fit(x, y, validation_data=(x[:5], y[:5]), epochs=2, verbose=0,
                        validation_freq=2)
    assert len(history.history["val_loss"]) == 1


def test_class_weight_equals_sample_weight():
    x, labels = classification_data(30)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    runs = []
    for kwargs in ({"class_weight": class_weight},
                   {"sample_weight": np.array([class_weight[c] for c in labels])}):
        model = mlp(outputs=3, activation="softmax", seed=5)
        model.compile("sgd", "sparse_categorical_crossentropy")
        gf.set_seed(11)
        model.fit(x, labels, epochs=2, batch_size=8, verbose=0, **kwargs)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    model.compile("sgd", "categorical_crossentropy")  # one-hot targets: class = argmax
    model.fit(x, np.eye(3)[labels], class_weight=class_weight, verbose=0)
    with pytest.raises(ValueError, match=r"no weight for class\(es\) \[2\]"):
        model.fit(x, np.eye(3)[labels], class_weight={0: 1.0, 1: 1.0}, verbose=0)


def test_progress_output(capsys, monkeypatch):
    x, y = regression_data(20)
    model = mlp()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, batch_size=10, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and re.fullmatch(r"2/2 - \d+\.\ds - loss: \d+\.\d{4}", lines[1])
    monkeypatch.setattr(progbar, "_tqdm", None)  # tqdm is optional: plain text without it
    model.fit(x, y, epochs=1, batch_size=10, verbose=1)
    out = capsys.readouterr().out  # not a terminal: no live bar, the epoch's line once
    assert out.startswith("Epoch 1/1\n2/2 - ") and "\r" not in out and out.count("loss:") == 1


def test_no_memory_growth_over_500_steps():
    x, labels = classification_data(50)
    model = mlp(outputs=3, activation="softmax")
    model.compile(optimizers.Adam(0.01, clipnorm=1.0), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    samples = []
    probe = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: samples.append(
        (gf.memory()["num_tensors"], gf.memory()["num_bytes"])))
    # garbage from earlier tests (reference cycles) must not be collected mid-run and read
    # as a change: collect it first, then keep the collector off while measuring
    gc.collect()
    gc.disable()
    try:
        model.fit(x, labels, batch_size=5, epochs=50, verbose=0, callbacks=[probe])
    finally:
        gc.enable()
    assert len(samples) == 500
    warm = samples[20]  # after the first steps created optimizer slots and metric state
    assert all(s == warm for s in samples[20:]), sorted(set(samples[20:]))


def test_bad_inputs_raise_clear_errors():
    x, y = regression_data(10)
    model = mlp()
    with pytest.raises(RuntimeError, match="call compile"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="unknown loss 'mean_sq'"):
        model.compile("adam", "mean_sq")
    with pytest.raises(ValueError, match="unknown optimizer 'adum'"):
        model.compile("adum", "mse")
    with pytest.raises(ValueError, match="unknown metric 'acc_top'"):
        model.compile("adam", "mse", metrics=["acc_top"])
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match="x has 10, y has 9"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(ValueError, match=r"expects shape \[None, 3\], got data of shape"):
        model.fit(np.ones((10, 5), np.float32), y, verbose=0)
    with pytest.raises(ValueError, match="validation_split must be in"):
        model.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="sample_weight has 3"):
        model.fit(x, y, sample_weight=np.ones(3), verbose=0)
    classifier = mlp(outputs=3, activation="softmax")
    classifier.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        classifier.fit(np.ones((4, 4), np.float32), np.array([0, 1, 2, 3]), verbose=0)
    with pytest.raises(ValueError, match="compiled without a loss"):
        no_loss = mlp()
        no_loss.compile("adam")
        no_loss.fit(x, y, verbose=0)


def test_class_weight_leaves_validation_split_unweighted():
    # Keras weights only the training part; val_loss must equal evaluate on the held-out rows
    x, labels = classification_data(40)
    model = mlp(outputs=3, activation="softmax", seed=2)
    model.compile(optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    history = model.fit(x, labels, validation_split=0.25, class_weight={0: 1, 1: 10, 2: 3},
                        batch_size=8, verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][-1],
                               model.evaluate(x[30:], labels[30:]), rtol=1e-6)


def test_class_weight_with_column_sample_weight():
    x, labels = classification_data(12)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    sw = np.linspace(0.5, 2.0, 12).astype(np.float32)
    model = mlp(outputs=3, activation="softmax", seed=3)
    model.compile(optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    want = model.test_on_batch(x, labels, sample_weight=sw * [class_weight[c] for c in labels])
    got = model.train_on_batch(x, labels, sample_weight=sw[:, None], class_weight=class_weight)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_evaluate_on_no_samples_raises():
    model = mlp()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="evaluate: the data produced no batches"):
        model.evaluate(np.zeros((0, 3), np.float32), np.zeros((0, 1), np.float32))


def test_validation_freq_int_or_epoch_list():
    x, y = regression_data(20)
    model = mlp()
    model.compile("sgd", "mse")
    seen = []
    probe = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((epoch, "val_loss" in logs)))
    model.fit(x, y, validation_data=(x, y), epochs=4, verbose=0, validation_freq=[2, 3],
              callbacks=[probe])
    assert seen == [(0, False), (1, True), (2, True), (3, False)]
    seen.clear()
    model.fit(x, y, validation_data=(x, y), epochs=4, verbose=0, validation_freq=2,
              callbacks=[probe])
    assert seen == [(0, False), (1, True), (2, False), (3, True)]
