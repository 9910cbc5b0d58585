"""batch_norm, layer_norm, local_response_normalization: gl vs cpu, gradients (wrt every
input) vs finite differences, values vs numpy formulas written here."""
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, make_inputs, normal, positive


def test_batch_norm_last_axis_all_inputs_differentiable():
    shapes = [normal((3, 5, 7)), normal((7,)), positive((7,)), normal((7,)), normal((7,))]
    cpu = check_op(lambda x, m, v, o, s: gf.batch_norm(x, m, v, o, s, 1e-3), shapes)
    x, m, v, o, s = [a.astype(np.float64) for _, a in make_inputs(shapes, 0)]
    np.testing.assert_allclose(cpu[0], (x - m) / np.sqrt(v + 1e-3) * s + o, rtol=1e-5, atol=1e-5)


def test_batch_norm_full_broadcast_and_optional_parts():
    check_op(lambda x, m, v: gf.batch_norm(x, m, v, variance_epsilon=0.01),
             [normal((2, 3, 4)), normal((2, 3, 1)), positive((1, 3, 1))])
    check_op(lambda x, m, v, s: gf.batch_norm(x, m, v, scale=s),
             [normal((4, 5)), normal((5,)), positive((5,)), normal((5,))])


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_layer_norm(axis):
    shapes = [normal((3, 5, 6), scale=3.0)]
    axes = [axis] if isinstance(axis, int) else axis
    kept = [5, 6] if axis == [1, 2] else [[3, 5, 6][a] for a in axes]
    shapes += [normal(tuple(kept)), normal(tuple(kept))]
    # the mean and variance of 5-30 values in float32: errors ~1e-6 relative to the spread
    cpu = check_op(lambda x, g, b: gf.layer_norm(x, g, b, axis=axis, epsilon=1e-3), shapes,
                   rtol=1e-5, atol=1e-5)
    x, g, b = [a.astype(np.float64) for _, a in make_inputs(shapes, 0)]
    ax = tuple(a % 3 for a in axes)
    shape = [n if d in ax else 1 for d, n in enumerate(x.shape)]
    want = ((x - x.mean(ax, keepdims=True)) / np.sqrt(x.var(ax, keepdims=True) + 1e-3)
            * g.reshape(shape) + b.reshape(shape))
    # float32 statistics of <= 30 values of scale 3, then one division: ~1e-6 relative at
    # worst (1.8e-6 absolute measured); rtol 1e-5 leaves 10x, atol 1e-6 covers outputs near 0
    np.testing.assert_allclose(cpu[0], want, rtol=1e-5, atol=1e-6)


def test_layer_norm_without_parameters():
    check_op(lambda x: gf.layer_norm(x), [normal((4, 9))], rtol=1e-5, atol=1e-5)


def test_local_response_normalization():
    shapes = [normal((2, 3, 2, 7))]
    cpu = check_op(lambda x: gf.local_response_normalization(x, 2, 1.5, 0.3, 0.75), shapes)
    (x,) = [a.astype(np.float64) for _, a in make_inputs(shapes, 0)]
    sq = x ** 2
    window = np.stack([sq[..., max(0, c - 2):c + 3].sum(-1) for c in range(7)], -1)
    np.testing.assert_allclose(cpu[0], x / (1.5 + 0.3 * window) ** 0.75, rtol=1e-5, atol=1e-6)
    check_op(lambda x: gf.local_response_normalization(x), [normal((1, 2, 3, 4))])


@pytest.mark.parametrize("call,error,message", [
    (lambda: gf.batch_norm(np.zeros((2, 3), np.float32), np.zeros(4, np.float32),
                           np.ones(3, np.float32)), ValueError, "batch_norm: shapes cannot"),
    (lambda: gf.batch_norm(np.zeros((2, 3), np.float32), np.zeros((2, 2, 3), np.float32),
                           np.ones(3, np.float32)), ValueError, "batch_norm: mean of shape"),
    (lambda: gf.layer_norm(np.zeros((2, 3), np.float32), axis=2), ValueError,
     "layer_norm: axis 2 is out of range"),
    (lambda: gf.layer_norm(np.zeros((2, 3), np.float32), np.ones(4, np.float32)), ValueError,
     "layer_norm: shapes cannot be broadcast"),
    (lambda: gf.layer_norm(np.zeros((2, 3), np.float32), epsilon=-1), ValueError,
     "layer_norm: epsilon"),
    (lambda: gf.local_response_normalization(np.zeros((2, 3), np.float32)), ValueError,
     "local_response_normalization: x must have rank 4"),
    (lambda: gf.local_response_normalization(np.zeros((1, 1, 1, 3), np.float32), -1),
     ValueError, "local_response_normalization: depth_radius"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
