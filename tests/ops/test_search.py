"""The search family (glflow/ops/search.py): argmax, argmin and top_k against numpy, with ties,
nan and ints; not differentiable, except top_k's values (a gather)."""
import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import search
from helpers import check_op, fixed, integers, normal


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name):
    fn = getattr(gf, name)
    for shape in [(1,), (3,), (5, 7), (2, 3, 5), (13, 1), (4097,), (3, 2500), (2500, 3),
                  (2, 1030, 8)]:
        for axis in [None] + list(range(-len(shape), len(shape))):
            check_op(lambda x, axis=axis: fn(x, axis), [normal(shape)], grad=False)
    check_op(lambda x: fn(x, 1, keepdims=True), [normal((4, 6))], grad=False)
    check_op(lambda x: fn(x, 0), [integers((9, 4), -3, 3)])
    check_op(lambda x: fn(x), [fixed(np.float32(2.5))], grad=False)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_ties_and_nan(name):
    # first occurrence on ties; the first nan wins (numpy)
    x = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 2.0], [0.0, np.nan, 5.0, np.nan],
                  [-np.inf, -np.inf, np.inf, np.inf]], np.float32)
    fn = getattr(gf, name)
    for axis in (0, 1, None):
        out = check_op(lambda t, axis=axis: fn(t, axis), [fixed(x)], grad=False)
        np.testing.assert_array_equal(out[0], getattr(np, name)(x, axis=axis))
    # ties across chunks and passes: the earliest chunk must win
    long = np.zeros((3, 6000), np.float32)
    long[:, [10, 2000, 5999]] = 7.0
    long[1, 4000] = np.nan
    long[2, 1500] = np.nan
    long[2, 100] = -7.0
    check_op(lambda t: fn(t, 1), [fixed(long)], grad=False)
    check_op(lambda t: fn(t, 0), [fixed(long.T.copy())], grad=False)


def test_argmax_is_not_differentiable():
    x = gf.tensor([1.0, 3.0, 2.0])
    with gf.GradientTape() as tape:
        tape.watch(x)
        y = gf.sum(gf.cast(gf.argmax(x), "float32") * x)
    assert tape.gradient(y, x).numpy().tolist() == [1.0, 1.0, 1.0]  # d(c * x)/dx, c = 1


@pytest.mark.parametrize("shape,k", [((1,), 1), ((5,), 3), ((3, 7), 3), ((2, 3, 13), 13),
                                     ((4, 1000), 5), ((3, 8), 0), ((6,), 6), ((3, 130), 40)])
def test_top_k(shape, k):
    # (2, 3, 13) k 13, (6,) k 6 and (3, 130) k 40 take GL's ranking path, the others selection
    check_op(lambda x: gf.top_k(x, k)[0], [normal(shape)])
    out = check_op(lambda x: gf.top_k(x, k, sorted=False), [normal(shape)], grad=False)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    np.testing.assert_array_equal(out[1], order)


def test_top_k_ties_nan_and_ints():
    x = np.array([[1.0, 3.0, 3.0, -1.0, 3.0], [np.nan, 2.0, np.nan, np.inf, -np.inf],
                  [0.0, -0.0, 0.0, 1.0, -1.0]], np.float32)
    order = np.array([[1, 2, 4, 0, 3], [0, 2, 3, 1, 4], [3, 0, 1, 2, 4]])
    for k in (1, 2, 4, 5):  # GL selects for k <= 2 and ranks for k >= 4 (search.ranked)
        assert search.ranked(5, k) == (k >= 4)
        _, indices = check_op(lambda t, k=k: gf.top_k(t, k), [fixed(x)], grad=False)
        np.testing.assert_array_equal(indices, order[:, :k])
    for k in (3, 8):  # many ties; both GL paths
        check_op(lambda t, k=k: gf.top_k(t, k), [integers((4, 9), -3, 3)])


def test_top_k_gradient_scatters_to_indices():
    x = np.array([[0.5, 2.0, -1.0, 3.0], [4.0, 1.0, 0.0, -2.0]], np.float32)
    dy = np.array([[10.0, 20.0], [30.0, 40.0]], np.float32)
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        t = gf.tensor(x)
        with gf.GradientTape() as tape:
            tape.watch(t)
            y = gf.sum(gf.top_k(t, 2)[0] * gf.tensor(dy))
        got = tape.gradient(y, t).numpy()
        np.testing.assert_array_equal(got, [[0, 20, 0, 10], [30, 40, 0, 0]], err_msg=backend)
