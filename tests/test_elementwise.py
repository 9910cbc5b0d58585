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
    # exp2(b log2 a) in GLSL vs numpy's correctly rounded powf: the rounding of b log2 a
    # (|b log2 a| <= 6.5 here) makes it a few ulp; 1.4e-6 (20 ulp) is the worst measured over
    # 200,000 draws with |b log2 a| <= 17
    check_op(gf.pow, [positive((4, 5)), uniform((5,), -2.0, 3.0)], rtol=3e-6)


def test_pow_negative_base_integer_exponent():
    a = np.array([-2.0, -3.0, -0.5, 2.0, 0.0, 1.0], np.float32)
    b = np.array([3.0, 2.0, -1.0, 0.5, 2.0, np.nan], np.float32)
    check_op(gf.pow, [fixed(a), fixed(b)], grad=False)


def _exact_powers(limit=2 ** 24):
    """Every (a, b), |a| <= 300 and 0 <= b <= 24, whose power fits float32's exact integers."""
    pairs = [(a, b) for b in range(25) for a in range(-300, 301) if abs(a) ** b <= limit]
    a, b = (np.array(v, np.int32) for v in zip(*pairs))
    return a, b, np.array([x ** int(y) for x, y in pairs], np.int64)


@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_integral_powers_are_exact(dtype):
    # exp2(b log2 a) then truncation gave 5 ** 2 = 24, 10 ** 2 = 99 in int32, and
    # 5.0 ** 2 == 25 was False in float32
    a, b, want = _exact_powers()
    out = check_op(gf.pow, [fixed(a.astype(dtype)), fixed(b.astype(dtype))], grad=False,
                   rtol=0, atol=0)[0]
    np.testing.assert_array_equal(out.astype(np.int64), want)
    assert (gf.tensor([5, 10, 13], dtype="int32") ** 2).numpy().tolist() == [25, 100, 169]
    assert bool((gf.tensor([5.0]) ** 2 == 25).numpy()[0])


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


SPECIAL_POW = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.5, 1e-3, 1e30,
                        255.0, 256.0, np.inf, -np.inf, np.nan], np.float32)


def test_pow_special_values_match_numpy_with_signed_zeros():
    # 0 ** -1 gave 0 on GL (inf in numpy); every pair of these values now gives numpy's
    # result, the sign of a zero or an infinity included
    a = np.repeat(SPECIAL_POW, SPECIAL_POW.size)
    b = np.tile(SPECIAL_POW, SPECIAL_POW.size)
    with np.errstate(all="ignore"):
        want = np.power(a, b)
    for backend in ("gl", "cpu"):
        gf.set_backend(backend)
        got = gf.pow(gf.tensor(a), gf.tensor(b)).numpy()
        same = np.isnan(got) == np.isnan(want)
        finite = ~np.isnan(want)
        # rtol: non-integral exponents go through exp2(b log2 a), whose rounding of
        # b log2 a costs up to |b log2 a| * 2^-24 * ln 2 = 1.2e-6 here (255 ** -3.5)
        same[finite] &= (np.signbit(got[finite]) == np.signbit(want[finite])) & np.isclose(
            got[finite], want[finite], rtol=1.5e-6, atol=0)
        assert same.all(), [(a[i], b[i], got[i], want[i]) for i in np.nonzero(~same)[0][:8]]


def test_pow_gradient_at_zero_agrees_with_tensorflow():
    # d/dx x ** 0.5 at 0 is 0.5 * 0 ** -0.5 = inf (TensorFlow's value); GL gave 0 because
    # its 0 ** -0.5 was 0. d/db a ** b uses log(a) only where a > 0, else 0 (also where
    # a ** b is not 0: (-2) ** 2).
    x = np.array([0.0, 1.0, 4.0], np.float32)
    for backend in ("gl", "cpu"):
        gf.set_backend(backend)
        dx = gf.grad(lambda t: gf.sum(t ** 0.5))(gf.tensor(x)).numpy()
        np.testing.assert_array_equal(dx, [np.inf, 0.5, 0.25])
        bases = gf.tensor([-2.0, 0.0, 1.0, 4.0])
        db = gf.grad(lambda e: gf.sum(bases ** e))(gf.tensor([2.0, 2.0, 2.0, 2.0])).numpy()
        np.testing.assert_allclose(db, [0.0, 0.0, 0.0, 16 * np.log(4.0)], rtol=1e-6)


# Ties: the documented rule, written here as expected values (a comparison of the two backends
# cannot see a rule both share; turning maximum's `>=` into `>` passed every test before).
TIE_A = np.array([[1.0, 2.0, -3.0, 0.0], [5.0, -1.0, 2.0, 7.0], [0.5, 0.5, -2.0, 4.0]],
                 np.float32)
TIE_B = np.array([1.0, 3.0, -3.0, 0.0], np.float32)  # ties: [0,0], [0,2], [0,3], ...


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


@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_relu_and_abs_gradients_at_zero_are_zero(backend):
    # relu'(0) = 0 (dy flows where x > 0) and abs'(0) = sign(0) = 0, as in TensorFlow
    gf.set_backend(backend)
    x = np.array([-2.0, -0.0, 0.0, 1e-30, 3.0], np.float32)
    dy = np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32)
    relu = gf.grad(lambda t: gf.sum(gf.relu(t) * dy))(gf.tensor(x)).numpy()
    np.testing.assert_array_equal(relu, [0.0, 0.0, 0.0, 4.0, 5.0])
    absolute = gf.grad(lambda t: gf.sum(gf.abs(t) * dy))(gf.tensor(x)).numpy()
    np.testing.assert_array_equal(absolute, [-1.0, 0.0, 0.0, 4.0, 5.0])


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
