"""Layers and models used from several threads at once: the first call builds once, and a
call's activity losses belong to that call's thread (Keras keeps them in the call context)."""
import threading

import numpy as np

import glflow as gf
from glflow import layers, models
from glflow.layers import regularizers


def _run_together(fn, count):
    """fn(i) in `count` threads released at the same moment; the exceptions they raised."""
    start = threading.Barrier(count)
    errors = []

    def body(i):
        try:
            start.wait()
            fn(i)
        except Exception as exc:  # noqa: BLE001 - collected and reported by the caller
            errors.append(exc)
    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_first_calls_from_eight_threads_build_the_model_once(tmp_path):
    # The 8 threads each built the unbuilt model: 32 weights instead of 4, and load_model
    # refused the saved file.
    gf.set_seed(0)
    model = models.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    outputs = [None] * 8

    def first_predict(i):
        outputs[i] = model.predict(x, verbose=0)
    assert _run_together(first_predict, 8) == []
    assert len(model.weights) == 4
    assert [w.shape for w in model.weights] == [[5, 4], [4], [4, 2], [2]]
    for out in outputs:
        np.testing.assert_array_equal(out, outputs[0])
    model.save(tmp_path / "m.glflow")
    loaded = gf.models.load_model(tmp_path / "m.glflow")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), outputs[0], rtol=1e-6)


def test_activity_losses_belong_to_the_calling_thread():
    # A thread calling the model while another evaluated it replaced the evaluator's activity
    # penalty with its own: 146 of 150 steps reported a wrong loss.
    gf.set_seed(1)
    model = models.Sequential([
        layers.Input((4,)),
        layers.Dense(3, activity_regularizer=regularizers.l2(0.5))])
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype(np.float32), np.zeros((8, 3), np.float32)
    other = (rng.normal(size=(8, 4)) * 10).astype(np.float32)  # a much larger penalty
    expected = model.test_on_batch(x, y)
    model(x)
    penalty = float(model.losses[0].numpy())
    assert penalty > 0 and expected > penalty  # the penalty is part of the loss
    wrong = []

    def work(i):
        for _ in range(60):
            if i == 0:
                got = model.test_on_batch(x, y)
                if abs(got - expected) > 1e-5 * expected:
                    wrong.append(got)
            else:
                model(other)
    assert _run_together(work, 2) == []
    assert wrong == [], f"{len(wrong)} of 60 losses wrong, e.g. {wrong[:3]} != {expected}"
    model(x)  # this thread's last call: its own penalty again
    assert float(model.losses[0].numpy()) == penalty
