"""The reduction family (glflow/ops/reduction.py): sum, mean, prod, max, min, any, all over axes
(negative, several, non-contiguous, all) with keepdims; gradients; int and bool dtypes; lengths
that take several GL passes (1,000,003 elements: three passes of 1024-element chunks); empty
axes; nan/inf; tie rules; and the errors for bad arguments."""
import math
import shutil
import subprocess

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import pair_reduce, scan, search, softmax
from glflow.backends.gl import reduction as gl_reduce
from glflow.backends.gl.elementwise import kernel_functions
from glflow.backends.gl.programs import VERSION_CORE, VERSION_ES
from helpers import booleans, check_op, fixed, integers, normal, run_on, uniform


AXES = [((7,), None), ((7,), 0), ((7,), -1), ((5, 7), 0), ((5, 7), 1), ((5, 7), -2),
        ((5, 7), (0, 1)), ((5, 7), (-1, 0)), ((2, 3, 5), (0, 2)), ((2, 3, 5), (2, 0)),
        ((2, 3, 5), 1), ((2, 3, 4, 5), (1, 3)), ((2, 3, 4, 5), (-3, -2)), ((13, 1), 1),
        ((1, 13), 0), ((4, 8), 1), ((3, 4, 8), (0, 1))]


# (shape, axis): scalars, sizes that do not fill a texel, non-contiguous axes, inner % 4 == 0,
# and axes longer than 1024 (several passes; 4097 also splits the first pass)
CASES = [((), None), ((1,), None), ((3,), 0), ((5, 7), 1), ((5, 7), 0), ((5, 7), -1),
         ((2, 3, 5), (0, 2)), ((2, 3, 5), (-1, -2)), ((13, 1), None), ((4097,), None),
         ((3, 2500), 1), ((2500, 3), 0), ((2, 1030, 8), 1)]


SMALL = [c for c in CASES if math.prod(c[0]) <= 100]


@st.composite
def shapes_and_axes(draw):
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=0, max_size=3)))
    axes = draw(st.one_of(st.none(), st.lists(st.integers(-len(shape), len(shape) - 1),
                                              unique_by=lambda a: a % len(shape),
                                              max_size=len(shape)) if shape else st.none()))
    return shape, axes, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", AXES)
def test_axes_keepdims_and_gradients(name, shape, axis, keepdims):
    fn = getattr(gf, name)
    out = check_op(lambda x: fn(x, axis, keepdims), [normal(shape)], rtol=2e-6, atol=1e-6)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    want = getattr(np, name)(x.astype(np.float64), axis=axis, keepdims=keepdims)
    assert out[0].shape == want.shape
    np.testing.assert_allclose(out[0], want, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_methods_and_keyword_arguments(name):
    check_op(lambda x: getattr(x, name)(axis=-1, keepdims=True), [normal((3, 4))])
    check_op(lambda x: getattr(x, name)(), [normal((3, 4))])


@pytest.mark.parametrize("shape,axis", [((1_000_003,), None), ((1_000_003,), 0),
                                        ((3, 333_334), 1), ((333_334, 3), 0),
                                        ((1001, 1001), None)])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_large_multipass(name, shape, axis):
    # positive values: no cancellation, so the result is well conditioned and a chunked
    # float32 tree sum stays within ~log2(n) roundings (~1e-6) of the exact value
    fn = getattr(gf, name)
    out = check_op(lambda x: fn(x, axis), [uniform(shape, 0.5, 1.5)], rtol=1e-5, grad=False)
    x = np.random.default_rng(0).uniform(0.5, 1.5, shape).astype(np.float32)
    want = getattr(np, name)(x.astype(np.float64), axis=axis)
    np.testing.assert_allclose(out[0], want, rtol=1e-5)


def test_large_gradient():
    # the gradient of a sum over a multi-pass axis is a broadcast of dy
    check_op(lambda x: gf.mean(x, 1), [normal((2, 40_001))])


def test_integer_and_bool_dtypes():
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        ints = gf.tensor([[1, 2, 3], [4, 5, 7]], dtype="int32")
        assert gf.sum(ints, 1).dtype == "int32"
        assert gf.sum(ints, 1).numpy().tolist() == [6, 16]
        assert gf.mean(ints, 1).dtype == "float32"
        np.testing.assert_allclose(gf.mean(ints, 1).numpy(), [2.0, 16 / 3], rtol=1e-6)
        flags = gf.tensor([True, False, True, True])
        assert gf.sum(flags).dtype == "int32" and gf.sum(flags).item() == 3
        assert gf.mean(flags).item() == 0.75
    gf.set_backend("gl")
    check_op(lambda x: gf.mean(x, 0), [integers((6, 5))], grad=False)
    check_op(lambda x: gf.sum(x, (0, 1)), [booleans((7, 9))])


def test_large_integer_sum_is_exact():
    # 1,000,003 ones and twos: partial sums are integers far below 2**24, exact in float32
    check_op(lambda x: gf.sum(x), [integers((1_000_003,), 1, 3)])


def test_mean_of_empty_axis_is_an_error_but_empty_outer_is_not():
    with pytest.raises(ValueError, match=r"mean: cannot average over an empty axis of shape "
                                         r"\[3, 0\]"):
        gf.mean(gf.zeros([3, 0]), 1)
    assert gf.mean(gf.zeros([0, 4]), 1).shape == [0]
    assert gf.sum(gf.zeros([3, 0]), 1).numpy().tolist() == [0.0, 0.0, 0.0]


def test_nan_and_inf_propagate():
    x = np.array([[1.0, np.nan, 2.0], [np.inf, 1.0, 2.0], [np.inf, -np.inf, 0.0]], np.float32)
    for name in ("sum", "mean"):
        with np.errstate(invalid="ignore"):  # inf + -inf in the numpy backend and numpy
            out = check_op(lambda t, name=name: getattr(gf, name)(t, 1), [x], grad=False)[0]
            np.testing.assert_array_equal(out, getattr(np, name)(x, axis=1))


@pytest.mark.parametrize("shape,axis", CASES)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min(name, shape, axis):
    # random normal data has no ties, so the gradient is a one-hot per reduced slice
    fn = getattr(gf, name)
    check_op(lambda x: fn(x, axis), [normal(shape)], grad=math.prod(shape) <= 5000)
    check_op(lambda x: fn(x, axis, keepdims=True), [normal(shape)], grad=False)


@settings(max_examples=30, deadline=None)
@given(shapes_and_axes())
def test_reductions_match_numpy_on_random_shapes_and_axes(case):
    """Any shape (empty dims too), any axes subset (negative, unsorted), keepdims."""
    shape, axes, keepdims = case
    axis = None if axes is None else tuple(axes)
    empty = math.prod(shape[a] for a in (range(len(shape)) if axis is None else axis)) == 0
    for name in ("sum", "prod", "max", "min", "any", "all", "logsumexp"):
        if empty and name in ("max", "min"):
            continue
        fn = getattr(gf, name)
        out = check_op(lambda x, fn=fn: fn(x, axis, keepdims), [uniform(shape, 0.5, 1.5)],
                       grad=False, rtol=2e-6)
        if name != "logsumexp":
            x = np.random.default_rng(0).uniform(0.5, 1.5, shape).astype(np.float32)
            want = getattr(np, name)(x, axis=axis, keepdims=keepdims)
            np.testing.assert_allclose(out[0], want, rtol=2e-6)


@pytest.mark.parametrize("shape,axis", CASES)
def test_prod(shape, axis):
    # factors near 1 keep long products finite; float32 products in a different order
    # (tree of chunks vs numpy's loop) differ by up to ~sqrt(n) ulp: rtol 2e-5 for n = 4097
    check_op(lambda x: gf.prod(x, axis), [uniform(shape, 0.9, 1.1)], rtol=2e-5)
    check_op(lambda x: gf.prod(x, axis, keepdims=True), [uniform(shape, 0.9, 1.1)], rtol=2e-5,
             grad=False)


def test_prod_gradient_with_zeros():
    # the gradient is the product of the other elements (no division by x): exact at zeros
    x = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 2.0], [2.0, 3.0, -0.5, 4.0]],
                 np.float32)
    check_op(lambda t: gf.prod(t, 1), [fixed(x)])
    check_op(lambda t: gf.prod(t, 0), [fixed(x)])
    check_op(lambda t: gf.prod(t), [fixed(x)])


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min"])
def test_integer_and_bool_inputs(name):
    fn = getattr(gf, name)
    small = integers((5, 7), -3, 4) if name == "prod" else integers((5, 7))
    check_op(lambda x: fn(x, 1), [small])
    check_op(lambda x: fn(x), [booleans((5, 7))])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_nan_inf(name):
    x = np.array([[1.0, np.nan, 3.0], [np.inf, 2.0, -np.inf], [-np.inf, -np.inf, -np.inf],
                  [5.0, 4.0, np.nan]], np.float32)
    fn = getattr(gf, name)
    for axis in (0, 1, None):
        check_op(lambda t, axis=axis: fn(t, axis), [fixed(x)], grad=False)
    long = np.random.default_rng(3).standard_normal(3000).astype(np.float32)
    long[2900] = np.nan  # in a later chunk of the first pass
    check_op(lambda t: fn(t), [fixed(long)], grad=False)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_tie_rule(name):
    # ties split dy evenly between the tied positions (the TensorFlow rule)
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [-1.0, 0.0, -1.0]], np.float32)
    fn = getattr(gf, name)
    ref = np.max if name == "max" else np.min
    hits = (x == ref(x, axis=1, keepdims=True)).astype(np.float64)
    expected = hits / hits.sum(axis=1, keepdims=True)
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        t = gf.tensor(x)
        got = gf.grad(lambda v: gf.sum(fn(v, 1)))(t).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=backend)


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all(name):
    fn = getattr(gf, name)
    for shape, axis in SMALL + [((4097,), None), ((3, 2500), 1)]:
        check_op(lambda x, axis=axis: fn(x, axis), [booleans(shape)])
    check_op(lambda x: fn(x, 0, keepdims=True), [booleans((4, 6))])
    specials = np.array([[0.0, np.nan, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, np.inf],
                         [-0.0, 3.0, 0.0]], np.float32)
    for axis in (0, 1, None):
        check_op(lambda x, axis=axis: fn(x, axis), [fixed(specials)], grad=False)
    check_op(lambda x: fn(x, 1), [integers((5, 9), -1, 2)])
    ones = np.ones((5000,), np.float32)
    ones[4321] = 0.0
    check_op(lambda x: fn(x), [fixed(ones)], grad=False)


@pytest.mark.parametrize("name,value", [("sum", 0), ("prod", 1), ("any", False),
                                        ("all", True)])
def test_empty_axis_gives_identity(name, value):
    fn = getattr(gf, name)
    for shape, axis in [((0,), None), ((0, 3), 0), ((3, 0), 1), ((0, 3), 1), ((2, 0, 4), (0, 1))]:
        out = check_op(lambda x, axis=axis: fn(x, axis), [fixed(np.zeros(shape, np.float32))],
                       grad=False)
        np.testing.assert_array_equal(out[0], getattr(np, name)(np.zeros(shape), axis=axis))
        assert out[0].size == 0 or np.all(out[0] == value)


@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_gradient_summed_over_an_empty_broadcast_axis_is_zero(backend):
    # a [3] tensor broadcast against [0, 3] sums its gradient over an empty axis: the sum's
    # identity, 0, for each element (TensorFlow gives zeros too)
    gf.set_backend(backend)
    a, b = gf.tensor([1.0, 2.0, 3.0]), gf.zeros([0, 3])
    np.testing.assert_array_equal(gf.grad(lambda t: gf.add(t, b))(a).numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("shape,axis", [((2, 3, 4), 1), ((2, 3, 4, 5), (1, 2))])
def test_contiguous_axes_reduce_in_place_without_a_transpose(shape, axis):
    # axes already next to each other need no transposed copy (one pass over x, not two);
    # non-contiguous axes do (the copy runs as an identity kernel)
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    out, kernels = run_on("gl", lambda t: gf.sum(t, axis), [x])
    np.testing.assert_array_equal(out[0], x.sum(axis))
    assert kernels == {("gl", "reduce_sum")}
    _, kernels = run_on("gl", lambda t: gf.sum(t, (0, 2)), [x])
    assert kernels == {("gl", "identity"), ("gl", "reduce_sum")}


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_empty_axis_without_identity_raises(name):
    fn = getattr(gf, name)
    for shape, axis in [((0,), None), ((3, 0), 1), ((0, 0), 0)]:
        with pytest.raises(ValueError, match=f"{name}: cannot .* empty axis"):
            fn(gf.zeros(shape), axis)
    assert fn(gf.zeros((0, 3)), 1).shape == [0]


def test_multipass_reductions_return_their_textures():
    gf.set_backend("gl")
    x = gf.tensor(np.ones((3, 5000), np.float32))
    for fn in (gf.sum, gf.max, gf.argmax, gf.logsumexp):
        fn(x, 1).numpy()
        before = gf.memory()["bytes_in_use"]
        for _ in range(3):
            fn(x, 1).numpy()
        assert gf.memory()["bytes_in_use"] == before, fn.__name__


@pytest.mark.parametrize("call,error,match", [
    (lambda x: gf.max(x, 2), ValueError, "max: axis 2 is out of range"),
    (lambda x: gf.prod(x, (0, -2)), ValueError, "prod: axis 0 repeated"),
    (lambda x: gf.any(x, -3), ValueError, "any: axis -3 is out of range"),
    (lambda x: gf.argmax(x, (0, 1)), TypeError, "argmax: axis must be one int"),
    (lambda x: gf.argmin(x, 5), ValueError, "argmin: axis 5 is out of range"),
    (lambda x: gf.top_k(x, 8), ValueError, r"top_k: k = 8 must be in \[0, 7\]"),
    (lambda x: gf.top_k(x, -1), ValueError, r"top_k: k = -1 must be in \[0, 7\]"),
    (lambda x: gf.top_k(x, 1.5), TypeError, "top_k: k must be an int"),
    (lambda x: gf.top_k(gf.scalar(1.0)), ValueError, "top_k: x must have rank >= 1"),
    (lambda x: gf.norm(x, 3), ValueError, "norm: ord 3 is not supported"),
    (lambda x: gf.norm(x, "fro", 1), ValueError, "norm: ord 'fro' is not supported"),
    (lambda x: gf.norm(x, 2, (0, 1)), ValueError, "norm: ord 2 over two axes"),
    (lambda x: gf.norm(x, 1, (0, 0)), ValueError, "norm: axis 0 repeated"),
    (lambda x: gf.norm(x, 1, (0, 1, 1)), ValueError, "norm: axis must be None, one axis"),
    (lambda x: gf.variance(gf.zeros((0, 3)), 0), ValueError, "variance: cannot average"),
    (lambda x: gf.moments(x, 4), ValueError, "moments: axis 4 is out of range"),
])
def test_bad_arguments(call, error, match):
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        with pytest.raises(error, match=match):
            call(gf.ones((5, 7)))


def test_shaders_compile_as_glsl_es_300_and_330_core():
    """Every variant of the reduction, pair-reduction, softmax, scan and top_k shaders, as the
    runtime assembles it, is valid GLSL ES 3.00 (WebGL2) and GLSL 3.30 core
    (docs/architecture.md, "Shader dialects")."""
    import itertools

    validator = shutil.which("glslangValidator")
    assert validator, "glslangValidator (package glslang-tools) is needed to validate shaders"
    sources = [gl_reduce._source(f"reduce_{k}", v) for k in ("sum", "prod", "max", "min",
                                                                "any", "all")
               for v in ("", "INNER4", "CONTIG4")]
    functions = [search._arg_functions("argmax"), search._arg_functions("argmin"),
                 kernel_functions(["logsumexp"])]
    sources += [pair_reduce._source(f, first, first and contig4, final) for f in functions
                for first, contig4, final in itertools.product([False, True], repeat=3)]
    sources += [softmax._source(k, row4) for k in ("softmax", "log_softmax")
                for row4 in (False, True)]
    sources += [scan._source(k, v, step, block) for k in ("cumsum", "cumprod")
                for v in ("", "INNER4", "ROW4", "ROW") for step in ("", "UP", "TOTALS")
                for block in (1, 4)]
    sources += [search._source(v) for v in ("", "RANKS", "BY_RANK")]
    for text in sources:
        for version in (VERSION_ES, VERSION_CORE):
            result = subprocess.run([validator, "--stdin", "-S", "frag"], check=False,
                                    input=version + text, capture_output=True, text=True)
            assert result.returncode == 0, f"{version.strip()}:\n{result.stdout}\n{text}"
