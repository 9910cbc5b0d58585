"""The arithmetic family (glflow/ops/arithmetic.py): add, sub, mul, div, neg, maximum, minimum,
floor_div, mod, fmod, squared_difference, atan2, add_n. gl vs numpy with broadcasting and odd
sizes, gradients (also against finite differences), exact int32 arithmetic, numpy's results for
division by zero, tie rules, and bad input."""
import numpy as np
import pytest

import glflow as gf
from helpers import away_from_zero, check_op, fixed, integers, normal, positive


ODD_SHAPES = [(), (1,), (3,), (5, 7), (2, 3, 5), (13, 1), (4097,)]


# Ties: the documented rule, written here as expected values (a comparison of the two backends
# cannot see a rule both share; turning maximum's `>=` into `>` passed every test before).
TIE_A = np.array([[1.0, 2.0, -3.0, 0.0], [5.0, -1.0, 2.0, 7.0], [0.5, 0.5, -2.0, 4.0]],
                 np.float32)


TIE_B = np.array([1.0, 3.0, -3.0, 0.0], np.float32)  # ties: [0,0], [0,2], [0,3], ...


UNARY = {
    "neg": normal, "abs": away_from_zero, "square": normal, "sqrt": positive, "exp": normal,
    "log": positive, "sin": normal, "cos": normal, "tanh": normal, "sigmoid": normal,
    "relu": away_from_zero, "reciprocal": away_from_zero, "identity": normal,
}


# GL and numpy each land within ~3.6 ulp of the exact value for these kernels (measured on
# llvmpipe over the domains below); 6e-7 is 5 ulp at the bottom of a binade.
RTOL = 6e-7


BROADCASTS = [[(5, 7), (5, 7)], [(3, 1, 5), (4, 1)], [(7,), ()], [(2, 3, 8), (3, 8)],
              [(6, 4), (6, 1)], [(1,), (9, 3)], [(13,), (13,)], [(0, 3), (3,)]]


@pytest.mark.parametrize("name", ["add", "sub", "mul", "maximum", "minimum"])
@pytest.mark.parametrize("shapes", [[(5, 7), (5, 7)], [(3, 1, 5), (4, 1)], [(7,), ()],
                                    [(2, 3, 8), (3, 8)], [(6, 4), (6, 1)], [(1,), (9, 3)]])
def test_binary_broadcasting(name, shapes):
    check_op(getattr(gf, name), shapes)


def test_div():
    # divisors away from zero: the gradient a / b**2 is steep near 0
    check_op(gf.div, [(5, 7), away_from_zero((7,))], rtol=2e-6)


def test_int32_negative_exponents_truncate_toward_zero():
    # numpy refuses int ** negative int; a GPU kernel cannot raise, so: the real result
    # truncated toward zero, and 0 ** negative = 0 as int32 x // 0 = 0
    a = np.array([[-3], [-2], [-1], [0], [1], [2], [3]], np.int32)
    b = np.array([-1, -2, -3, 0, 2], np.int32)
    out = check_op(gf.pow, [fixed(a), fixed(b)], grad=False)[0]
    want = [[0, 0, 0, 1, 9], [0, 0, 0, 1, 4], [-1, 1, -1, 1, 1], [0, 0, 0, 1, 0],
            [1, 1, 1, 1, 1], [0, 0, 0, 1, 4], [0, 0, 0, 1, 9]]
    np.testing.assert_array_equal(out, want)
    assert out.dtype == np.int32


@pytest.mark.parametrize("backend", ["gl", "cpu"])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_gradients_at_ties_go_to_the_first_argument(backend, name):
    # maximum: "the gradient goes to a where a >= b"; minimum: "where a <= b". At a tie a gets
    # all of it and b nothing; b's gradient is summed over the rows it was broadcast to.
    gf.set_backend(backend)
    dy = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    goes_to_a = TIE_A >= TIE_B if name == "maximum" else TIE_A <= TIE_B
    want_a = np.where(goes_to_a, dy, 0.0)
    want_b = np.where(goes_to_a, 0.0, dy).sum(axis=0)
    assert (TIE_A == TIE_B).sum() == 3 and (goes_to_a & (TIE_A != TIE_B)).any()
    da, db = gf.grads(lambda a, b: gf.sum(getattr(gf, name)(a, b) * dy))(
        [gf.tensor(TIE_A), gf.tensor(TIE_B)])
    np.testing.assert_array_equal(da.numpy(), want_a)
    np.testing.assert_array_equal(db.numpy(), want_b)


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


@pytest.mark.parametrize("shapes", BROADCASTS)
def test_squared_difference_and_atan2(shapes):
    check_op(gf.squared_difference, shapes)
    check_op(gf.atan2, shapes, rtol=RTOL)


@pytest.mark.parametrize("name", ["floor_div", "mod", "fmod"])
@pytest.mark.parametrize("shapes", BROADCASTS)
def test_division_family(name, shapes):
    # divisors away from 0, dividends spread over several quotients; exact (rtol 0) since every
    # step is an exact or correctly rounded float operation on both backends
    a_shape, b_shape = shapes
    check_op(getattr(gf, name), [normal(a_shape, 5.0), away_from_zero(b_shape, 0.3, 2.0)],
             rtol=0, atol=0)


def test_division_family_int32_exact():
    a, b = integers((5, 7), -2**24, 2**24), integers((7,), -300, 300)
    for name in ("floor_div", "mod"):
        out = check_op(getattr(gf, name), [a, b], grad=False)[0]
        assert out.dtype == np.int32
        check_op(getattr(gf, name), [integers((3, 4), -50, 50), integers((3, 4), -2**24, 2**24)],
                 grad=False)
    # x // 0 == x % 0 == 0 for int32, like numpy
    zero = np.array([7, -7, 0, 5], np.int32)
    assert not np.any(gf.floor_div(zero, np.zeros(4, np.int32)).numpy())
    assert not np.any(gf.mod(zero, np.zeros(4, np.int32)).numpy())


def test_division_family_like_numpy_at_the_edges():
    a = np.array([1, -1, 0, -0.0, np.inf, -np.inf, np.nan, 1, -1, 5, -5, 1, 0, -0.0, 7, -7,
                  3e38, 1.0, 0.3], np.float32)
    b = np.array([0, 0, 0, 0, 2, 2, 1, np.inf, np.inf, -np.inf, -np.inf, 0.1, -3, 3, -2, 2,
                  1e-30, 3e38, 0.1], np.float32)
    for name, ref in [("floor_div", np.floor_divide), ("mod", np.remainder), ("fmod", np.fmod)]:
        out = check_op(getattr(gf, name), [fixed(a), fixed(b)], grad=False, rtol=0, atol=0)[0]
        with np.errstate(all="ignore"):
            want = ref(a, b)
        np.testing.assert_array_equal(out, want)
        # signed zeros too (-0 // 3, 0 % -3 ...)
        np.testing.assert_array_equal(np.signbit(out[~np.isnan(want)]),
                                      np.signbit(want[~np.isnan(want)]))


def test_division_family_exact_over_wide_magnitudes():
    rng = np.random.default_rng(7)
    a = (rng.standard_normal(20000) * 10.0 ** rng.uniform(-20, 20, 20000)).astype(np.float32)
    b = (rng.standard_normal(20000) * 10.0 ** rng.uniform(-20, 20, 20000)).astype(np.float32)
    for name in ("floor_div", "mod", "fmod"):
        check_op(getattr(gf, name), [fixed(a), fixed(b)], grad=False, rtol=0, atol=0)
