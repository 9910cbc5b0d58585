"""Dataset pipelines: slicing, generators, map/batch/shuffle/repeat/take, prefetch threads
(and their clean stop), and fit/evaluate/predict fed by a Dataset."""
import threading
import time

import numpy as np
import pytest

import glflow as gf
from glflow import layers, models, optimizers
from glflow.data import INFINITE, UNKNOWN, Dataset


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "glflow-prefetch" and t.is_alive()]


def _wait_for_no_prefetch_threads(timeout=5.0):
    end = time.monotonic() + timeout
    while _prefetch_threads() and time.monotonic() < end:
        time.sleep(0.01)
    return _prefetch_threads()


def test_from_tensor_slices_structures():
    x = np.arange(12).reshape(6, 2)
    y = np.arange(6) * 10
    rows = list(Dataset.from_tensor_slices(x))
    assert len(rows) == 6 and np.array_equal(rows[2], [4, 5])
    pairs = list(Dataset.from_tensor_slices((x, y)))
    assert np.array_equal(pairs[3][0], [6, 7]) and pairs[3][1] == 30
    dicts = list(Dataset.from_tensor_slices({"a": x, "b": y}))
    assert set(dicts[0]) == {"a", "b"} and dicts[5]["b"] == 50
    assert len(Dataset.from_tensor_slices(gf.tensor(x.astype(np.float32)))) == 6
    with pytest.raises(ValueError, match=r"same length on axis 0, got shapes \[\[6, 2\], \[5\]\]"):
        Dataset.from_tensor_slices((x, y[:5]))
    with pytest.raises(ValueError, match="leading axis"):
        Dataset.from_tensor_slices(np.float32(3))


def test_generator_map_filter_batch_take_skip_repeat():
    def gen():
        for i in range(7):
            yield i, i * i
    ds = Dataset.from_generator(gen)
    assert ds.cardinality() == gf.data.UNKNOWN_CARDINALITY == -2
    mapped = ds.map(lambda a, b: (a, b + 1))  # tuple elements are unpacked, tf.data style
    assert [int(b) for _, b in mapped] == [i * i + 1 for i in range(7)]
    batches = list(mapped.batch(3))
    assert [len(b[0]) for b in batches] == [3, 3, 1]
    assert np.array_equal(batches[1][1], [10, 17, 26])
    assert [len(b[0]) for b in mapped.batch(3, drop_remainder=True)] == [3, 3]
    evens = ds.filter(lambda a, b: a % 2 == 0)
    assert [int(a) for a, _ in evens] == [0, 2, 4, 6]
    r = Dataset.range(5)
    assert list(r.skip(2).take(2)) == [2, 3] and len(r.take(10)) == 5
    assert list(r.repeat(2)) == [0, 1, 2, 3, 4] * 2 and len(r.repeat(3)) == 15
    assert list(r.repeat().take(7)) == [0, 1, 2, 3, 4, 0, 1]
    assert len(r.batch(2)) == 3 and len(r.batch(2, drop_remainder=True)) == 2
    with pytest.raises(TypeError, match="pass a callable"):
        Dataset.from_generator(gen())
    with pytest.raises(TypeError, match="length is unknown"):
        len(ds)
    with pytest.raises(ValueError, match="different shapes"):
        list(Dataset.from_generator(lambda: iter([np.ones(2), np.ones(3)])).batch(2))


def test_shuffle_is_a_seeded_permutation():
    r = Dataset.range(50)
    first = [int(v) for v in r.shuffle(10, seed=3)]
    assert sorted(first) == list(range(50)) and first != list(range(50))
    assert [int(v) for v in r.shuffle(10, seed=3)] == first  # same seed, same order
    shuffled = r.shuffle(50, seed=4)
    assert list(shuffled) != list(shuffled)  # a new order per iteration
    fixed = r.shuffle(50, seed=4, reshuffle_each_iteration=False)
    assert list(fixed) == list(fixed)
    # a buffer of 5 moves each element at most a bounded distance toward the front
    small = [int(v) for v in r.shuffle(5, seed=1)]
    assert all(small.index(v) >= v - 4 for v in range(50))


def test_prefetch_keeps_order_and_thread_stops():
    ds = Dataset.range(100).map(lambda v: v * 2).prefetch(4)
    assert [int(v) for v in ds] == [2 * i for i in range(100)]
    assert not _wait_for_no_prefetch_threads()
    for i, _ in enumerate(Dataset.range(10 ** 6).prefetch(2)):
        if i == 5:
            break  # leaving the loop must stop the producer, blocked on a full queue
    assert not _wait_for_no_prefetch_threads()
    it = iter(Dataset.range(10 ** 6).prefetch(3))
    next(it)
    assert len(_prefetch_threads()) == 1
    del it
    assert not _wait_for_no_prefetch_threads()


def test_prefetch_passes_producer_errors_on():
    def broken():
        yield np.ones(2)
        raise RuntimeError("source failed")
    it = iter(Dataset.from_generator(broken).prefetch(2))
    next(it)
    with pytest.raises(RuntimeError, match="source failed"):
        next(it)
    assert not _wait_for_no_prefetch_threads()
    with pytest.raises(ValueError, match="positive int"):
        Dataset.range(3).prefetch(0)


def _model():
    gf.set_seed(0)
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizers.SGD(0.1), "mse")
    return model


def test_fit_evaluate_predict_with_datasets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = (x @ np.array([[1.0], [-1.0]])).astype(np.float32)
    train = Dataset.from_tensor_slices((x, y)).shuffle(40, seed=0).batch(8).prefetch(2)
    model = _model()
    history = model.fit(train, epochs=4, verbose=0, validation_data=Dataset.from_tensor_slices(
        (x[:8], y[:8])).batch(4))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(history.history["val_loss"]) == 4
    arrays = _model()
    arrays.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    same = _model()
    same.fit(Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=0)
    for a, b in zip(arrays.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)  # unshuffled arrays == the same batches as a Dataset
    weighted = Dataset.from_tensor_slices((x, y, np.zeros(40, np.float32))).batch(10)
    assert model.evaluate(weighted) == 0.0  # (x, y, sample_weight) elements, all weights 0
    preds = model.predict(Dataset.from_tensor_slices(x).batch(16))
    np.testing.assert_allclose(preds, model.predict(x), rtol=1e-6)
    endless = Dataset.from_tensor_slices((x, y)).batch(8).repeat()
    history = model.fit(endless, epochs=3, steps_per_epoch=2, verbose=0)
    assert model.optimizer.iterations == 4 * 5 + 6 and len(history.epoch) == 3
    assert not _wait_for_no_prefetch_threads()
    with pytest.raises(ValueError, match="do not pass batch_size"):
        model.fit(train, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="cannot split a Dataset"):
        model.fit(train, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="elements for fit must be"):
        model.fit(Dataset.from_tensor_slices((x, y, y, y)).batch(4), verbose=0)


def test_finite_dataset_restarts_each_epoch_and_warns_when_it_runs_out():
    x = np.arange(24, dtype=np.float32).reshape(12, 2) / 12
    y = x.sum(-1, keepdims=True)
    ds = Dataset.from_tensor_slices((x, y)).batch(4)  # 3 batches
    model = _model()
    # steps_per_epoch == cardinality: each epoch is a fresh pass (tf.keras), not one pass
    history = model.fit(ds, epochs=3, steps_per_epoch=len(ds), verbose=0,
                        validation_data=ds, validation_steps=2)
    assert model.optimizer.iterations == 9 and len(history.epoch) == 3
    # validation starts a fresh pass every epoch too, so every epoch has a val_loss
    assert len(history.history["val_loss"]) == 3
    assert model.evaluate(ds, steps=2) == model.evaluate(ds.take(2))
    with pytest.warns(UserWarning, match=r"fit: the training data ran out after 3 of 8 steps"):
        history = model.fit(ds, epochs=4, steps_per_epoch=2, verbose=0)
    assert len(history.epoch) == 2


def test_negative_take_and_skip_mean_all():
    # tf.data: take(-1) takes every element, skip(-1) skips every element
    ds = Dataset.from_tensor_slices(np.arange(5))
    assert [int(e) for e in ds.take(-1)] == [0, 1, 2, 3, 4] and ds.take(-1).cardinality() == 5
    assert list(ds.skip(-1)) == [] and ds.skip(-1).cardinality() == 0
    endless = ds.repeat()
    assert endless.take(-1).cardinality() == gf.data.INFINITE_CARDINALITY == -1


def _generated():
    return Dataset.from_generator(lambda: iter(range(4)))


@pytest.mark.parametrize("make,count", [
    (lambda: Dataset.range(5).repeat(), INFINITE),
    (lambda: _generated().repeat(), INFINITE),            # tf.data: repeat() of unknown
    (lambda: Dataset.range(0).repeat(), 0),                # nothing to repeat: ends at once
    (lambda: Dataset.range(5).repeat(3), 15),
    (lambda: _generated().repeat(3), UNKNOWN),
    (lambda: Dataset.range(5).repeat().take(7), 7),
    (lambda: _generated().take(3), UNKNOWN),               # may hold fewer than 3
    (lambda: Dataset.range(5).repeat().skip(3), INFINITE),
    (lambda: Dataset.range(5).repeat().batch(2).map(lambda v: v), INFINITE),
    (lambda: Dataset.range(5).repeat().shuffle(4).prefetch(2), INFINITE),
    (lambda: Dataset.range(5).repeat().filter(lambda v: v > 2), INFINITE),  # never ends
    (lambda: Dataset.range(5).filter(lambda v: v > 2), UNKNOWN),
    (lambda: _generated().batch(3), UNKNOWN),
    (lambda: Dataset.range(10 ** 30), 10 ** 30),          # past sys.maxsize
])
def test_cardinality_tells_infinite_from_unknown(make, count):
    # -1 stood for both, so fit could not tell an endless Dataset from a generator
    assert make().cardinality() == count


def test_len_names_why_it_has_none():
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(3).repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(_generated())


def test_range_is_lazy():
    # Dataset.range(10**18).take(3) allocated the whole range first (MemoryError)
    assert [int(v) for v in Dataset.range(10 ** 18).take(3)] == [0, 1, 2]
    assert [int(v) for v in Dataset.range(10 ** 18, 0, -10 ** 17).take(2)] == [10 ** 18,
                                                                                  9 * 10 ** 17]
    assert [int(v) for v in Dataset.range(2, 11, 3)] == [2, 5, 8]
    assert Dataset.range(10 ** 18).cardinality() == 10 ** 18


def _endless(limit=200):
    """An infinite Dataset that fails loudly once `limit` elements were read, so a fit that
    ignores its cardinality ends in a RuntimeError instead of running forever."""
    x = np.ones((4, 2), np.float32)
    read = []

    def counted(a, b):
        read.append(1)
        if len(read) > limit:
            raise RuntimeError("read past the test's limit: the loop does not end")
        return a, b
    return Dataset.from_tensor_slices((x, x[:, :1])).repeat().map(counted).batch(2)


def test_infinite_dataset_without_a_step_count_is_a_clear_error():
    # Keras raises; glflow's fit/predict ran forever
    model = _model()
    with pytest.raises(ValueError, match=r"fit: the Dataset is infinite .* steps_per_epoch"):
        model.fit(_endless(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\): .* validation_steps"):
        model.fit(_endless(), epochs=1, steps_per_epoch=2, validation_data=_endless(),
                  verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: the Dataset is infinite .* steps"):
        model.evaluate(_endless())
    x_only = _endless().map(lambda a, b: a)
    with pytest.raises(ValueError, match=r"predict: the Dataset is infinite .* steps"):
        model.predict(x_only)
    assert model.predict(x_only, steps=3).shape == (6, 1)  # with a count it runs
    history = model.fit(_endless(), epochs=2, steps_per_epoch=3, verbose=0)
    assert len(history.epoch) == 2
