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


def test_defaults_are_keras_and_tfs():
    """batch_norm's variance_epsilon and layer_norm's epsilon default to 1e-3 (Keras
    BatchNormalization, LayerNormalization), layer_norm's axis to -1; local_response_
    normalization's to depth_radius=5, bias=1, alpha=1, beta=0.5 (tf.nn). Variances near
    1e-2 make an epsilon of 2e-3 off by ~4%; 13 channels make a radius of 6 differ."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32) * 0.1
    m = rng.normal(size=4).astype(np.float32) * 0.1
    v = rng.uniform(0.005, 0.02, size=4).astype(np.float32)
    x64, m64, v64 = (a.astype(np.float64) for a in (x, m, v))
    np.testing.assert_allclose(gf.batch_norm(x, m, v).numpy(), (x64 - m64) / np.sqrt(v64 + 1e-3),
                               rtol=1e-5, atol=1e-6)
    want = (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(gf.layer_norm(x).numpy(), want, rtol=1e-5, atol=1e-5)
    y = rng.normal(size=(1, 2, 1, 13)).astype(np.float64)
    window = np.stack([(y[..., max(0, c - 5):c + 6] ** 2).sum(-1) for c in range(13)], -1)
    got = gf.local_response_normalization(y.astype(np.float32)).numpy()
    np.testing.assert_allclose(got, y / np.sqrt(1.0 + window), rtol=1e-5, atol=1e-6)


def test_epsilon_zero_and_depth_radius_zero_are_allowed():
    # epsilon >= 0 and depth_radius >= 0 are the documented ranges: 0 is inside both
    rng = np.random.default_rng(12)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    m = rng.normal(size=3).astype(np.float32)
    v = rng.uniform(0.5, 2.0, size=3).astype(np.float32)
    x64, m64, v64 = (a.astype(np.float64) for a in (x, m, v))
    np.testing.assert_allclose(gf.batch_norm(x, m, v, variance_epsilon=0).numpy(),
                               (x64 - m64) / np.sqrt(v64), rtol=1e-5, atol=1e-6)
    want = (x64 - x64.mean(-1, keepdims=True)) / x64.std(-1, keepdims=True)
    np.testing.assert_allclose(gf.layer_norm(x, epsilon=0.0).numpy(), want, rtol=1e-5, atol=1e-5)
    y = rng.normal(size=(1, 1, 2, 5)).astype(np.float32)
    got = gf.local_response_normalization(y, 0, 2.0, 0.5, 0.75).numpy()
    y64 = y.astype(np.float64)
    np.testing.assert_allclose(got, y64 / (2.0 + 0.5 * y64 ** 2) ** 0.75, rtol=1e-5, atol=1e-6)


def test_layer_norm_over_a_size_one_axis_gives_beta():
    # one value is its own mean: x - mean is 0 and the output is beta (Keras does the same)
    x = np.array([[3.0], [-1.5], [0.25]], np.float32)
    out = gf.layer_norm(x, np.array([2.0], np.float32), np.array([0.5], np.float32)).numpy()
    np.testing.assert_array_equal(out, np.full((3, 1), 0.5, np.float32))


def test_layer_norm_parameters_that_broadcast_against_x():
    # gamma/beta of the normalised axes' sizes, or any shape broadcasting to x's ([2, 1]
    # here: one scale per row); a shape broadcasting beyond x is refused
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2, 3)).astype(np.float32)
    gamma = np.array([[2.0], [-0.5]], np.float32)
    x64 = x.astype(np.float64)
    norm = (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(gf.layer_norm(x, gamma).numpy(), norm * gamma, rtol=1e-5,
                               atol=1e-5)
    with pytest.raises(ValueError, match=r"layer_norm: gamma of shape \[4, 2, 3\] fits neither"):
        gf.layer_norm(x, np.ones((4, 2, 3), np.float32))


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
    (lambda: gf.batch_norm(np.zeros((2, 3), np.float32), np.zeros(3, np.float32),
                           np.ones(3, np.float32), variance_epsilon=-1e-3), ValueError,
     "batch_norm: epsilon must be a number >= 0"),
    (lambda: gf.local_response_normalization(np.zeros((2, 3), np.float32)), ValueError,
     "local_response_normalization: x must have rank 4"),
    (lambda: gf.local_response_normalization(np.zeros((1, 1, 1, 3), np.float32), -1),
     ValueError, "local_response_normalization: depth_radius"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
