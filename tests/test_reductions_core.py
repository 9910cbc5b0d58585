"""sum and mean, the core reductions: axes (negative, several, non-contiguous, all), keepdims,
gradients, dtypes, and lengths that take several GL passes (1,000,003 elements: three passes of
1024-element chunks, the last chunks partial). Random shapes/axes without gradients and the
other reductions are in test_reductions.py."""
import numpy as np
import pytest

import glflow as gf
from helpers import booleans, check_op, integers, normal, uniform

AXES = [((7,), None), ((7,), 0), ((7,), -1), ((5, 7), 0), ((5, 7), 1), ((5, 7), -2),
        ((5, 7), (0, 1)), ((5, 7), (-1, 0)), ((2, 3, 5), (0, 2)), ((2, 3, 5), (2, 0)),
        ((2, 3, 5), 1), ((2, 3, 4, 5), (1, 3)), ((2, 3, 4, 5), (-3, -2)), ((13, 1), 1),
        ((1, 13), 0), ((4, 8), 1), ((3, 4, 8), (0, 1))]


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", AXES)
def test_axes_keepdims_and_gradients(name, shape, axis, keepdims):
    fn = getattr(gf, name)
    out = check_op(lambda x: fn(x, axis, keepdims), [normal(shape)], rtol=2e-6, atol=1e-6)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    want = getattr(np, name)(x.astype(np.float64), axis=axis, keepdims=keepdims)
    assert out[0].shape == want.shape
    np.testing.assert_allclose(out[0], want, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_methods_and_keyword_arguments(name):
    check_op(lambda x: getattr(x, name)(axis=-1, keepdims=True), [normal((3, 4))])
    check_op(lambda x: getattr(x, name)(), [normal((3, 4))])


@pytest.mark.parametrize("shape,axis", [((1_000_003,), None), ((1_000_003,), 0),
                                        ((3, 333_334), 1), ((333_334, 3), 0),
                                        ((1001, 1001), None)])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_large_multipass(name, shape, axis):
    # positive values: no cancellation, so the result is well conditioned and a chunked
    # float32 tree sum stays within ~log2(n) roundings (~1e-6) of the exact value
    fn = getattr(gf, name)
    out = check_op(lambda x: fn(x, axis), [uniform(shape, 0.5, 1.5)], rtol=1e-5, grad=False)
    x = np.random.default_rng(0).uniform(0.5, 1.5, shape).astype(np.float32)
    want = getattr(np, name)(x.astype(np.float64), axis=axis)
    np.testing.assert_allclose(out[0], want, rtol=1e-5)


def test_large_gradient():
    # the gradient of a sum over a multi-pass axis is a broadcast of dy
    check_op(lambda x: gf.mean(x, 1), [normal((2, 40_001))])


def test_integer_and_bool_dtypes():
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        ints = gf.tensor([[1, 2, 3], [4, 5, 7]], dtype="int32")
        assert gf.sum(ints, 1).dtype == "int32"
        assert gf.sum(ints, 1).numpy().tolist() == [6, 16]
        assert gf.mean(ints, 1).dtype == "float32"
        np.testing.assert_allclose(gf.mean(ints, 1).numpy(), [2.0, 16 / 3], rtol=1e-6)
        flags = gf.tensor([True, False, True, True])
        assert gf.sum(flags).dtype == "int32" and gf.sum(flags).item() == 3
        assert gf.mean(flags).item() == 0.75
    gf.set_backend("gl")
    check_op(lambda x: gf.mean(x, 0), [integers((6, 5))], grad=False)
    check_op(lambda x: gf.sum(x, (0, 1)), [booleans((7, 9))])


def test_large_integer_sum_is_exact():
    # 1,000,003 ones and twos: partial sums are integers far below 2**24, exact in float32
    check_op(lambda x: gf.sum(x), [integers((1_000_003,), 1, 3)])


def test_mean_of_empty_axis_is_an_error_but_empty_outer_is_not():
    with pytest.raises(ValueError, match=r"mean: cannot average over an empty axis of shape "
                                         r"\[3, 0\]"):
        gf.mean(gf.zeros([3, 0]), 1)
    assert gf.mean(gf.zeros([0, 4]), 1).shape == [0]
    assert gf.sum(gf.zeros([3, 0]), 1).numpy().tolist() == [0.0, 0.0, 0.0]


def test_nan_and_inf_propagate():
    x = np.array([[1.0, np.nan, 2.0], [np.inf, 1.0, 2.0], [np.inf, -np.inf, 0.0]], np.float32)
    for name in ("sum", "mean"):
        with np.errstate(invalid="ignore"):  # inf + -inf in the numpy backend and numpy
            out = check_op(lambda t, name=name: getattr(gf, name)(t, 1), [x], grad=False)[0]
            np.testing.assert_array_equal(out, getattr(np, name)(x, axis=1))
