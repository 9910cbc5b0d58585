"""matmul on GL vs the numpy backend: 2-D, batched with batch broadcasting, transposes, 1-D
operands, and sizes that do not fill the 8 x 4 blocks of the MRT product pass; gradients
through check_op (gl vs cpu, and cpu float64 vs finite differences)."""
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, integers, normal

# Tolerance: a float32 dot product of length k summed in another order than numpy's BLAS
# differs by a random walk of ~sqrt(k) roundings of the partial sums; for standard normal
# inputs and k <= 129 that is ~1e-5 absolute, so atol 3e-5 is about 4 sigma.
RTOL, ATOL = 1e-5, 3e-5
GRAD = dict(grad_rtol=1e-4, grad_atol=1e-4)  # gradients are matmuls of matmul-sized inputs

ODD = [1, 3, 5, 17, 33, 65, 129]


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
