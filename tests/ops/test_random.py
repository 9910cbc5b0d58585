"""The random family (glflow/ops/random.py): dropout, bernoulli, multinomial, shuffle. The same
seed gives the same numbers on gl and cpu; statistics within binomial error bars; gradients."""
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, normal, run_on


def _both(fn):
    (cpu,), _ = run_on("cpu", lambda: fn(), [])
    (gl,), _ = run_on("gl", lambda: fn(), [])
    return cpu, gl


def test_dropout_same_mask_on_both_backends_and_gradient():
    cpu = check_op(lambda x: gf.dropout(x, 0.4, seed=11), [normal((37, 29))])
    kept = cpu[0] != 0
    # 1073 Bernoulli(0.6) draws: the kept fraction within 5 standard deviations
    assert abs(kept.mean() - 0.6) < 5 * np.sqrt(0.6 * 0.4 / kept.size)


def test_dropout_scales_kept_values_and_noise_shape_broadcasts():
    x = np.full((6, 50), 3.0, np.float32)
    y = gf.dropout(x, 0.25, noise_shape=[1, 50], seed=3).numpy()
    kept = y[0] != 0
    np.testing.assert_allclose(y[:, kept], 4.0, rtol=1e-6)
    assert (y == y[0]).all()                 # one mask row shared by every row
    assert gf.dropout(x, 0.0) is not None and np.array_equal(gf.dropout(x, 0.0).numpy(), x)
    check_op(lambda t: gf.dropout(t, 0.5, noise_shape=[3, 1], seed=5), [normal((3, 7))])


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_out_of_range(rate):
    with pytest.raises(ValueError, match="dropout: rate must be"):
        gf.dropout(np.ones(3, np.float32), rate)


def test_dropout_bad_noise_shape():
    with pytest.raises(ValueError, match="dropout: .*noise_shape"):
        gf.dropout(np.ones((2, 3), np.float32), 0.5, noise_shape=[2, 2])


def test_bernoulli_seeded_and_mean():
    for dtype in ("float32", "int32", "bool"):
        cpu, gl = _both(lambda: gf.bernoulli([97, 31], 0.3, seed=4, dtype=dtype))
        np.testing.assert_array_equal(cpu, gl)
    mean = cpu.mean()
    assert abs(mean - 0.3) < 5 * np.sqrt(0.3 * 0.7 / cpu.size)
    with pytest.raises(ValueError, match="bernoulli: p must be"):
        gf.bernoulli([3], 1.5)


def test_multinomial_seeded_and_frequencies():
    logits = np.log(np.array([[0.1, 0.6, 0.3], [0.5, 0.0001, 0.4999]], np.float32))
    cpu, gl = _both(lambda: gf.multinomial(logits, 4000, seed=9))
    np.testing.assert_array_equal(cpu, gl)
    assert cpu.shape == (2, 4000) and cpu.dtype == np.int32
    probs = np.exp(logits.astype(np.float64))
    probs /= probs.sum(1, keepdims=True)
    for row in range(2):
        freq = np.bincount(cpu[row], minlength=3) / 4000
        sigma = np.sqrt(probs[row] * (1 - probs[row]) / 4000)
        assert np.all(np.abs(freq - probs[row]) < 5 * sigma + 1e-3)
    normalized = gf.multinomial([[0.0, 1.0, 0.0]], 50, seed=1, normalized=True).numpy()
    assert (normalized == 1).all()
    with pytest.raises(ValueError, match="multinomial: logits must have rank 2"):
        gf.multinomial([0.0, 1.0], 3)


def test_shuffle_is_a_seeded_permutation_and_differentiable():
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    cpu, gl = _both(lambda: gf.shuffle(x, seed=3))
    np.testing.assert_array_equal(cpu, gl)
    assert sorted(cpu[:, 0].tolist()) == x[:, 0].tolist()
    assert (cpu[:, 1:] - cpu[:, :1] == [1, 2, 3]).all()   # rows move whole
    check_op(lambda t: gf.shuffle(t, seed=8), [normal((7, 3))])
    with pytest.raises(ValueError, match="shuffle: x must have rank >= 1"):
        gf.shuffle(3.0)
