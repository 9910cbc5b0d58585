"""The indexing family (glflow/ops/indexing.py): gather, gather_nd, scatter_nd, one_hot,
embedding_lookup. gl vs cpu, gradients (gather <-> scatter_add) vs finite differences, results
against independent numpy oracles, and out-of-range indices, which raise IndexError on both
backends."""
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, fixed, integers, normal


EXACT = {"rtol": 0, "atol": 0}  # gathers copy values: gl and cpu must agree exactly


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def ints(shape, high, seed=1, low=0):
    return np.random.default_rng(seed).integers(low, high, shape).astype(np.int32)


def _gather_oracle(x, idx, axis, batch_dims):
    if batch_dims == 0:
        return np.take(x, idx, axis=axis)
    return np.stack([_gather_oracle(x[b], idx[b], axis - 1, batch_dims - 1)
                     for b in range(x.shape[0])])


def _scatter_oracle(idx, updates, shape):
    out = np.zeros(shape, np.float64)
    np.add.at(out, tuple(np.moveaxis(idx, -1, 0)), updates)
    return out


def test_embedding_lookup_gradient_accumulates_duplicates():
    ids = np.array([[1, 4, 1], [0, 1, 6]], np.int32)
    cpu = check_op(lambda p: gf.embedding_lookup(p, ids), [normal((7, 5))])
    params = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float32)
    np.testing.assert_array_equal(cpu[0].shape, (2, 3, 5))
    g = gf.grad(lambda p: gf.sum(gf.embedding_lookup(p, ids)))(gf.tensor(params)).numpy()
    np.testing.assert_array_equal(g[:, 0], [1, 3, 0, 0, 1, 0, 1])
    check_op(lambda p, i: gf.embedding_lookup(p, i), [normal((9, 3)), integers((4,), 0, 9)])


@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_embedding_lookup_reads_tensor_ids_back_once(backend, monkeypatch):
    gf.set_backend(backend)
    params = gf.tensor(np.arange(12, dtype=np.float32).reshape(6, 2))
    ids = gf.tensor([[5, 0], [2, 2]], dtype="int32")
    device = type(gf.runtime.state.backend())
    reads = []
    real_read = device.read
    monkeypatch.setattr(device, "read",
                        lambda self, *a: reads.append(a) or real_read(self, *a))
    y = gf.embedding_lookup(params, ids)
    assert len(reads) == 1                   # the ids' check; gather must not re-read them
    np.testing.assert_array_equal(y.numpy(), params.numpy()[[[5, 0], [2, 2]]])


def test_embedding_lookup_errors():
    with pytest.raises(IndexError, match=r"embedding_lookup: id 7 is out of range \[0, 7\)"):
        gf.embedding_lookup(np.zeros((7, 2), np.float32), [0, 7])
    with pytest.raises(IndexError, match="embedding_lookup: id -1"):
        gf.embedding_lookup(np.zeros((7, 2), np.float32), gf.tensor([-1], dtype="int32"))
    with pytest.raises(ValueError, match="embedding_lookup: params must have rank 2"):
        gf.embedding_lookup(np.zeros(7, np.float32), [0])
    with pytest.raises(TypeError, match="embedding_lookup: ids must be integers"):
        gf.embedding_lookup(np.zeros((7, 2), np.float32), [0.5])


@pytest.mark.parametrize("shape,idx_shape,axis,batch_dims", [
    ((7,), (5,), 0, 0), ((5, 3), (4,), 0, 0), ((3, 13), (2, 3), 1, 0), ((4, 5, 8), (6,), 1, 0),
    ((2, 3, 5, 4), (7,), 2, 0), ((3, 5, 4), (3, 2), 1, 1), ((2, 3, 5, 3), (2, 3, 4), 2, 2),
    ((2, 6, 3), (2, 4), 2, 1), ((5, 3), (0,), 0, 0), ((5, 3), (), 0, 0), ((4, 8), (3,), 0, 0),
])
def test_gather(shape, idx_shape, axis, batch_dims):
    x = data(*shape)
    idx = ints(idx_shape, shape[axis])
    want = _gather_oracle(x, idx, axis, batch_dims)
    # indices as a tensor input and as a host array (checked before upload)
    out = check_op(lambda t, i: gf.gather(t, i, axis, batch_dims), [fixed(x), fixed(idx)],
                   **EXACT)[0]
    np.testing.assert_array_equal(out, want)
    out = check_op(lambda t: gf.gather(t, idx, axis, batch_dims), [fixed(x)], **EXACT)[0]
    np.testing.assert_array_equal(out, want)


def test_gather_duplicates_sum_in_gradient():
    # many repeats of few rows: the scatter_add gradient sums them (inner % 4 == 0 and not)
    for shape in [(3, 8), (3, 5)]:
        idx = np.array([0, 2, 2, 2, 0, 1, 2, 2], np.int32)
        check_op(lambda t: gf.gather(t, idx), [fixed(data(*shape))], **EXACT)


def test_gather_int_and_bool_values():
    x = np.arange(15, dtype=np.int32).reshape(5, 3)
    out = check_op(lambda t: gf.gather(t, [4, 0, 4], 0), [fixed(x)], **EXACT)[0]
    np.testing.assert_array_equal(out, x[[4, 0, 4]])
    b = np.random.default_rng(0).random((4, 5)) < 0.5
    out = check_op(lambda t: gf.gather(t, [1, 3], 1), [fixed(b)], **EXACT)[0]
    np.testing.assert_array_equal(out, b[:, [1, 3]])


@pytest.mark.parametrize("shape,idx", [
    ((4, 5), [[1, 2], [3, 4], [0, 0]]), ((4, 5, 3), [[1], [3], [1]]),
    ((2, 3, 4), [[[1, 2, 3]], [[0, 0, 0]]]),
    ((6,), [[5], [0], [5]]), ((3, 4), np.zeros((2, 0), np.int32)),
])
def test_gather_nd(shape, idx):
    x = data(*shape)
    idx = np.asarray(idx, np.int32)
    want = x[tuple(np.moveaxis(idx, -1, 0))] if idx.shape[-1] else np.broadcast_to(
        x, idx.shape[:-1] + x.shape)
    out = check_op(lambda t: gf.gather_nd(t, idx), [fixed(x)], **EXACT)[0]
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("idx,upd_shape,shape", [
    ([[1], [3], [1], [1]], (4,), (5,)), ([[0, 1], [2, 2], [0, 1]], (3,), (3, 4)),
    ([[2], [0], [2]], (3, 4), (3, 4)), ([[1], [1]], (2, 3, 5), (4, 3, 5)),
    ([[[0, 0], [1, 2]], [[1, 2], [1, 2]]], (2, 2, 7), (2, 3, 7)),
    (np.zeros((0, 1), np.int32), (0, 3), (4, 3)),
])
def test_scatter_nd_duplicates_add(idx, upd_shape, shape):
    idx = np.asarray(idx, np.int32)
    upd = data(*upd_shape, seed=4)
    # sums of up to 3 float32 terms in another order: a few ulp
    out = check_op(lambda u: gf.scatter_nd(idx, u, shape), [fixed(upd)], rtol=1e-6, atol=1e-6)[0]
    np.testing.assert_allclose(out, _scatter_oracle(idx, upd, shape), rtol=1e-6, atol=1e-6)


def test_scatter_nd_int_updates_and_tensor_indices():
    idx = np.array([[1], [3], [1]], np.int32)
    upd = np.array([5, -2, 7], np.int32)
    out = check_op(lambda i, u: gf.scatter_nd(i, u, [4]), [fixed(idx), fixed(upd)], **EXACT)[0]
    np.testing.assert_array_equal(out, [0, 12, 0, -2])


@pytest.mark.parametrize("shape,depth", [((5,), 3), ((2, 3), 7), ((0,), 4), ((4,), 0)])
def test_one_hot(shape, depth):
    idx = ints(shape, depth + 2, low=-1)  # includes -1 and depth, depth + 1: rows of off_value
    want = (idx[..., None] == np.arange(depth)).astype(np.int32)
    out = check_op(lambda i: gf.one_hot(i, depth), [fixed(idx)], grad=False, **EXACT)[0]
    np.testing.assert_array_equal(out, want)


def test_one_hot_values_and_dtype():
    idx = np.array([2, 0, 1, 5], np.int32)
    out = check_op(lambda i: gf.one_hot(i, 3, 0.5, -1.0), [fixed(idx)], grad=False, **EXACT)[0]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.where(idx[:, None] == np.arange(3), 0.5, -1.0))
    assert gf.one_hot([1, 0], 2).dtype == "int32"


def test_gather_then_scatter_second_order():
    # d/dx of sum(w * gather(x)**2): the gradient runs scatter_add on a gathered product
    idx = np.array([1, 1, 0, 3], np.int32)
    check_op(lambda t: gf.square(gf.gather(t, idx)), [fixed(data(4, 3))], rtol=1e-6)


def test_out_of_range_indices_raise_on_both_backends():
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        try:
            x = gf.zeros([5, 3])
            with pytest.raises(IndexError, match=r"gather: index 5 is out of range \[0, 5\) for "
                                                 r"axis 0 of x with shape \[5, 3\]"):
                gf.gather(x, [0, 5])
            with pytest.raises(IndexError, match=r"gather: index -1 is out of range \[0, 3\)"):
                gf.gather(x, gf.tensor([2, -1], dtype="int32"), axis=1)
            with pytest.raises(IndexError, match=r"gather_nd: index 3 is out of range \[0, 3\) "
                                                 r"for coordinate 1"):
                gf.gather_nd(x, [[0, 3]])
            with pytest.raises(IndexError, match=r"scatter_nd: index 4 is out of range \[0, 4\)"):
                gf.scatter_nd([[4]], gf.ones([1]), [4])
        finally:
            gf.set_backend("gl")


def test_index_errors():
    x = gf.zeros([5, 3])
    with pytest.raises(TypeError, match="gather: indices must be int32, got a float32 tensor"):
        gf.gather(x, gf.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="gather: indices must be integers"):
        gf.gather(x, [0.5, 1.0])
    with pytest.raises(ValueError, match="gather: axis 2 is out of range"):
        gf.gather(x, [0], axis=2)
    with pytest.raises(ValueError, match="gather: batch_dims 1 must be in"):
        gf.gather(x, [0, 1], axis=0, batch_dims=1)
    with pytest.raises(ValueError, match="gather_nd: indices hold 3 coordinates"):
        gf.gather_nd(x, [[0, 0, 0]])
    with pytest.raises(ValueError, match=r"scatter_nd: updates have shape \[2\], expected \[3\]"):
        gf.scatter_nd([[0], [1], [2]], gf.ones([2]), [4])
    with pytest.raises(TypeError, match="scatter_nd: indices must be integers"):
        gf.scatter_nd([[0.0]], gf.ones([1]), [4])
    with pytest.raises(TypeError, match="one_hot: indices must be int32"):
        gf.one_hot(gf.tensor([0.0]), 3)
    with pytest.raises(ValueError, match="one_hot: depth must be an int >= 0"):
        gf.one_hot([0], -1)
