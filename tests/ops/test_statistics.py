"""variance, moments and norm (glflow/ops/statistics.py), compositions of reductions: values
against numpy, gradients vs finite differences."""
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, normal, uniform


@pytest.mark.parametrize("shape,axis", [((7,), None), ((5, 7), 1), ((5, 7), (0, 1)),
                                        ((2, 3, 5), (0, 2)), ((3, 2500), -1)])
def test_variance_and_moments(shape, axis):
    # offset data: the two-pass formula has no cancellation; float32 means of 2500 values
    # differ by ~1e-6 relative between a chunked and numpy's pairwise sum
    data = uniform(shape, 99.0, 101.0)
    check_op(lambda x: gf.variance(x, axis), [data], rtol=2e-5, atol=1e-5, grad_rtol=2e-4)
    check_op(lambda x: gf.moments(x, axis, keepdims=True), [normal(shape)], rtol=2e-5,
             atol=1e-6)
    out = check_op(lambda x: gf.moments(x, axis), [normal(shape)], rtol=2e-5, atol=1e-6)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(out[0], np.mean(x, axis=axis), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1], np.var(x.astype(np.float64), axis=axis), rtol=1e-4)


@pytest.mark.parametrize("ord_,axis", [("euclidean", None), (2, None), (1, None),
                                       (np.inf, None), ("fro", None), (2, 1), (1, -1),
                                       (np.inf, 0), ("euclidean", (0, 2)), ("fro", (1, 2)),
                                       (1, (0, 2)), (np.inf, (2, 0)), (1, (-1, 1))])
def test_norm(ord_, axis):
    check_op(lambda x: gf.norm(x, ord_, axis), [normal((3, 4, 5))])
    out = check_op(lambda x: gf.norm(x, ord_, axis, keepdims=True), [normal((3, 4, 5))],
                   grad=False)
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float64)
    if axis is None:
        want = np.linalg.norm(x.reshape(-1), None if ord_ in ("euclidean", "fro") else ord_)
        want = np.reshape(want, (1, 1, 1))
    else:
        want = np.linalg.norm(x, "fro" if ord_ == "euclidean" else ord_, axis, keepdims=True)
    np.testing.assert_allclose(out[0], want, rtol=1e-5)
