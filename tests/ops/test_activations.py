"""Activations (glflow/ops/activations.py): gl vs numpy on odd shapes, gradients (also
against finite differences), saturation and overflow at large |x|, nan/inf, bad input."""
import numpy as np
import pytest
import scipy.special

import glflow as gf
from glflow.runtime import counters
from helpers import away_from_zero, check_op, fixed, integers, normal, run_on, uniform


ODD_SHAPES = [(), (1,), (3,), (5, 7), (2, 3, 5), (13, 1), (4097,), (0,)]


GRAD_SHAPES = ((), (5, 7))


# exp/log-based kernels: GL and numpy each land within ~3 ulp of the exact value (measured on
# llvmpipe), so 6e-7 (5 ulp at the bottom of a binade); atol covers results near 0, where
# gelu's 1 + erf(x / sqrt2) cancels in both backends alike.
RTOL = 6e-7


ACTIVATIONS = {
    # inputs away from each activation's kink, so finite differences see a smooth function
    "relu6": lambda s: uniform(s, -3.0, 9.0),
    "elu": lambda s: away_from_zero(s, 0.05, 4.0),
    "selu": lambda s: away_from_zero(s, 0.05, 4.0),
    "leaky_relu": lambda s: away_from_zero(s, 0.05, 4.0),
    "softplus": lambda s: normal(s, 4.0),
    "log_sigmoid": lambda s: normal(s, 4.0),
    "softsign": lambda s: normal(s, 3.0),
    "gelu": lambda s: normal(s, 2.0),
    "swish": lambda s: normal(s, 3.0),
    "silu": lambda s: normal(s, 3.0),
    "hard_sigmoid": lambda s: uniform(s, -4.0, 4.0),
    "step": lambda s: away_from_zero(s),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", ODD_SHAPES)
def test_activation(name, shape):
    check_op(getattr(gf, name), [ACTIVATIONS[name](shape)], rtol=RTOL,
             grad=shape in GRAD_SHAPES)


@pytest.mark.parametrize("shape", [(), (3,), (5, 7), (4097,)])
def test_gelu_tanh_form(shape):
    check_op(lambda x: gf.gelu(x, approximate=True), [normal(shape, 2.0)], rtol=RTOL,
             grad=shape in GRAD_SHAPES)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.7])
def test_params(alpha):
    x = away_from_zero((5, 7), 0.05, 4.0)
    check_op(lambda t: gf.elu(t, alpha), [x], rtol=RTOL)
    check_op(lambda t: gf.leaky_relu(t, alpha), [x])
    check_op(lambda t: gf.step(t, alpha), [x])


def test_default_alphas_are_tfs():
    """elu's alpha defaults to 1.0 and leaky_relu's to 0.2 (tf.nn, TF.js): the defaults
    against float64 formulas with those constants (gl vs cpu as well)."""
    x = np.linspace(-3, 3, 13).astype(np.float32)
    x64 = x.astype(np.float64)
    elu = check_op(gf.elu, [fixed(x)], grad=False, rtol=RTOL)[0]
    np.testing.assert_allclose(elu, np.where(x64 > 0, x64, np.expm1(x64)), rtol=RTOL)
    leaky = check_op(gf.leaky_relu, [fixed(x)], grad=False)[0]
    np.testing.assert_allclose(leaky, np.where(x64 > 0, x64, 0.2 * x64), rtol=1e-7)


def test_param_values_reuse_the_program():
    x = gf.tensor(np.linspace(-2, 2, 7, dtype=np.float32))
    gf.leaky_relu(x, 0.1).numpy()
    compiles = gf.memory()["num_compiles"]
    out = gf.leaky_relu(x, 0.5).numpy()
    assert gf.memory()["num_compiles"] == compiles
    xs = np.linspace(-2, 2, 7, dtype=np.float32)
    np.testing.assert_allclose(out, np.where(xs > 0, xs, 0.5 * xs), rtol=1e-7)


@pytest.mark.parametrize("shapes", [[(5, 7), (5, 7)], [(5, 7), (7,)], [(2, 3, 4), (3, 1)],
                                    [(6,), ()], [(1, 4), (3, 1)], [(0, 3), (3,)]])
def test_prelu_broadcasts_and_is_differentiable_in_both(shapes):
    check_op(gf.prelu, [away_from_zero(shapes[0], 0.05, 3.0), uniform(shapes[1], 0.05, 0.5)])


def test_large_inputs_do_not_overflow():
    big = np.array([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0], np.float32)
    softplus = check_op(gf.softplus, [fixed(big)], grad=False, rtol=RTOL)[0]
    log_sig = check_op(gf.log_sigmoid, [fixed(big)], grad=False, rtol=RTOL)[0]
    exact = np.logaddexp(0.0, big.astype(np.float64))  # log(1 + e^x), exact in float64
    np.testing.assert_allclose(softplus, exact, rtol=RTOL, atol=1e-38)
    np.testing.assert_allclose(log_sig, -exact[::-1], rtol=RTOL, atol=1e-38)
    assert softplus[-1] == 1000.0 and log_sig[0] == -1000.0
    for name in ("elu", "selu", "swish", "gelu", "softsign", "hard_sigmoid", "relu6"):
        out = check_op(getattr(gf, name), [fixed(big)], grad=False, rtol=RTOL)[0]
        assert np.all(np.isfinite(out)), name
    alpha, scale = 1.6732632423543772, 1.0507009873554805  # the SELU paper's constants
    assert gf.elu(big, 0.7).numpy()[0] == np.float32(-0.7)
    np.testing.assert_allclose(gf.selu(big).numpy()[0], -alpha * scale, rtol=1e-7)
    assert gf.swish(big).numpy()[0] == 0.0 and gf.swish(big).numpy()[-1] == 1000.0
    assert gf.gelu(big).numpy()[0] == 0.0 and gf.gelu(big, approximate=True).numpy()[-1] == 1000.0


def test_against_exact_formulas():
    """Values against independent float64 formulas (scipy), not just gl vs numpy."""
    x = np.linspace(-8, 8, 4001).astype(np.float32)
    x64 = x.astype(np.float64)
    exact = {
        "gelu": x64 * scipy.special.ndtr(x64),
        "swish": x64 * scipy.special.expit(x64),
        "log_sigmoid": np.log(scipy.special.expit(x64)),
        "selu": 1.0507009873554805 * np.where(x64 > 0, x64, 1.6732632423543772 * np.expm1(x64)),
        "hard_sigmoid": np.clip(0.2 * x64 + 0.5, 0.0, 1.0),
    }
    # absolute slack where float32 itself cancels: gelu's 1 + erf(x / sqrt2) for x << 0
    # (~1e-7 |x|), hard_sigmoid's 0.2 x + 0.5 near x = -2.5 (a few ulp of 0.5)
    atol = {"gelu": 1e-6, "hard_sigmoid": 2e-7}
    for name, want in exact.items():
        got = run_on("gl", getattr(gf, name), [x])[0][0]
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=atol.get(name, 1e-12), err_msg=name)
    u = np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64 ** 3)
    got = run_on("gl", lambda t: gf.gelu(t, approximate=True), [x])[0][0]
    # 0.5 x (1 + tanh u) = x sigmoid(2u) without cancellation. In the tail the value is ~x e^(2u),
    # so float32 rounding of u alone (|u| up to ~7) moves it by |2u| ulp: absolute slack 1e-8.
    np.testing.assert_allclose(got, x64 * scipy.special.expit(2 * u), rtol=RTOL, atol=1e-8)


def test_nan_and_inf_like_numpy():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 6.0, 2.5, -2.5], np.float32)
    for name in ACTIVATIONS:
        check_op(getattr(gf, name), [fixed(x)], grad=False, rtol=RTOL, atol=0)
    check_op(lambda t: gf.gelu(t, approximate=True), [fixed(x)], grad=False, rtol=RTOL)
    check_op(lambda t: gf.prelu(t, 0.25), [fixed(x)], grad=False)
    out = gf.step(x, 0.5).numpy()
    assert np.isnan(out[0]) and list(out[1:4]) == [1.0, 0.5, 0.5]
    out = gf.relu6(x).numpy()
    assert np.isnan(out[0]) and list(out[1:]) == [6.0, 0.0, 0.0, 0.0, 6.0, 2.5, 0.0]


def test_int32_inputs():
    out = check_op(gf.relu6, [integers((13,), -10, 10)], grad=False)[0]
    assert out.dtype == np.int32
    for name in ("elu", "softplus", "swish", "gelu", "leaky_relu"):
        out = check_op(getattr(gf, name), [integers((7,), -10, 10)], grad=False, rtol=RTOL)[0]
        assert out.dtype == np.float32


def test_methods():
    check_op(lambda x: x.relu6() + x.elu(0.5) + x.leaky_relu() + x.softplus() + x.gelu()
             + x.swish() + x.silu() + x.hard_sigmoid() + x.log_sigmoid() + x.softsign(),
             [away_from_zero((3, 5), 0.05, 4.0)], rtol=2e-6)  # ten terms, each within RTOL


def test_silu_is_swish():
    assert gf.silu is gf.swish


def test_bad_input_raises_before_any_gl_work():
    x, alpha = gf.ones([2, 3]), gf.ones([4])
    before = dict(counters.kernel_counts)
    with pytest.raises(ValueError, match=r"prelu: .*x is \[2, 3\], alpha is \[4\]"):
        gf.prelu(x, alpha)
    with pytest.raises(TypeError, match="elu: alpha must be a real number"):
        gf.elu(x, alpha)
    with pytest.raises(TypeError, match="leaky_relu: alpha must be a real number"):
        gf.leaky_relu(x, "0.2")
    with pytest.raises(TypeError, match="step: alpha must be a real number"):
        gf.step(x, None)
    with pytest.raises(TypeError, match="gelu: approximate must be True or False"):
        gf.gelu(x, approximate="tanh")
    assert counters.kernel_counts == before
