"""Elementwise ops: every kernel on gl vs numpy, with broadcasting, odd sizes, gradients."""
import numpy as np
import pytest

import glflow as gf
from helpers import away_from_zero, check_op, fixed, integers, normal, positive, uniform

ODD_SHAPES = [(), (1,), (3,), (5, 7), (2, 3, 5), (13, 1), (4097,)]


@pytest.mark.parametrize("name", ["add", "sub", "mul", "maximum", "minimum"])
@pytest.mark.parametrize("shapes", [[(5, 7), (5, 7)], [(3, 1, 5), (4, 1)], [(7,), ()],
                                    [(2, 3, 8), (3, 8)], [(6, 4), (6, 1)], [(1,), (9, 3)]])
def test_binary_broadcasting(name, shapes):
    check_op(getattr(gf, name), shapes)


def test_div():
    # divisors away from zero: the gradient a / b**2 is steep near 0
    check_op(gf.div, [(5, 7), away_from_zero((7,))], rtol=2e-6)


def test_pow():
    # exp2(b log2 a) in GLSL vs numpy's pow: a few ulp apart for |result| up to ~30
    check_op(gf.pow, [positive((4, 5)), uniform((5,), -2.0, 3.0)], rtol=1e-5)


def test_pow_negative_base_integer_exponent():
    a = np.array([-2.0, -3.0, -0.5, 2.0, 0.0, 1.0], np.float32)
    b = np.array([3.0, 2.0, -1.0, 0.5, 2.0, np.nan], np.float32)
    check_op(gf.pow, [fixed(a), fixed(b)], grad=False)


@pytest.mark.parametrize("name", ["equal", "not_equal", "less", "less_equal", "greater",
                                  "greater_equal"])
def test_comparisons(name):
    a = np.array([[1, 2, 3, np.nan], [0, -1, 5, 2]], np.float32)
    b = np.array([1, 3, 2, np.nan], np.float32)
    check_op(getattr(gf, name), [fixed(a), fixed(b)], grad=False)
    check_op(getattr(gf, name), [integers((3, 5)), integers((5,))], grad=False)


UNARY = {
    "neg": normal, "abs": away_from_zero, "square": normal, "sqrt": positive, "exp": normal,
    "log": positive, "sin": normal, "cos": normal, "tanh": normal, "sigmoid": normal,
    "relu": away_from_zero, "reciprocal": away_from_zero, "identity": normal,
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", ODD_SHAPES)
def test_unary(name, shape):
    # transcendental GLSL built-ins on llvmpipe agree with numpy float32 to ~2 ulp
    check_op(getattr(gf, name), [UNARY[name](shape)], rtol=3e-6, atol=1e-6,
             grad=shape in ((5, 7), ()))


def test_sign_and_specials():
    x = np.array([-2.5, 0.0, 3.0, np.nan, np.inf, -np.inf, 1e-30], np.float32)
    for name in ["sign", "abs", "neg", "relu", "sqrt", "log", "exp", "reciprocal", "sigmoid",
                 "tanh", "square"]:
        check_op(getattr(gf, name), [fixed(x)], grad=False, rtol=3e-6)


def test_division_by_zero_like_numpy():
    a = np.array([1.0, -1.0, 0.0, 2.0], np.float32)
    b = np.array([0.0, 0.0, 0.0, -0.0], np.float32)
    out = check_op(gf.div, [fixed(a), fixed(b)], grad=False)[0]
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out, a / b)


def test_large_inputs_do_not_overflow():
    x = np.array([-1000.0, -90.0, 0.0, 90.0, 1000.0], np.float32)
    got = check_op(gf.sigmoid, [fixed(x)], grad=False)[0]
    assert np.all(np.isfinite(got))
    got = check_op(gf.tanh, [fixed(x)], grad=False)[0]
    np.testing.assert_array_equal(got, np.tanh(x))


def test_integer_arithmetic_is_exact():
    check_op(gf.add, [integers((37,), -2**23, 2**23), integers((37,), -2**23, 2**23)], grad=False)
    check_op(gf.mul, [integers((5, 3), -2000, 2000), integers((3,), -2000, 2000)], grad=False)


def test_operators_and_scalars():
    check_op(lambda a, b: (a + 2) * b - a / 4 + 3 ** a, [(3, 4), (4,)])
    check_op(lambda a: -a ** 2, [(5,)])


def test_fill_and_empty():
    check_op(lambda x: gf.add(x, gf.fill([3, 0], 2.0)), [(3, 0)], grad=False)
    check_op(lambda x: gf.mul(x, gf.ones([4, 3])), [(4, 3)])
    check_op(lambda x: gf.add(x, gf.zeros([0])), [(0,)], grad=False)


def test_repeated_launches_reset_uniforms():
    # The GL backend memoises launches and skips uniforms unchanged since a program's last
    # draw: alternating shapes and broadcast patterns through one program must still give
    # each launch its own sizes.
    rng = np.random.default_rng(0)
    cases = [((16,), (16,)), ((5, 7), (7,)), ((16,), (16,)), ((7, 5), (5,)), ((5, 7), (7,)),
             ((8, 8), (8, 1)), ((3, 4, 4), (4, 4)), ((16,), ())]
    for _ in range(2):
        for sa, sb in cases:
            a = rng.standard_normal(sa).astype(np.float32)
            b = rng.standard_normal(sb).astype(np.float32)
            np.testing.assert_array_equal(gf.add(gf.tensor(a), gf.tensor(b)).numpy(), a + b)
            np.testing.assert_allclose(gf.mul(gf.tensor(a), 2.5).numpy(), a * 2.5, rtol=1e-6)
