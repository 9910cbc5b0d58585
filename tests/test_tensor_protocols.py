"""What TF.js, Keras and numpy users expect of a tensor object (issue 9): TF.js names in Python
spelling, numpy interop, Python operators and formatting, pickling and copying, and tidy
inside a gradient."""
import copy
import pickle

import numpy as np
import pytest

import glflow as gf


@pytest.fixture(params=["gl", "cpu"])
def backend(request):
    gf.set_backend(request.param)
    return request.param


def test_tidy_inside_a_gradient_keeps_what_the_tape_saved(backend):
    x = gf.tensor(np.arange(1, 101, dtype=np.float32))
    dx = gf.grad(lambda x: gf.tidy(lambda: (x * x * x).sum()))(x)
    np.testing.assert_allclose(dx.numpy(), 3 * np.arange(1, 101) ** 2, rtol=1e-6)


def test_tidy_still_disposes_what_no_tape_holds(backend):
    x = gf.tensor([1.0, 2.0])
    with gf.GradientTape() as tape:
        tape.watch(x)
        inner = []

        def body():
            unrelated = gf.tensor([5.0]) * 2.0  # depends on nothing watched
            inner.append(unrelated)
            return (x * x).sum()
        y = gf.tidy(body)
    assert inner[0].is_disposed
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])


def test_tensor1d_takes_a_dtype_second_as_tfjs_does(backend):
    t = gf.tensor1d([1, 2, 3], "int32")
    assert t.dtype == "int32" and t.shape == [3]
    assert gf.tensor1d([1, 0], "bool").numpy().tolist() == [True, False]
    with pytest.raises(ValueError, match="tensor1d: expected rank 1"):
        gf.tensor1d([[1, 2]])


def test_data_sync_array_sync_and_memory_attributes(backend):
    t = gf.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.data_sync().tolist() == [1.0, 2.0, 3.0, 4.0]
    assert t.array_sync() == [[1.0, 2.0], [3.0, 4.0]]
    info = gf.memory()
    assert info.num_tensors == info["num_tensors"] >= 1
    assert info.num_bytes == info["num_bytes"]
    with pytest.raises(AttributeError, match="memory\\(\\): no field 'numTensors'"):
        info.numTensors


def test_variable_assign_add_and_assign_sub(backend):
    v = gf.variable([1.0, 2.0])
    assert v.assign_add([0.5, 0.5]) is v
    np.testing.assert_array_equal(v.numpy(), [1.5, 2.5])
    v.assign_sub(gf.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(v.numpy(), [0.5, 1.5])
    v.assign_add(1.0)  # a delta broadcasts like any addition
    np.testing.assert_array_equal(v.numpy(), [1.5, 2.5])
    with pytest.raises(ValueError, match="add: shapes cannot be broadcast"):
        v.assign_add([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="assign: shape of new value \\[2, 2\\]"):
        v.assign_add([[1.0], [2.0]])  # broadcasts, but would change the variable's shape


def test_numpy_functions_and_ufuncs_on_tensors(backend):
    values = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], np.float32)
    t = gf.tensor(values)
    assert np.sum(t) == pytest.approx(values.sum())
    np.testing.assert_allclose(np.mean(t, axis=0), values.mean(axis=0))
    np.testing.assert_allclose(np.concatenate([t, t]), np.concatenate([values, values]))
    added = np.add(t, 1.0)              # a ufunc with a glflow twin runs the op
    assert isinstance(added, gf.Tensor)
    np.testing.assert_allclose(added.numpy(), values + 1.0)
    np.testing.assert_allclose(np.exp(t).numpy(), np.exp(values), rtol=1e-6)
    right = values + t                  # ndarray + Tensor: the op too
    assert isinstance(right, gf.Tensor)
    np.testing.assert_allclose(right.numpy(), 2 * values)
    np.testing.assert_allclose(np.cbrt(t), np.cbrt(values))  # no twin: numpy on the values


def test_python_operators_floor_div_mod_and_none(backend):
    a = gf.tensor([7, -7, 9], dtype="int32")
    assert (a // 2).numpy().tolist() == [3, -4, 4]
    assert (a % 3).numpy().tolist() == [1, 2, 0]
    assert (7.5 // gf.tensor([2.0])).numpy().tolist() == [3.0]
    assert (a == None) is False  # noqa: E711 - the comparison users write
    assert (a != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        a + "1"


def test_format_of_a_scalar_tensor(backend):
    loss = gf.scalar(0.123456)
    assert f"{loss:.4f}" == "0.1235"
    assert f"{gf.tensor([2]):d}" == "2"
    assert f"{loss}".startswith("Tensor(0.123456")
    with pytest.raises(TypeError, match="format: a tensor of shape \\[2\\]"):
        f"{gf.tensor([1.0, 2.0]):.2f}"


def test_tensors_pickle_and_deepcopy(backend):
    t = gf.tensor([[1.5, 2.5]])
    back = pickle.loads(pickle.dumps(t))
    assert back.shape == [1, 2] and back.dtype == "float32"
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    v = gf.variable([1, 2], name="counts", dtype="int32", trainable=False)
    dup = copy.deepcopy(v)
    assert isinstance(dup, gf.Variable) and dup.name == "counts" and not dup.trainable
    assert dup.dtype == "int32" and dup is not v
    v.assign([5, 6])
    assert dup.numpy().tolist() == [1, 2]  # a deep copy owns its values


def test_a_model_deep_copies(backend):
    model = gf.Sequential([gf.layers.Dense(3, input_shape=(2,))])
    clone = copy.deepcopy(model)
    x = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
