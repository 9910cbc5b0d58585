"""Math ops (glflow/ops/math.py) and binary arithmetic (glflow/ops/arithmetic.py): gl vs numpy
on odd shapes and broadcasts, gradients, nan/inf like numpy, accuracy against exact values,
and bad input."""
import shutil
import subprocess

import numpy as np
import pytest
import scipy.special

import glflow as gf
from glflow.runtime import counters, state
from glflow.runtime import registry as kernels
from helpers import away_from_zero, check_op, fixed, integers, normal, positive, run_on, uniform

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


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", ODD_SHAPES)
def test_unary(name, shape):
    check_op(getattr(gf, name), [UNARY[name](shape)], rtol=RTOL, grad=shape in GRAD_SHAPES)


SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0,
                     1e-30, -1e-30, 88.0, 89.0, -88.0, -104.0, -200.0, 1e30, -1e30],
                    np.float32)


@pytest.mark.parametrize("name", sorted(UNARY) + ["floor", "ceil", "round"])
def test_unary_specials_like_numpy(name):
    # nan/inf/overflow/domain edges: the same nan, inf or value as numpy
    check_op(getattr(gf, name), [fixed(SPECIALS)], grad=False, rtol=RTOL, atol=0)


def test_tan_over_many_periods():
    check_op(gf.tan, [uniform((999,), -1000.0, 1000.0)], grad=False, rtol=RTOL)


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
                                           ("atan", -1e-3, 1e-3), ("erf", -1e-3, 1e-3)])
def test_accurate_near_zero(name, low, high):
    """Relative accuracy where a naive formula cancels (atol 0: check_op's atol would hide it)."""
    x = np.random.default_rng(3).uniform(low, high, 999).astype(np.float32)
    exact = {"erf": scipy.special.erf, "asin": np.arcsin, "atan": np.arctan,
             "atanh": np.arctanh, "asinh": np.arcsinh, "sinh": np.sinh,
             "expm1": np.expm1, "log1p": np.log1p}[name](x.astype(np.float64))
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


def test_nan_inf_tests():
    x = np.array([[0.0, np.nan, np.inf, -np.inf], [1.0, -2.0, 3e38, 1e-30]], np.float32)
    for name in ("is_nan", "is_inf", "is_finite"):
        out = check_op(getattr(gf, name), [fixed(x)], grad=False)[0]
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out, getattr(np, name.replace("_", ""))(x))
        check_op(getattr(gf, name), [integers((7,))], grad=False)
        check_op(getattr(gf, name), [(0, 3)], grad=False)


# --------------------------------------------------------------------------- clip_by_value

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


# --------------------------------------------------------------------------- binary arithmetic

BROADCASTS = [[(5, 7), (5, 7)], [(3, 1, 5), (4, 1)], [(7,), ()], [(2, 3, 8), (3, 8)],
              [(6, 4), (6, 1)], [(1,), (9, 3)], [(13,), (13,)], [(0, 3), (3,)]]


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


# --------------------------------------------------------------------------- add_n

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


# --------------------------------------------------------------------------- bad input

def _no_gl_work(fn, error, match):
    before = dict(counters.kernel_counts)
    with pytest.raises(error, match=match):
        fn()
    assert counters.kernel_counts == before


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
    ES 3.00 (WebGL2) and GLSL 3.30 core (DESIGN.md)."""
    from glflow.backends.gl import access, elementwise
    from glflow.backends.gl.programs import VERSION_CORE, VERSION_ES
    validator = shutil.which("glslangValidator")
    assert validator, "glslangValidator (package glslang-tools) is needed to validate shaders"
    mine = [n for n, k in kernels.REGISTRY.items()
            if k.pattern == kernels.ELEMENTWISE and
            k.family in ("math", "arithmetic", "activations", "logic")]
    assert len(mine) > 40
    for name in mine:
        k = kernels.get(name)
        n = elementwise.arity(name)
        expr = ("call", name, [("in", i) for i in range(n)], tuple(range(len(k.params))))
        source = elementwise.build_source(expr, [access.Access("same")] * n, 1)
        for version in (VERSION_ES, VERSION_CORE):
            result = subprocess.run([validator, "--stdin", "-S", "frag"], check=False,
                                    input=version + source,
                                    capture_output=True, text=True)
            assert result.returncode == 0, f"{name} ({version.strip()}):\n{result.stdout}"
