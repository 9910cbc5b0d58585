"""The linalg family (glflow/ops/linalg.py). matmul on GL vs the numpy backend: 2-D, batched with
batch broadcasting, transposes, 1-D operands, and sizes that do not fill the 8 x 4 blocks of the
MRT product pass; dot, outer, band_part, diag and fused_matmul against independent numpy
formulas; gradients through check_op (gl vs cpu, and cpu float64 vs finite differences)."""
import shutil
import subprocess

import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl.epilogue import Epilogue, epilogue_source
from glflow.backends.gl.matmul import _unpack_source
from glflow.backends.gl.programs import VERSION_CORE, VERSION_ES
from glflow.ops.linalg import epilogue_attr
from helpers import check_op, fixed, integers, normal


# Tolerance: a float32 dot product of length k summed in another order than numpy's BLAS
# differs by a random walk of ~sqrt(k) roundings of the partial sums; for standard normal
# inputs and k <= 129 that is ~1e-5 absolute, so atol 3e-5 is about 4 sigma.
RTOL, ATOL = 1e-5, 3e-5


GRAD = dict(grad_rtol=1e-4, grad_atol=1e-4)  # gradients are matmuls of matmul-sized inputs


ODD = [1, 3, 5, 17, 33, 65, 129]


EXACT = {"rtol": 0, "atol": 0}  # band_part / diag copy or zero values: bit-exact


# float32 dot products of k terms summed in another order on GL: a few ulp of the terms
MATMUL_TOL = {"rtol": 1e-5, "atol": 1e-5}


def data(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def close(got, want, tol=MATMUL_TOL):
    np.testing.assert_allclose(got, want, rtol=tol["rtol"], atol=tol["atol"])


def _reference(a, b, ta, tb, bias, activation, alpha):
    a, b = a.astype(np.float64), b.astype(np.float64)
    z = np.swapaxes(a, -1, -2) if ta else a
    z = z @ (np.swapaxes(b, -1, -2) if tb else b)
    z = z + (0 if bias is None else bias)
    return {"linear": z, "relu": np.maximum(z, 0), "relu6": np.clip(z, 0, 6),
            "sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z),
            "elu": np.where(z > 0, z, np.expm1(z)),
            "leaky_relu": np.where(z > 0, z, alpha * z)}[activation]


ACTIVATIONS = ["linear", "relu", "relu6", "sigmoid", "tanh", "elu", "leaky_relu"]


def _check_fused(sa, sb, bias_shape, activation, ta=False, tb=False, alpha=0.2, scale=1.0):
    a, b = data(*sa, scale=scale), data(*sb, seed=1)
    arrays = [fixed(a), fixed(b)]
    bias = None
    if bias_shape is not None:
        bias = data(*bias_shape, seed=2)
        arrays.append(fixed(bias))

    def fn(x, y, *z):
        return gf.fused_matmul(x, y, ta, tb, z[0] if z else None, activation, alpha)
    out = check_op(fn, arrays, **MATMUL_TOL)[0]
    close(out, _reference(a, b, ta, tb, bias, activation, alpha))
    return out


@pytest.mark.parametrize("size", ODD)
@pytest.mark.parametrize("position", ["m", "k", "n"])
def test_odd_sizes(size, position):
    """Each odd size as rows, inner and columns, the other two fixed at sizes that also miss
    the block edges (8 rows x 4 columns per fragment)."""
    dims = {"m": 6, "k": 7, "n": 5}
    dims[position] = size
    m, k, n = dims["m"], dims["k"], dims["n"]
    check_op(gf.matmul, [normal((m, k)), normal((k, n))], rtol=RTOL, atol=ATOL,
             grad=m * k * n <= 8000, **GRAD)


@pytest.mark.parametrize("m,k,n", [(8, 4, 4), (16, 8, 12), (64, 64, 64), (33, 65, 17),
                                   (129, 3, 1), (1, 129, 129)])
def test_square_and_block_aligned(m, k, n):
    out = check_op(gf.matmul, [normal((m, k)), normal((k, n))], rtol=RTOL, atol=ATOL,
                   grad=False)[0]
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("m,k,n", [(5, 3, 17), (33, 17, 1), (1, 65, 5)])
def test_transposes(ta, tb, m, k, n):
    a_shape = (k, m) if ta else (m, k)
    b_shape = (n, k) if tb else (k, n)
    check_op(lambda a, b: gf.matmul(a, b, transpose_a=ta, transpose_b=tb),
             [normal(a_shape), normal(b_shape)], rtol=RTOL, atol=ATOL, **GRAD)


@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 5, 4), (3, 4, 6)),            # same batch
    ((2, 3, 5, 4), (4, 6)),            # 2-D b broadcast over a's batch
    ((5, 4), (2, 3, 4, 6)),            # 2-D a broadcast over b's batch
    ((3, 1, 5, 4), (2, 4, 7)),         # both batches broadcast: [3, 2]
    ((1, 5, 4), (3, 4, 2)),            # a batch of one
    ((2, 1, 3, 17), (1, 5, 17, 3)),    # odd sizes in a broadcast batch
    ((4, 1, 9), (4, 9, 1)),            # batched vector products
])
def test_batched_with_broadcasting(a_shape, b_shape):
    check_op(gf.matmul, [normal(a_shape), normal(b_shape)], rtol=RTOL, atol=ATOL, **GRAD)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    got = gf.matmul(gf.tensor(a), gf.tensor(b))
    np.testing.assert_allclose(got.numpy(), np.matmul(a.astype(np.float64), b), rtol=RTOL,
                               atol=ATOL)


@pytest.mark.parametrize("ta,tb", [(True, False), (False, True), (True, True)])
def test_batched_transposes(ta, tb):
    a_shape = (2, 3, 7, 5) if ta else (2, 3, 5, 7)
    b_shape = (3, 4, 7) if tb else (3, 7, 4)
    check_op(lambda a, b: gf.matmul(a, b, transpose_a=ta, transpose_b=tb),
             [normal(a_shape), normal(b_shape)], rtol=RTOL, atol=ATOL, **GRAD)


@pytest.mark.parametrize("a_shape,b_shape", [((5,), (5, 3)), ((4, 5), (5,)), ((6,), (6,)),
                                             ((2, 3, 5), (5,)), ((5,), (2, 5, 3))])
def test_vector_operands_follow_numpy(a_shape, b_shape):
    out = check_op(gf.matmul, [normal(a_shape), normal(b_shape)], rtol=RTOL, atol=ATOL, **GRAD)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    assert out[0].shape == np.matmul(a, b).shape


def test_operator_and_method():
    check_op(lambda a, b: a @ b, [normal((3, 5)), normal((5, 2))], rtol=RTOL, atol=ATOL)
    check_op(lambda a, b: a.matmul(b, transpose_b=True), [normal((3, 5)), normal((2, 5))],
             rtol=RTOL, atol=ATOL)


def test_integer_matmul_is_exact():
    out = check_op(gf.matmul, [integers((7, 9), -50, 50), integers((9, 5), -50, 50)])
    assert out[0].dtype == np.int32


def test_repeated_matmuls_reuse_memory():
    gf.set_backend("gl")
    a, b = gf.ones([17, 33]), gf.ones([33, 5])
    gf.matmul(a, b).numpy()
    before = gf.memory()
    for _ in range(5):
        gf.matmul(a, b).numpy()
    after = gf.memory()
    assert after["bytes_in_use"] == before["bytes_in_use"]
    assert after["num_compiles"] == before["num_compiles"]


@pytest.mark.parametrize("sa,sb", [((7,), (7,)), ((3, 5), (5,)), ((5,), (5, 3)), ((4, 13), (13, 6)),
                                   ((1, 1), (1, 1))])
def test_dot(sa, sb):
    a, b = data(*sa), data(*sb, seed=1)
    out = check_op(gf.dot, [fixed(a), fixed(b)], **MATMUL_TOL)[0]
    close(out, np.dot(a.astype(np.float64), b))


@pytest.mark.parametrize("sa,sb", [((3,), (5,)), ((2, 2), (3,)), ((1,), (7,)), ((0,), (3,))])
def test_outer(sa, sb):
    a, b = data(*sa), data(*sb, seed=1)
    out = check_op(gf.outer, [fixed(a), fixed(b)], **EXACT)[0]  # one product per element
    np.testing.assert_array_equal(out, np.outer(a, b))


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (6, 2), (2, 3, 5, 5), (0, 3), (1, 1)])
@pytest.mark.parametrize("lower,upper", [(0, -1), (-1, 0), (0, 0), (1, 2), (-1, -1), (3, 0)])
def test_band_part(shape, lower, upper):
    x = data(*shape)
    r = np.arange(shape[-2])[:, None]
    c = np.arange(shape[-1])[None, :]
    band = ((lower < 0) | (r - c <= lower)) & ((upper < 0) | (c - r <= upper))
    out = check_op(lambda t: gf.band_part(t, lower, upper), [fixed(x)], **EXACT)[0]
    np.testing.assert_array_equal(out, np.where(band, x, 0))


@pytest.mark.parametrize("n", [1, 3, 5, 13, 0])
def test_diag(n):
    x = data(n)
    out = check_op(gf.diag, [fixed(x)], **EXACT)[0]
    np.testing.assert_array_equal(out, np.diag(x))


def test_diag_int_and_second_use():
    v = np.array([3, -1, 4], np.int32)
    out = check_op(gf.diag, [fixed(v)], **EXACT)[0]
    np.testing.assert_array_equal(out, np.diag(v))
    # gradient of a function of the diagonal matrix that mixes its entries
    check_op(lambda t: gf.matmul(gf.diag(t), gf.diag(t)), [normal((4,))], **MATMUL_TOL)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("bias_shape", [None, (5,), (3, 1)])
def test_fused_matmul_activations(activation, bias_shape):
    # scale 3: pre-activations reach past relu6's upper bend and sigmoid/tanh saturation
    _check_fused((3, 7), (7, 5), bias_shape, activation, scale=3.0)


@pytest.mark.parametrize("sa,sb,bias_shape,ta,tb", [
    ((4, 9), (9, 8), (8,), False, False),        # aligned output, one bias texel per texel
    ((4, 9), (9, 8), (1, 8), False, True),
    ((4, 9), (9, 6), (4, 6), True, False),
    ((2, 3, 7), (7, 5), (2, 1, 1), True, True),
    ((2, 3, 7), (1, 7, 5), (2, 3, 5), False, False),
    ((1, 13), (13, 1), (), False, False),
    ((2, 3, 4, 6), (6, 5), (2, 1, 1, 5), False, False),  # mixed batch broadcast: materialised
    ((3, 0), (0, 4), (4,), False, False),               # k == 0: bias alone
    ((0, 5), (5, 4), (4,), False, False),
])
def test_fused_matmul_shapes(sa, sb, bias_shape, ta, tb):
    if ta:
        sa = sa[:-2] + (sa[-1], sa[-2])
    if tb:
        sb = sb[:-2] + (sb[-1], sb[-2])
    _check_fused(sa, sb, bias_shape, "relu", ta, tb)


def test_fused_leaky_relu_negative_alpha_and_bias_gradient():
    # alpha <= 0: the sign of y no longer tells the sign of z; the gradient recomputes z
    _check_fused((3, 5), (5, 4), (4,), "leaky_relu", alpha=-0.5)
    _check_fused((3, 5), (5, 4), (3, 4), "leaky_relu", alpha=0.0)


def test_fused_equals_unfused():
    a, b, bias = data(6, 10), data(10, 7, seed=1), data(7, seed=2)
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        try:
            fused = gf.fused_matmul(a, b, bias=bias, activation="relu").numpy()
            unfused = gf.relu(gf.add(gf.matmul(a, b), bias)).numpy()
            np.testing.assert_array_equal(fused, unfused)  # same sums, same relu: bit-exact
        finally:
            gf.set_backend("gl")


def test_dot_outer_band_part_diag_fused_matmul_errors():
    a, b = gf.zeros([2, 3]), gf.zeros([4, 5])
    with pytest.raises(ValueError, match=r"dot: inner dimensions differ: a is \[2, 3\], "
                                         r"b is \[4, 5\]"):
        gf.dot(a, b)
    with pytest.raises(ValueError, match="dot: operands must be 1-D or 2-D"):
        gf.dot(gf.zeros([2, 2, 2]), a)
    with pytest.raises(ValueError, match=r"fused_matmul: inner dimensions differ"):
        gf.fused_matmul(a, b)
    with pytest.raises(ValueError, match="fused_matmul: activation must be one of"):
        gf.fused_matmul(a, gf.zeros([3, 5]), activation="softmax")
    with pytest.raises(ValueError, match="fused_matmul: operands must have rank >= 2"):
        gf.fused_matmul(gf.zeros([3]), gf.zeros([3, 5]))
    with pytest.raises(ValueError, match=r"fused_matmul: shapes cannot be broadcast together: "
                                         r"bias is \[4\], result is \[2, 5\]"):
        gf.fused_matmul(a, gf.zeros([3, 5]), bias=gf.zeros([4]))
    with pytest.raises(TypeError, match="fused_matmul: a must be float32"):
        gf.fused_matmul(gf.zeros([2, 3], "int32"), gf.zeros([3, 5]))
    with pytest.raises(ValueError, match="band_part: x must have rank >= 2"):
        gf.band_part(gf.zeros([3]), 0, 0)
    with pytest.raises(TypeError, match="band_part: num_lower must be an int"):
        gf.band_part(a, 0.5, 0)
    with pytest.raises(ValueError, match="diag: x must be 1-D"):
        gf.diag(a)


def test_fused_epilogue_shaders_compile_as_glsl_es_300_and_330_core():
    """matmul's unpack pass with every epilogue activation and every way of reading an extra
    input (gl/epilogue.py) is valid GLSL ES 3.00 and 3.30 core."""
    validator = shutil.which("glslangValidator")
    assert validator, "glslangValidator (package glslang-tools) is needed to validate shaders"
    cases = [(epilogue_attr(act, 0.2, strides)["program"], modes)
             for act in ACTIVATIONS for strides, modes in ((None, ()), ((0, 0, 1), ("row4",)))]
    scaled = ((("mul", (("in", 0), ("in", 1)), (), "float32"), ("fill", (), (0,), "float32"),
               ("add", (("t", 0), ("t", 1)), (), "float32"),
               ("add", (("t", 2), ("in", 2)), (), "float32"),
               ("maximum", (("t", 3), ("in", 3)), (), "float32")), (("t", 4),))
    cases += [(scaled, modes) for modes in (("texel", "scalar", "strided"),
                                            ("strided", "row4", "texel"))]
    for program, modes in cases:
        for aligned in (False, True):
            epilogue = Epilogue(epilogue_source(program, modes), [], [], {})
            text = _unpack_source(8, aligned, epilogue)
            for version in (VERSION_ES, VERSION_CORE):
                result = subprocess.run([validator, "--stdin", "-S", "frag"], check=False,
                                        input=version + text, capture_output=True, text=True)
                assert result.returncode == 0, f"{program} {modes}:\n{result.stdout}"