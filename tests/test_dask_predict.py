"""model.predict on a dask array: a dask array back, lazily, chunk by chunk (dask's threaded
scheduler here; tests/test_distributed.py computes one on a cluster)."""
import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import glflow as gf  # noqa: E402
from glflow.runtime import counters  # noqa: E402


def launches():
    return sum(counters.kernel_launches().values())


def two_output_model():
    gf.set_seed(5)
    inputs = gf.Input((4,))
    hidden = gf.layers.Dense(6, activation="relu")(inputs)
    return gf.Model(inputs, [gf.layers.Dense(2)(hidden), gf.layers.Dense(3)(hidden)])


def test_predict_on_a_dask_array_is_lazy_and_matches_numpy():
    model = two_output_model()
    x = np.random.RandomState(0).rand(31, 4).astype(np.float32)
    lazy = da.from_array(x, chunks=(7, 2))  # a sample split over chunks is joined first
    before = launches()
    a, b = model.predict(lazy, batch_size=3)
    built = launches()  # only the one-sample probe that found the output shapes ran
    assert isinstance(a, da.Array) and a.shape == (31, 2) and b.shape == (31, 3)
    assert a.chunks[0] == lazy.chunks[0]
    with dask.config.set(scheduler="threads"):
        got = dask.compute(a, b)
    assert launches() - built > 5 * (built - before)  # 5 chunks of 3 batches ran at compute
    expected = model.predict(x, batch_size=3)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_predict_on_a_dask_array_checks_shapes_now():
    model = two_output_model()
    with pytest.raises(ValueError):
        model.predict(da.zeros((8, 5), chunks=4))
    empty = model.predict(da.zeros((0, 4), chunks=4))[0]
    with dask.config.set(scheduler="sync"):
        assert empty.compute().shape == (0, 2)
