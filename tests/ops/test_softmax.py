"""softmax, log_softmax, logsumexp: gl vs numpy on odd sizes, every axis, long axes (several
reduction passes), large logits, inf/nan lines, empty tensors, gradients and bad arguments."""
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, fixed, integers, normal


# (shape, axis): texel-aligned lines (ROW4), unaligned lines, inner axes, long axes
CASES = [((1,), 0), ((3,), -1), ((5, 7), -1), ((5, 7), 0), ((4, 8), 1), ((2, 3, 5), 1),
         ((2, 3, 5), -3), ((13, 1), 1), ((3, 2500), -1), ((2500, 3), 0), ((2, 1030, 8), 1)]


@pytest.mark.parametrize("shape,axis", CASES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family(name, shape, axis):
    # GLSL exp vs numpy's differ by ~2 ulp, and the line sums are added in another order
    fn = getattr(gf, name)
    check_op(lambda x: fn(x, axis), [normal(shape, 3.0)], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_large_logits(name):
    # logits ~1e4 apart: exp would overflow without subtracting the max first; gradients at
    # this scale are checked against float64 finite differences with a step to match
    fn = getattr(gf, name)
    out = check_op(lambda x: fn(x), [normal((6, 9), 1e4)], atol=1e-3, fd_eps=1e-2,
                   grad_atol=1e-5)
    assert np.all(np.isfinite(out[0]))
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        y = fn(gf.tensor([[1e4, -1e4, 0.0], [-3e4, 3e4, 3e4]])).numpy()
        assert np.all(np.isfinite(y)), backend
        if name == "log_softmax":
            # never -inf for finite inputs, however far below the max (exp underflows to 0)
            np.testing.assert_allclose(y, [[0.0, -2e4, -1e4], [-6e4 - np.log(2), -np.log(2),
                                                               -np.log(2)]], rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_inf_and_nan_lines(name):
    x = np.array([[1.0, 2.0, 3.0, 4.0], [np.inf, 1.0, 2.0, 3.0], [-np.inf] * 4,
                  [np.nan, 1.0, 2.0, 3.0], [-np.inf, 0.0, 1.0, -np.inf],
                  [np.inf, np.inf, -np.inf, 0.0]], np.float32)
    fn = getattr(gf, name)
    out = check_op(lambda t: fn(t, -1) if name != "logsumexp" else fn(t, 1), [fixed(x)],
                   grad=False)
    with np.errstate(all="ignore"):
        if name == "logsumexp":
            m = np.max(x, 1, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)
            want = (np.log(np.sum(np.exp(x - m), 1, keepdims=True)) + m)[:, 0]
        else:
            z = x - np.max(x, 1, keepdims=True)
            e = np.exp(z)
            want = e / e.sum(1, keepdims=True) if name == "softmax" else (
                z - np.log(e.sum(1, keepdims=True)))
    np.testing.assert_allclose(out[0], want, rtol=1e-6, equal_nan=True)
    check_op(lambda t: fn(t, 0), [fixed(x.T.copy())], grad=False)


@pytest.mark.parametrize("shape,axis", [((), None), ((1,), None), ((7,), 0), ((5, 7), 1),
                                        ((5, 7), (0, 1)), ((2, 3, 5), (0, 2)),
                                        ((2, 3, 5), -2), ((4097,), None), ((3, 2500), 1),
                                        ((2500, 3), 0), ((2, 1030, 8), 1)])
def test_logsumexp(shape, axis):
    check_op(lambda x: gf.logsumexp(x, axis), [normal(shape, 3.0)], rtol=1e-5, atol=1e-6)
    check_op(lambda x: gf.logsumexp(x, axis, keepdims=True), [normal(shape, 3.0)],
             rtol=1e-5, atol=1e-6, grad=False)


def test_logsumexp_large_and_int_inputs():
    out = check_op(lambda x: gf.logsumexp(x, 1), [normal((5, 11), 1e4)], fd_eps=1e-2)
    assert np.all(np.isfinite(out[0]))
    check_op(lambda x: gf.logsumexp(x, 0), [integers((6, 3), -5, 5)])


def test_empty():
    for fn in (gf.softmax, gf.log_softmax):
        out = check_op(lambda x, fn=fn: fn(x, 1), [fixed(np.zeros((3, 0), np.float32))],
                       grad=False)
        assert out[0].shape == (3, 0)
    out = check_op(lambda x: gf.logsumexp(x, 1), [fixed(np.zeros((3, 0), np.float32))],
                   grad=False)
    np.testing.assert_array_equal(out[0], [-np.inf] * 3)
    out = check_op(lambda x: gf.logsumexp(x, 0), [fixed(np.zeros((0, 3), np.float32))],
                   grad=False)
    np.testing.assert_array_equal(out[0], [-np.inf] * 3)


def test_softmax_sums_to_one_and_matches_exp_of_log_softmax():
    x = np.random.default_rng(5).standard_normal((7, 1500)).astype(np.float32) * 5
    gf.set_backend("gl")
    t = gf.tensor(x)
    s = gf.softmax(t).numpy()
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.exp(gf.log_softmax(t).numpy()), s, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("call,error,match", [
    (lambda x: gf.softmax(x, 2), ValueError, "softmax: axis 2 is out of range"),
    (lambda x: gf.log_softmax(x, -3), ValueError, "log_softmax: axis -3 is out of range"),
    (lambda x: gf.softmax(x, (0, 1)), TypeError, "softmax: axis must be one int"),
    (lambda x: gf.softmax(gf.scalar(1.0)), ValueError, "softmax: logits must have rank >= 1"),
    (lambda x: gf.logsumexp(x, (1, 1)), ValueError, "logsumexp: axis 1 repeated"),
    (lambda x: gf.logsumexp(x, 3), ValueError, "logsumexp: axis 3 is out of range"),
])
def test_bad_arguments(call, error, match):
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        with pytest.raises(error, match=match):
            call(gf.ones((5, 7)))
