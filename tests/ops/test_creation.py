"""Creating tensors and the Tensor object itself: constructors (shape-checked), fills, ranges,
seeded random numbers, dtypes, properties, repr, operators, immutability, Variable.assign,
int32 exactness on GL, and size-0 / rank-0 tensors through ops."""
import numpy as np
import pytest

import glflow as gf
from glflow.runtime import dtypes
from helpers import check_op, fixed, normal


def on_both(fn):
    """fn() evaluated on cpu then gl, as numpy arrays."""
    out = []
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        out.append(np.asarray(fn().numpy()))
    return out


def test_issue_example():
    a = gf.tensor2d([[1, 2, 3], [10, 20, 30]])
    b = gf.tensor([1.0, 2.0, 3.0])
    c = (a + b).square().sum(axis=1)
    want = np.square(np.array([[1, 2, 3], [10, 20, 30]]) + np.array([1.0, 2.0, 3.0])).sum(1)
    np.testing.assert_array_equal(c.numpy(), want)
    assert c.shape == [2] and c.dtype == "float32"
    # the README's printed form of the same result
    assert repr(c) == "Tensor([56.0, 1694.0], shape=[2], dtype=float32)"


@pytest.mark.parametrize("make,values,shape", [
    (gf.tensor1d, [1.0, 2.0, 3.0], [3]),
    (gf.tensor2d, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [3, 2]),
    (gf.tensor3d, [[[1.0], [2.0]]], [1, 2, 1]),
    (gf.tensor4d, np.arange(24.0).reshape(1, 2, 3, 4), [1, 2, 3, 4]),
])
def test_ranked_constructors(make, values, shape):
    t = make(values)
    assert t.shape == shape and t.rank == len(shape)
    np.testing.assert_array_equal(t.numpy(), np.asarray(values, np.float32))


@pytest.mark.parametrize("make,values", [
    (gf.tensor1d, [[1, 2]]), (gf.tensor1d, 3.0), (gf.tensor2d, [1, 2]),
    (gf.tensor2d, [[[1]]]), (gf.tensor3d, [[1, 2]]), (gf.tensor4d, [[[1]]]),
])
def test_ranked_constructors_refuse_other_ranks(make, values):
    with pytest.raises(ValueError, match=f"{make.__name__}: expected rank"):
        make(values)


def test_ranked_constructor_with_flat_values_and_shape():
    t = gf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])
    np.testing.assert_array_equal(t.numpy(), [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match=r"tensor2d: 6 values cannot fill shape \[4, 2\]"):
        gf.tensor2d([1, 2, 3, 4, 5, 6], [4, 2])


def test_tensor_from_values():
    assert gf.tensor(3).shape == [] and gf.tensor(3).dtype == "int32"
    assert gf.tensor(2.5).item() == 2.5
    t = gf.tensor([1, 2, 3, 4], shape=[2, 2])
    assert t.shape == [2, 2]
    copy = gf.tensor(t)
    np.testing.assert_array_equal(copy.numpy(), t.numpy())
    # numpy float64 becomes float32, like tfjs
    assert gf.tensor(np.arange(3.0)).dtype == "float32"


def test_scalar():
    s = gf.scalar(7.25)
    assert s.shape == [] and s.rank == 0 and s.size == 1 and s.item() == 7.25
    assert gf.scalar(3, "int32").dtype == "int32"
    with pytest.raises(ValueError, match=r"scalar: value must be a single number, got shape \[2\]"):
        gf.scalar([1.0, 2.0])


def test_fills():
    np.testing.assert_array_equal(gf.zeros([2, 3]).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(gf.ones([5]).numpy(), np.ones(5))
    np.testing.assert_array_equal(gf.fill([3, 1], 2.5).numpy(), np.full((3, 1), 2.5))
    assert gf.fill([2], 7, "int32").numpy().tolist() == [7, 7]
    assert gf.ones([2], "bool").numpy().tolist() == [True, True]
    base = gf.tensor([[1, 2, 3]], dtype="int32")
    for like, value in ((gf.zeros_like, 0), (gf.ones_like, 1)):
        t = like(base)
        assert t.shape == [1, 3] and t.dtype == "int32"
        assert t.numpy().tolist() == [[value] * 3]


def test_range_linspace_eye():
    np.testing.assert_array_equal(gf.range(5).numpy(), np.arange(5))
    np.testing.assert_allclose(gf.range(1, 2, 0.25).numpy(), np.arange(1, 2, 0.25))
    np.testing.assert_array_equal(gf.range(5, 0, -2).numpy(), [5, 3, 1])
    assert gf.range(3, dtype="int32").dtype == "int32"
    assert gf.range(3, 3).shape == [0]
    with pytest.raises(ValueError, match="range: step must not be 0"):
        gf.range(0, 3, 0)
    np.testing.assert_allclose(gf.linspace(-1, 1, 7).numpy(), np.linspace(-1, 1, 7), rtol=1e-7)
    assert gf.linspace(0, 1, 0).shape == [0]
    np.testing.assert_array_equal(gf.eye(4).numpy(), np.eye(4))
    np.testing.assert_array_equal(gf.eye(2, 5).numpy(), np.eye(2, 5))


@pytest.mark.parametrize("make", [
    lambda: gf.random_uniform([37, 5], -2.0, 3.0, seed=11),
    lambda: gf.random_normal([37, 5], 1.0, 2.0, seed=11),
    lambda: gf.truncated_normal([37, 5], 1.0, 2.0, seed=11),
    lambda: gf.random_uniform([9], 0, 10, "int32", seed=3),
])
def test_random_is_seeded_and_the_same_on_every_backend(make):
    cpu, gl = on_both(make)
    np.testing.assert_array_equal(gl, cpu)
    again = make().numpy()
    np.testing.assert_array_equal(again, gl)
    assert len(np.unique(gl)) > 1


def test_random_distributions():
    u = gf.random_uniform([20000], -2.0, 3.0, seed=1).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.05
    n = gf.random_normal([20000], 1.0, 2.0, seed=2).numpy()
    assert abs(n.mean() - 1.0) < 0.06 and abs(n.std() - 2.0) < 0.06
    t = gf.truncated_normal([20000], 1.0, 2.0, seed=3).numpy()
    assert np.all(np.abs(t - 1.0) <= 2 * 2.0 + 1e-5)
    # a normal truncated at 2 std has std ~0.88 of the untruncated one
    assert 0.8 * 2.0 < t.std() < 0.95 * 2.0
    assert not np.array_equal(gf.random_normal([8], seed=4).numpy(),
                              gf.random_normal([8], seed=5).numpy())


@pytest.mark.parametrize("values,dtype,numpy_dtype", [
    ([1.5, -2.0], "float32", np.float32), ([1, -2], "int32", np.int32),
    ([True, False], "bool", np.bool_),
])
def test_dtypes_and_reading(values, dtype, numpy_dtype):
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        t = gf.tensor(values, dtype=dtype)
        assert t.dtype == dtype
        assert t.numpy().dtype == numpy_dtype
        assert t.data().tolist() == list(np.asarray(values, numpy_dtype))
        assert t.array() == np.asarray(values, numpy_dtype).tolist()


def test_dtype_spellings():
    assert gf.tensor([1], dtype=np.float64).dtype == "float32"
    assert gf.tensor([1.0], dtype=int).dtype == "int32"
    assert gf.tensor([1], dtype=bool).dtype == "bool"
    assert gf.float32 == "float32" and gf.int32 == "int32" and gf.bool_ == "bool"


def test_properties():
    t = gf.zeros([2, 3, 4])
    assert t.shape == [2, 3, 4] and t.rank == 3 and t.size == 24 and t.dtype == "float32"
    assert len(t) == 2
    assert gf.zeros([0, 5]).size == 0


def test_repr_and_print(capsys):
    assert repr(gf.tensor([1, 2], dtype="int32")) == "Tensor([1, 2], shape=[2], dtype=int32)"
    assert repr(gf.tensor([True, False])) == "Tensor([ True, False], shape=[2], dtype=bool)"
    assert repr(gf.scalar(2.5)) == "Tensor(2.5, shape=[], dtype=float32)"
    # float32 values print with float32 digits, as numpy does (not as a float64 would)
    assert repr(gf.tensor([0.1, 36.0])) == "Tensor([0.1, 36.0], shape=[2], dtype=float32)"
    assert repr(gf.variable(gf.ones([1]))) == "Variable([1.0], shape=[1], dtype=float32)"
    two_d = repr(gf.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert two_d.startswith("Tensor([[1.0, 2.0],")
    assert two_d.endswith("shape=[2, 2], dtype=float32)")
    gf.tensor([3.0]).print()
    assert capsys.readouterr().out == "Tensor([3.0], shape=[1], dtype=float32)\n"
    t = gf.ones([2])
    t.dispose()
    assert "disposed" in repr(t)


def test_clone_and_cast():
    t = gf.tensor([1.7, -1.7, 0.0])
    c = t.clone()
    assert c is not t and c.id != t.id
    np.testing.assert_array_equal(c.numpy(), t.numpy())
    t.dispose()
    assert c.numpy().tolist() == pytest.approx([1.7, -1.7, 0.0])
    cpu, gl = on_both(lambda: gf.tensor([1.7, -1.7, 0.0, 2.5]).cast("int32"))
    np.testing.assert_array_equal(gl, cpu)
    np.testing.assert_array_equal(gl, np.array([1.7, -1.7, 0.0, 2.5], np.float32).astype(np.int32))
    b = gf.tensor([0.0, 2.0, -0.5]).cast("bool")
    assert b.dtype == "bool" and b.numpy().tolist() == [False, True, True]
    assert gf.tensor([True, False]).cast("float32").numpy().tolist() == [1.0, 0.0]


def test_array_protocol():
    t = gf.tensor([[1.0, 2.0]])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (1, 2)
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert np.sum(np.asarray(t)) == 3.0


def test_operators_match_numpy():
    x = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
    y = np.array([2.0, 0.5, -3.0], np.float32)
    a, b = gf.tensor(x), gf.tensor(y)
    cases = [(a + b, x + y), (a - b, x - y), (a * b, x * y), (a / b, x / y),
             (a + 1, x + 1), (1 - a, 1 - x), (2 * a, 2 * x), (1 / b, 1 / y), (-a, -x),
             (abs(a), np.abs(x)), (b ** 2, y ** 2), (2 ** b, 2 ** y),
             (a @ gf.tensor(x.T), x @ x.T)]
    for got, want in cases:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    for got, want in [(a < b, x < y), (a <= b, x <= y), (a > b, x > y), (a >= b, x >= y),
                      (a == b, x == y), (a != b, x != y), (a > 0, x > 0)]:
        assert got.dtype == "bool"
        np.testing.assert_array_equal(got.numpy(), want)


def test_numpy_on_the_left_gives_tensors():
    t = gf.tensor([1.0, 2.0])
    out = np.array([10.0, 20.0], np.float32) + t
    assert isinstance(out, gf.Tensor)
    assert out.numpy().tolist() == [11.0, 22.0]


def test_chainable_methods():
    t = gf.tensor([[1.0, -2.0], [3.0, -4.0]])
    np.testing.assert_allclose(t.abs().sqrt().sum(axis=0).numpy(),
                               np.sqrt(np.abs(t.numpy())).sum(0), rtol=1e-6)


def test_tensors_are_immutable():
    t = gf.tensor([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="immutable"):
        t[0] = 5.0
    same = t
    t += 1  # rebinds the name to a new tensor: the original is unchanged
    assert t is not same
    assert same.numpy().tolist() == [1.0, 2.0, 3.0] and t.numpy().tolist() == [2.0, 3.0, 4.0]
    a = t.numpy()
    a[0] = 100.0  # a copy, or read-only: the tensor never changes either way
    assert t.numpy().tolist() == [2.0, 3.0, 4.0]


def test_variable_assign():
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        v = gf.variable(gf.zeros([3]))
        source = gf.tensor([1.0, 2.0, 3.0])
        v.assign(source)
        assert v.numpy().tolist() == [1.0, 2.0, 3.0]
        snapshot = v.read_value()
        v.assign(gf.tensor([7.0, 8.0, 9.0]))
        # values are shared, never aliased for writing: old snapshots and sources keep theirs
        assert snapshot.numpy().tolist() == [1.0, 2.0, 3.0]
        assert source.numpy().tolist() == [1.0, 2.0, 3.0]
        assert v.numpy().tolist() == [7.0, 8.0, 9.0]
        source.dispose()  # the variable's values do not depend on the source staying alive
        v.assign([4.0, 5.0, 6.0])
        assert v.numpy().tolist() == [4.0, 5.0, 6.0]


def test_variable_assign_checks_shape_and_dtype():
    v = gf.variable(gf.zeros([3]), name="w")
    with pytest.raises(ValueError, match=r"assign: shape of new value \[2\] differs from "
                                         r"variable 'w' shape \[3\]"):
        v.assign(gf.tensor([1.0, 2.0]))
    iv = gf.variable(gf.zeros([2], "int32"), name="n")
    with pytest.raises(TypeError, match="assign: dtype float32 differs from variable 'n'"):
        # a tensor keeps its dtype: refused, not silently truncated to int32
        iv.assign(gf.tensor([1.5, 2.5]))
    assert v.numpy().tolist() == [0.0, 0.0, 0.0]


def test_variable_assign_across_backends():
    gf.set_backend("cpu")
    value = gf.tensor([1.0, 2.0])
    gf.set_backend("gl")
    v = gf.variable(gf.zeros([2]))
    v.assign(value)
    assert v.backend.name == "gl" and v.numpy().tolist() == [1.0, 2.0]


def test_int32_is_exact_up_to_the_accepted_limit():
    limit = dtypes.GL_EXACT_INT_LIMIT
    edges = np.array([limit, -limit, limit - 1, -limit + 1, 0, 1, -1, 12345677], np.int32)
    t = gf.tensor(edges)
    assert t.dtype == "int32"
    np.testing.assert_array_equal(t.numpy(), edges)
    # arithmetic with results inside the limit stays exact
    np.testing.assert_array_equal((t[2:] + 1).numpy(), edges[2:] + 1)


@pytest.mark.parametrize("value", [dtypes.GL_EXACT_INT_LIMIT + 1, -dtypes.GL_EXACT_INT_LIMIT - 1,
                                   2 ** 31 - 1])
def test_int32_beyond_the_limit_is_refused_on_gl(value):
    with pytest.raises(ValueError, match=f"tensor: int32 value {abs(value)} exceeds"):
        gf.tensor([0, value], dtype="int32")
    with pytest.raises(ValueError, match="tensor1d: int32 value"):
        gf.tensor1d(np.array([value], np.int32))
    gf.set_backend("cpu")
    assert gf.tensor([0, value], dtype="int32").numpy().tolist() == [0, value]


def test_values_outside_int32_are_refused_everywhere():
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        with pytest.raises(ValueError, match="tensor: values outside the int32 range"):
            gf.tensor([2 ** 31], dtype="int32")
        with pytest.raises(ValueError, match="tensor: cannot store nan/inf as int32"):
            gf.tensor([np.nan], dtype="int32")


@pytest.mark.parametrize("fn,shapes", [
    (gf.add, [(0,), (0,)]), (gf.mul, [(3, 0), (0,)]), (gf.sub, [(0, 4), (1, 4)]),
    (gf.exp, [(0, 2)]), (lambda x: gf.sum(x, axis=0), [(0, 3)]),
    (lambda x: gf.mean(x, axis=2), [(3, 0, 2)]), (gf.matmul, [(0, 3), (3, 4)]),
    (gf.matmul, [(2, 0), (0, 4)]), (lambda x: gf.reshape(x, [0, 5]), [(5, 0)]),
])
def test_size_zero_tensors_through_ops(fn, shapes):
    check_op(fn, shapes, grad=False)


@pytest.mark.parametrize("fn,shapes", [
    (gf.add, [(), ()]), (gf.mul, [(), (3, 2)]), (gf.div, [(4,), ()]), (gf.exp, [()]),
    (gf.sum, [()]), (gf.mean, [()]), (lambda x: gf.sum(x, axis=0), [()]),
    (lambda x: gf.reshape(x, [1, 1]), [()]),
])
def test_rank_zero_tensors_through_ops(fn, shapes):
    check_op(fn, shapes, rtol=2e-6)


def test_rank_zero_results_and_size_zero_reads():
    s = gf.sum(gf.tensor([1.0, 2.0]))
    assert s.shape == [] and s.item() == 3.0 and float(s) == 3.0
    e = gf.zeros([2, 0, 3])
    assert e.numpy().shape == (2, 0, 3) and e.data().size == 0
    assert gf.sum(e).item() == 0.0
    check_op(lambda x: gf.sum(gf.mul(x, x)), [fixed(np.float32(1.5))])
    check_op(lambda x: x * 2.0 + 1.0, [normal((0, 3))], grad=False)
