"""Callbacks driven by scripted logs (exact decisions) and inside real fit() runs."""
import csv

import numpy as np
import pytest

import glflow as gf
from glflow import callbacks, layers, models, optimizers


class StubModel:
    """Just what callbacks touch: stop_training, weights, optimizer, save."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = optimizers.SGD(lr)
        self.weights = [np.zeros(2)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = weights

    def save(self, path):
        self.saved.append(path)

    save_weights = save


def drive(callback, values, key="val_loss", model=None):
    """Run epochs with logs {key: value}; returns the last epoch run and the model."""
    model = model or StubModel()
    callback.set_model(model)
    callback.on_train_begin()
    epoch = -1
    for epoch, value in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return epoch, model


def test_early_stopping_patience_min_delta_baseline_mode():
    last, _ = drive(callbacks.EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.92, 0.91, 0.5])
    assert last == 3  # no improvement at epochs 2 and 3
    last, _ = drive(callbacks.EarlyStopping(patience=1, min_delta=0.05), [1.0, 0.97, 0.96, 0.9])
    assert last == 1  # 0.97 is not better than 1.0 by more than 0.05
    last, _ = drive(callbacks.EarlyStopping(monitor="val_accuracy", patience=1),
                    [0.5, 0.6, 0.7, 0.65, 0.6], key="val_accuracy")
    assert last == 3  # 'accuracy' in the name: higher is better
    last, _ = drive(callbacks.EarlyStopping(patience=2, baseline=0.5), [0.9, 0.8, 0.7, 0.6])
    assert last == 1  # improving, but two epochs without beating the baseline
    with pytest.raises(ValueError, match="mode must be"):
        callbacks.EarlyStopping(mode="lowest")


def test_early_stopping_restores_best_weights():
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    last, model = drive(stopper, [1.0, 0.4, 0.6, 0.7, 0.8])
    assert last == 3 and stopper.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs"):
        drive(callbacks.EarlyStopping(), [1.0], key="loss")


def test_model_checkpoint_save_best_only(tmp_path):
    template = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.glflow")
    checkpoint = callbacks.ModelCheckpoint(template, save_best_only=True)
    _, model = drive(checkpoint, [1.0, 1.2, 0.8, 0.9])
    assert [p.split("/")[-1] for p in model.saved] == ["ckpt-01-1.00.glflow",
                                                       "ckpt-03-0.80.glflow"]
    every = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}"), save_weights_only=True)
    _, model = drive(every, [1.0, 1.2])
    assert len(model.saved) == 2
    with pytest.raises(ValueError, match="cannot format filepath"):
        drive(callbacks.ModelCheckpoint(str(tmp_path / "{val_acc}")), [1.0])


def test_reduce_lr_on_plateau_with_cooldown_and_floor():
    # as in Keras the cooldown counts down before the check, so cooldown=2 skips one epoch
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.02, cooldown=2)
    model = StubModel(lr=0.1)
    lrs = []
    reducer.set_model(model)
    reducer.on_train_begin()
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"val_loss": value}
        reducer.on_epoch_end(epoch, logs)
        lrs.append(model.optimizer.learning_rate)
        assert logs["learning_rate"] == pytest.approx(lrs[-2] if epoch else 0.1)
    # reduce at epoch 1, cool down at 2, reduce at 3, cool down at 4, floor at 5
    np.testing.assert_allclose(lrs, [0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02])


def _tiny_model(seed=0, lr=0.05):
    gf.set_seed(seed)
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizers.SGD(lr), "mse")
    return model


def _tiny_data(n=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (x @ np.array([[2.0], [-1.0]])).astype(np.float32)


def test_learning_rate_scheduler_in_fit():
    model = _tiny_model()
    x, y = _tiny_data()
    seen = []
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    probe = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.learning_rate))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[sched, probe])
    np.testing.assert_allclose(seen, [0.05, 0.025, 0.0125])
    np.testing.assert_allclose(history.history["learning_rate"], seen)
    one_arg = callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[one_arg])
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    model = _tiny_model()
    x, y = _tiny_data()
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.25,
              callbacks=[callbacks.CSVLogger(path)])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert all(float(v) > 0 for r in rows[1:3] for v in r[1:])


def test_lambda_callback_hook_order_and_type_check():
    model = _tiny_model()
    x, y = _tiny_data(8)
    events = []

    def record(name):
        return lambda *args: events.append(name)
    hooks = ["on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end",
             "on_test_begin", "on_test_end", "on_epoch_end", "on_train_end"]
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_data=(x, y),
              callbacks=[callbacks.LambdaCallback(**{h: record(h) for h in hooks})])
    assert events == ["on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                      "on_train_batch_end", "on_train_batch_begin", "on_train_batch_end",
                      "on_test_begin", "on_test_end", "on_epoch_end", "on_train_end"]
    with pytest.raises(TypeError, match="unknown hook 'on_step'"):
        callbacks.LambdaCallback(on_step=print)
    with pytest.raises(TypeError, match="expected Callback objects"):
        model.fit(x, y, verbose=0, callbacks=[print])


def test_terminate_on_nan_stops_training(capsys):
    model = _tiny_model()
    x, y = _tiny_data(8)
    x[0, 0] = np.nan  # the first batch's loss is NaN
    guard = callbacks.TerminateOnNaN()
    history = model.fit(x, y, batch_size=4, epochs=5, shuffle=False, verbose=0,
                        callbacks=[guard])
    assert guard.stopped_batch == 0 and model.optimizer.iterations == 1
    assert len(history.epoch) == 1 and np.isnan(history.history["loss"][0])
    assert "TerminateOnNaN: batch 0 has loss nan" in capsys.readouterr().out


def test_early_stopping_in_fit_restores_best_epoch():
    model = _tiny_model(lr=0.5)  # large steps: validation loss moves around
    x, y = _tiny_data(32)
    snapshots = {}
    probe = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.__setitem__(epoch, model.get_weights()))
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=30, batch_size=8, validation_data=(x[:8], y[:8] + 1.0),
                        verbose=0, callbacks=[probe, stopper])
    losses = history.history["val_loss"]
    best = int(np.argmin(losses))
    assert stopper.best_epoch == best
    for got, want in zip(model.get_weights(), snapshots[best]):
        np.testing.assert_array_equal(got, want)


def test_model_checkpoint_creates_missing_directories(tmp_path):
    model = _tiny_model()
    path = tmp_path / "runs" / "a" / "ckpt-{epoch}.glflow"
    model.fit(*_tiny_data(), epochs=2, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(path, monitor="loss")])
    assert sorted(p.name for p in (tmp_path / "runs" / "a").iterdir()) == ["ckpt-1.glflow",
                                                                          "ckpt-2.glflow"]
