"""The math family (glflow/ops/math.py): pow, abs, sign, square, sqrt, exp, log, the
trigonometric and hyperbolic functions, rounding, erf, clip_by_value. gl vs numpy on odd shapes
and broadcasts, gradients, nan/inf like numpy, accuracy against exact values, exact integral
powers, and bad input."""
import shutil
import subprocess

import numpy as np
import pytest
import scipy.special

import glflow as gf
from glflow.backends.gl import access, elementwise
from glflow.backends.gl.programs import VERSION_CORE, VERSION_ES
from glflow.runtime import counters, registry as kernels
from helpers import (away_from_zero, check_op, fixed, integers, normal, on_backend, positive,
                     run_on, uniform)


def _exact_powers(limit=2 ** 24):
    """Every (a, b), |a| <= 300 and 0 <= b <= 24, whose power fits float32's exact integers."""
    pairs = [(a, b) for b in range(25) for a in range(-300, 301) if abs(a) ** b <= limit]
    a, b = (np.array(v, np.int32) for v in zip(*pairs))
    return a, b, np.array([x ** int(y) for x, y in pairs], np.int64)


SPECIAL_POW = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.5, 1e-3, 1e30,
                        255.0, 256.0, np.inf, -np.inf, np.nan], np.float32)


ODD_SHAPES = [(), (1,), (3,), (5, 7), (2, 3, 5), (13, 1), (4097,), (0,), (3, 0)]


GRAD_SHAPES = ((), (5, 7))


# GL and numpy each land within ~3.6 ulp of the exact value for these kernels (measured on
# llvmpipe over the domains below); 6e-7 is 5 ulp at the bottom of a binade.
RTOL = 6e-7


UNARY = {
    "expm1": lambda s: normal(s, 3.0),
    "log1p": lambda s: uniform(s, -0.9, 3.0),
    "tan": lambda s: uniform(s, -1.4, 1.4),
    "asin": lambda s: uniform(s, -0.95, 0.95),
    "acos": lambda s: uniform(s, -0.95, 0.95),
    "atan": lambda s: normal(s, 3.0),
    "sinh": lambda s: normal(s, 3.0),
    "cosh": lambda s: normal(s, 3.0),
    "asinh": lambda s: normal(s, 3.0),
    "acosh": lambda s: uniform(s, 1.1, 5.0),
    "atanh": lambda s: uniform(s, -0.9, 0.9),
    "rsqrt": lambda s: positive(s),
    "erf": lambda s: normal(s, 1.5),
}


SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0,
                     1e-30, -1e-30, 88.0, 89.0, -88.0, -104.0, -200.0, 1e30, -1e30],
                    np.float32)


TRIG_LIMIT = 2.0 ** 26  # float32 spacing passes 2 pi here (it is 8)


def _large_angles(n=3000, seed=0):
    """Angles up to just below 2^26: log-uniform, uniform, near multiples of pi/2 (where r is
    smallest and tan largest), both signs."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([np.exp(rng.uniform(0.0, np.log(TRIG_LIMIT), n)),
                        rng.uniform(0.0, TRIG_LIMIT, n),
                        np.round(rng.uniform(0, TRIG_LIMIT / 1.5708, n)) * (np.pi / 2),
                        [1e8 / 1.5, TRIG_LIMIT - 8, TRIG_LIMIT - 4]])
    x = (x * rng.choice([-1.0, 1.0], x.size)).astype(np.float32)
    return x[np.abs(x) < TRIG_LIMIT]


def _no_gl_work(fn, error, match):
    before = dict(counters.kernel_counts)
    with pytest.raises(error, match=match):
        fn()
    assert counters.kernel_counts == before


def test_pow():
    # exp2(b log2 a) in GLSL vs numpy's correctly rounded powf: the rounding of b log2 a
    # (|b log2 a| <= 6.5 here) makes it a few ulp; 1.4e-6 (20 ulp) is the worst measured over
    # 200,000 draws with |b log2 a| <= 17
    check_op(gf.pow, [positive((4, 5)), uniform((5,), -2.0, 3.0)], rtol=3e-6)


def test_pow_negative_base_integer_exponent():
    a = np.array([-2.0, -3.0, -0.5, 2.0, 0.0, 1.0], np.float32)
    b = np.array([3.0, 2.0, -1.0, 0.5, 2.0, np.nan], np.float32)
    check_op(gf.pow, [fixed(a), fixed(b)], grad=False)


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


def test_odd_functions_keep_the_sign_of_zero_and_saturate_like_numpy():
    """tanh, sin and tan put x's sign bit on their result: -0 gives -0 on both backends, as in
    numpy (tanh's shader multiplied by sign(x) and gave +0); tanh keeps tiny arguments (it
    gave 3e-8 for 1e-30) and saturates to +-1."""
    x = np.array([-0.0, 0.0, -1e-30, 1e-30, -40.0, 40.0, -3.0], np.float32)
    for name in ("tanh", "sin", "tan"):
        want = getattr(np, name)(x)
        for backend in ("gl", "cpu"):
            with on_backend(backend):
                got = getattr(gf, name)(gf.tensor(x)).numpy()
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=name)
            np.testing.assert_allclose(got, want, rtol=2e-6, atol=0, err_msg=name)


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


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", ODD_SHAPES)
def test_unary(name, shape):
    check_op(getattr(gf, name), [UNARY[name](shape)], rtol=RTOL, grad=shape in GRAD_SHAPES)


@pytest.mark.parametrize("name", sorted(UNARY) + ["floor", "ceil", "round"])
def test_unary_specials_like_numpy(name):
    # nan/inf/overflow/domain edges: the same nan, inf or value as numpy
    check_op(getattr(gf, name), [fixed(SPECIALS)], grad=False, rtol=RTOL, atol=0)


def test_tan_over_many_periods():
    check_op(gf.tan, [uniform((999,), -1000.0, 1000.0)], grad=False, rtol=RTOL)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_cos_of_large_arguments_match_numpy(name):
    # GLSL's own range reduction was 7e-4 off at 1e8 on llvmpipe (0.5 at 1e10). With the
    # reduction in shaders/sin.glsl the result is within 6e-8 (1 ulp at 1) of numpy's float32
    # value over 10^6 arguments below 2^26; atol 1.2e-7 is 2 ulp at 1.
    x = _large_angles()
    out = check_op(getattr(gf, name), [fixed(x)], grad=False, rtol=0, atol=1.2e-7)[0]
    np.testing.assert_allclose(out, getattr(np, name)(x), rtol=0, atol=1.2e-7)


def test_tan_of_large_arguments_matches_numpy():
    # tan = sin r / cos r (or -cos r / sin r) after the same reduction: 2 ulp of the division
    # and the sines, plus the reduction's error (3e-8 at most) times tan' = 1 + tan^2
    x = _large_angles(seed=1)
    got = run_on("gl", gf.tan, [x])[0][0].astype(np.float64)
    want = np.tan(x).astype(np.float64)
    bound = 3e-7 * np.abs(want) + 3e-8 * (1.0 + want ** 2)
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) / bound)


@pytest.mark.parametrize("name", ["sin", "cos", "tan"])
def test_trig_from_2_to_the_26_on_is_nan_on_both_backends(name):
    # From 2^26 on, neighbouring float32 numbers are 8 apart, more than a period: the sine
    # of such a number says nothing about the angle meant, so both backends return NaN
    # there (numpy returns sin of the float32 number itself), and at +-inf as numpy does.
    x = np.array([TRIG_LIMIT, -TRIG_LIMIT, 1e8, 1e30, -3e38, np.inf, -np.inf, np.nan,
                  TRIG_LIMIT - 4, -(TRIG_LIMIT - 4), 3.0], np.float32)
    out = check_op(getattr(gf, name), [fixed(x)], grad=False, rtol=2e-6, atol=1.2e-7)[0]
    assert np.isnan(out[:8]).all() and np.isfinite(out[8:]).all()
    for backend in ("gl", "cpu"):
        gf.set_backend(backend)
        dx = gf.grad(lambda t: gf.sum(getattr(gf, name)(t)))(gf.tensor(x)).numpy()
        assert np.isnan(dx[:8]).all() and np.isfinite(dx[8:]).all()


@pytest.mark.parametrize("name,low,high", [("expm1", -1e-4, 1e-4), ("log1p", -1e-4, 1e-4),
                                           ("sinh", -1e-3, 1e-3), ("asinh", -1e-3, 1e-3),
                                           ("atanh", -1e-3, 1e-3), ("asin", -1e-3, 1e-3),
                                           ("atan", -1e-3, 1e-3), ("erf", -1e-3, 1e-3),
                                           ("tanh", -1e-3, 1e-3), ("tanh", -0.62, 0.62)])
def test_accurate_near_zero(name, low, high):
    """Relative accuracy where a naive formula cancels (atol 0: check_op's atol would hide it)."""
    x = np.random.default_rng(3).uniform(low, high, 999).astype(np.float32)
    exact = {"erf": scipy.special.erf, "asin": np.arcsin, "atan": np.arctan,
             "atanh": np.arctanh, "asinh": np.arcsinh, "sinh": np.sinh,
             "expm1": np.expm1, "log1p": np.log1p, "tanh": np.tanh}[name](x.astype(np.float64))
    got, _ = run_on("gl", getattr(gf, name), [x])
    # within 2 ulp of the exact value
    np.testing.assert_allclose(got[0], exact, rtol=2.4e-7, atol=0)


def test_erf_error_bound():
    """|erf error| < 2e-7 relative on both backends, on a dense grid across every branch."""
    edges = [0.0, 1.0, -1.0, 4.0, 3.99999]
    x = np.concatenate([np.linspace(-6, 6, 60001), edges]).astype(np.float32)
    exact = scipy.special.erf(x.astype(np.float64))
    for backend in ("gl", "cpu"):
        got = run_on(backend, gf.erf, [x])[0][0].astype(np.float64)
        err = np.abs(got - exact) / np.maximum(np.abs(exact), 1e-300)
        assert err.max() < 2e-7, f"{backend}: max relative error {err.max()}"


def test_large_arguments_stay_finite():
    x = np.array([88.0, -88.0, 89.0, -89.0, 1e4], np.float32)
    for name, ref in [("sinh", np.sinh), ("cosh", np.cosh), ("expm1", np.expm1)]:
        got = check_op(getattr(gf, name), [fixed(x)], grad=False, rtol=RTOL)[0]
        with np.errstate(over="ignore"):
            want = ref(x.astype(np.float64)).astype(np.float32)
        np.testing.assert_allclose(got, want, rtol=RTOL)  # finite where float32 holds it
    got = check_op(gf.asinh, [fixed(np.array([1e30, -3e38], np.float32))], grad=False)[0]
    np.testing.assert_allclose(got, np.arcsinh(np.array([1e30, -3e38])), rtol=RTOL)


def test_rounding_halves_to_even_and_int32():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998, -2.5000002, 1e7 + 0.5, 3.0],
                 np.float32)
    for name in ("floor", "ceil", "round"):
        check_op(getattr(gf, name), [fixed(x)], grad=False, atol=0)
        out = check_op(getattr(gf, name), [integers((5, 3))], grad=False)[0]
        assert out.dtype == np.int32
    np.testing.assert_array_equal(gf.round(x).numpy(), np.round(x))


def test_rounding_is_not_differentiable():
    x = gf.tensor([1.5, 2.5])
    with gf.GradientTape() as tape:
        tape.watch(x)
        y = gf.sum(gf.floor(x))
    with pytest.raises(ValueError, match="floor"):
        tape.gradient(y, x)


@pytest.mark.parametrize("shape", [(), (7,), (5, 7), (4097,), (0,)])
def test_clip_by_value(shape):
    check_op(lambda x: gf.clip_by_value(x, -0.5, 0.8), [normal(shape)],
             grad=shape in GRAD_SHAPES)


def test_clip_by_value_values_and_method():
    x = np.array([-np.inf, -2.0, -1.0, 0.0, 0.5, 1.0, 2.0, np.inf, np.nan], np.float32)
    out = check_op(lambda t: t.clip_by_value(-1.0, 1.0), [fixed(x)], grad=False)[0]
    np.testing.assert_array_equal(out, np.clip(x, -1.0, 1.0))
    check_op(lambda t: gf.clip_by_value(t, -np.inf, 0.0), [normal((9,))], grad=False)
    out = check_op(lambda t: gf.clip_by_value(t, -2.5, 3.5), [integers((13,), -9, 9)],
                   grad=False)[0]
    assert out.dtype == np.int32 and out.min() >= -2 and out.max() <= 3
    # one integer inside the bounds is a valid int32 range: every value becomes it
    out = check_op(lambda t: gf.clip_by_value(t, 2.5, 3.5), [integers((5,), -9, 9)],
                   grad=False)[0]
    np.testing.assert_array_equal(out, [3] * 5)


def test_clip_by_value_equal_bounds_are_a_valid_range():
    # min == max is allowed, as in numpy and TF: every value becomes the bound, ints too
    x = np.array([-2.0, 0.5, 3.0, np.inf], np.float32)
    out = check_op(lambda t: gf.clip_by_value(t, 0.5, 0.5), [fixed(x)], grad=False)[0]
    np.testing.assert_array_equal(out, np.clip(x, 0.5, 0.5))
    out = check_op(lambda t: gf.clip_by_value(t, 3.0, 3.0), [integers((5,), -9, 9)],
                   grad=False)[0]
    np.testing.assert_array_equal(out, [3] * 5)


def test_clip_by_value_gradient_passes_inside_the_range():
    x = gf.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])
    dx = gf.grad(lambda t: gf.sum(gf.mul(gf.clip_by_value(t, -1.0, 1.0), 3.0)))(x)
    np.testing.assert_array_equal(dx.numpy(), [0.0, 3.0, 3.0, 3.0, 0.0])


def test_params_are_uniforms_not_recompiles():
    x = gf.tensor(np.linspace(-3, 3, 9, dtype=np.float32))
    gf.clip_by_value(x, -1.0, 1.0).numpy()
    compiles = gf.memory()["num_compiles"]
    out = gf.clip_by_value(x, -0.25, 2.0).numpy()
    assert gf.memory()["num_compiles"] == compiles
    np.testing.assert_array_equal(out, np.clip(np.linspace(-3, 3, 9, dtype=np.float32), -0.25, 2.0))


def test_atan2_quadrants_signed_zeros_and_infinities():
    v = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.5], np.float32)
    a, b = np.repeat(v, len(v)), np.tile(v, len(v))
    out = check_op(gf.atan2, [fixed(a), fixed(b)], grad=False, rtol=RTOL, atol=0)[0]
    np.testing.assert_allclose(out, np.arctan2(a.astype(np.float64), b.astype(np.float64)),
                               rtol=RTOL, atol=0)


def test_arithmetic_methods_and_int32():
    check_op(lambda a, b: a.floor_div(b) + a.mod(b) + a.squared_difference(b),
             [normal((4, 5)), away_from_zero((5,))], grad=False)
    out = check_op(gf.squared_difference, [integers((6,)), integers((6,))], grad=False)[0]
    assert out.dtype == np.int32


@pytest.mark.parametrize("n,shape", [(1, (5,)), (2, ()), (3, (5, 7)), (4, (13,)), (6, (0, 2))])
def test_add_n(n, shape):
    check_op(lambda *xs: gf.add_n(list(xs)), [shape] * n)


def test_add_n_more_inputs_than_texture_units():
    n = gf.backend_info().get("max_texture_units", 16) + 3
    check_op(lambda *xs: gf.add_n(xs), [(3,)] * n)
    out = check_op(lambda *xs: gf.add_n(xs), [integers((7,))] * n, grad=False)[0]
    assert out.dtype == np.int32
    # three passes: the later ones carry the partial sum as one of their sampler slots (a
    # mutant that forgot it passed the two-pass case above)
    n = 2 * gf.backend_info().get("max_texture_units", 16) + 3
    check_op(lambda *xs: gf.add_n(xs), [(5,)] * n, grad=False)


@pytest.mark.parametrize("limit,passes", [(3, 3), (2, 6)])
@pytest.mark.parametrize("backend", ["cpu", "gl"])
def test_add_n_passes_follow_the_backends_max_inputs(backend, monkeypatch, limit, passes):
    """add_n asks backend.limit("max_inputs"): GL answers its texture units, numpy None (no
    limit, one pass). Told 3, both backends sum 7 inputs in 3 passes (3, then the carried sum
    with 2 more, twice), still left to right. Told 2, the least that makes progress (the
    carried sum and one more), in 6 passes: never more inputs than the backend allows."""
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=(4,)).astype(np.float32) for _ in range(7)]
    with on_backend(backend) as b:
        answer = b.limit("max_inputs")
        if backend == "cpu":
            assert answer is None
        else:
            assert answer == b.describe()["max_texture_units"] >= 2
        real_limit = b.limit
        monkeypatch.setattr(b, "limit", lambda what: limit if what == "max_inputs"
                            else real_limit(what))
        xs = [gf.tensor(a) for a in arrays]
        before = counters.kernel_counts.get((b.name, "fused"), 0)
        total = gf.add_n(xs).numpy()
        assert counters.kernel_counts.get((b.name, "fused"), 0) - before == passes
    want = arrays[0]
    for a in arrays[1:]:
        want = want + a
    np.testing.assert_allclose(total, want, rtol=1e-6, atol=1e-6)


def test_bad_input_raises_before_any_gl_work():
    a, b, ints = gf.ones([2, 3]), gf.ones([4]), gf.ones([2, 3], "int32")
    flags, pair = gf.tensor([True]), gf.tensor([1, 2])
    _no_gl_work(lambda: gf.add_n([a, b]), ValueError,
                r"add_n: .*same shape.*tensors\[0\] is \[2, 3\], tensors\[1\] is \[4\]")
    _no_gl_work(lambda: gf.add_n([a, ints]), TypeError, "add_n: .*dtype")
    _no_gl_work(lambda: gf.add_n([]), ValueError, "add_n: .*at least one")
    _no_gl_work(lambda: gf.add_n(a), TypeError, "add_n: tensors must be a list")
    _no_gl_work(lambda: gf.floor_div(a, b), ValueError, r"floor_div: .*\[2, 3\].*\[4\]")
    _no_gl_work(lambda: gf.atan2(a, b), ValueError, r"atan2: .*\[2, 3\].*\[4\]")
    _no_gl_work(lambda: gf.clip_by_value(a, 2.0, 1.0), ValueError,
                r"clip_by_value: clip_value_min \(2.0\) must be <= clip_value_max \(1.0\)")
    _no_gl_work(lambda: gf.clip_by_value(a, "0", 1.0), TypeError,
                "clip_by_value: clip_value_min must be a real number")
    _no_gl_work(lambda: gf.clip_by_value(a, 0.0, float("nan")), ValueError, "clip_by_value")
    _no_gl_work(lambda: gf.clip_by_value(flags, 0, 1), TypeError,
                "clip_by_value: x must be float32 or int32")
    _no_gl_work(lambda: gf.clip_by_value(pair, 0.2, 0.8), ValueError,
                "clip_by_value: no int32 value")


def test_shaders_compile_as_glsl_es_300_and_330_core():
    """Every elementwise kernel of these families, as the runtime assembles it, is valid GLSL
    ES 3.00 (WebGL2) and GLSL 3.30 core (docs/architecture.md, "Shader dialects")."""
    validator = shutil.which("glslangValidator")
    assert validator, "glslangValidator (package glslang-tools) is needed to validate shaders"
    mine = [n for n, k in kernels.REGISTRY.items()
            if k.pattern == kernels.ELEMENTWISE and
            k.family in ("math", "arithmetic", "activations", "logic")]
    assert len(mine) > 40
    for name in mine:
        k = kernels.get(name)
        n = elementwise.arity(name)
        program = elementwise.call(name, n, len(k.params))
        source = elementwise.build_source(program, [access.Access("same")] * n, 1)
        for version in (VERSION_ES, VERSION_CORE):
            result = subprocess.run([validator, "--stdin", "-S", "frag"], check=False,
                                    input=version + source,
                                    capture_output=True, text=True)
            assert result.returncode == 0, f"{name} ({version.strip()}):\n{result.stdout}"
