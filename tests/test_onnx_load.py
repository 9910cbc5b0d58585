"""glflow.onnx.load: what it accepts, what a loaded model reports and computes, how the shape
arithmetic of a dynamic batch runs on the host, types, the compiled path and when a model
runs eagerly instead, and the refusals (unsupported ops, attributes and dtypes at load time;
bad inputs at call time; files that are not models)."""
import gc
import os
import re

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import glflow as gf
from glflow.onnx import backend, compiled, convert
from glflow.runtime import counters
from glflow.tensor import Tensor
from onnx_checks import BOOL, DOUBLE, FLOAT, INT64, STRING, model, reference


def _flatten_model():
    """y = relu(x + b) reshaped to [batch, -1] by Shape -> Gather -> Unsqueeze -> Concat, the
    way exporters write a flatten with a dynamic batch."""
    nodes = [
        helper.make_node("Add", ["x", "b"], ["s"]),
        helper.make_node("Relu", ["s"], ["r"]),
        helper.make_node("Shape", ["r"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus_one"], ["target"], axis=0),
        helper.make_node("Reshape", ["r", "target"], ["y"]),
    ]
    b = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    return model(nodes, [("x", FLOAT, ["N", 3, 4])], [("y", FLOAT, ["N", 12])],
                 [("b", b), ("zero", np.array(0, np.int64)), ("axes", np.array([0], np.int64)),
                  ("minus_one", np.array([-1], np.int64))])


def test_load_accepts_a_path_bytes_and_a_model_proto(tmp_path):
    proto = _flatten_model()
    path = tmp_path / "m.onnx"
    onnx.save(proto, str(path))
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    want = reference(proto, {"x": x})[0]
    for source in (str(path), path, proto.SerializeToString(), proto):
        m = gf.onnx.load(source)
        np.testing.assert_allclose(m.run({"x": x})[0], want, rtol=1e-6)


def test_ports_keep_names_symbolic_dims_and_dtypes():
    m = gf.onnx.load(_flatten_model())
    (i,), (o,) = m.inputs, m.outputs
    assert (i.name, i.shape, i.dtype) == ("x", ["N", 3, 4], "float32")
    assert (o.name, o.shape, o.dtype) == ("y", ["N", 12], "float32")


def test_call_forms_positional_dict_and_tensor_give_tensors():
    m = gf.onnx.load(_flatten_model())
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    want = reference(_flatten_model(), {"x": x})[0]
    for y in (m(x), m({"x": x}), m(gf.tensor(x))):
        assert isinstance(y, Tensor) and y.shape == [2, 12]
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)


def test_dynamic_batch_shape_arithmetic_runs_on_the_host_without_reading_tensors(monkeypatch):
    m = gf.onnx.load(_flatten_model())
    reads = []
    real = Tensor.numpy
    monkeypatch.setattr(Tensor, "numpy", lambda self: reads.append(self.shape) or real(self))
    for batch in (1, 4, 7):  # one load, three batch sizes
        x = np.random.default_rng(batch).standard_normal((batch, 3, 4)).astype(np.float32)
        y = m(x)
        assert y.shape == [batch, 12]
    assert reads == []  # Shape -> Gather -> Concat were host steps on shapes, not reads
    monkeypatch.setattr(Tensor, "numpy", real)
    np.testing.assert_allclose(y.numpy(), reference(_flatten_model(), {"x": x})[0], rtol=1e-6)


def test_initializers_are_uploaded_once_and_calls_leave_nothing_behind():
    m = gf.onnx.load(_flatten_model())
    x = np.ones((2, 3, 4), np.float32)
    m.run({"x": x})
    gc.collect()  # earlier tests' compiled functions (cycles) must not be freed mid-count
    before = gf.memory()
    for _ in range(3):
        m.run({"x": x})
    after = gf.memory()
    assert (after.num_tensors, after.num_bytes) == (before.num_tensors, before.num_bytes)


def test_constant_subgraphs_fold_at_load_time():
    nodes = [helper.make_node("Transpose", ["w"], ["wt"], perm=[1, 0]),
             helper.make_node("MatMul", ["x", "wt"], ["y"])]
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    m = gf.onnx.load(model(nodes, [("x", FLOAT, [1, 2])], [("y", FLOAT, [1, 3])], [("w", w)]))
    assert [s.node.op_type for s in m._plan.steps] == ["MatMul"]  # Transpose(w) is a constant
    x = np.array([[1.0, -2.0]], np.float32)
    np.testing.assert_array_equal(m(x).numpy(), x @ w.T)


def test_float64_inputs_compute_in_float32_and_come_back_float64():
    nodes = [helper.make_node("Mul", ["a", "a"], ["y"])]
    m = gf.onnx.load(model(nodes, [("a", DOUBLE, [3])], [("y", DOUBLE, [3])]))
    (y,) = m.run({"a": np.array([1.5, -2.0, 3.25])})
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [2.25, 4.0, 10.5625])


def test_int64_indices_are_exact_and_bool_outputs_stay_bool():
    nodes = [helper.make_node("Gather", ["table", "ids"], ["rows"], axis=0),
             helper.make_node("Greater", ["ids", "limit"], ["big"])]
    table = np.arange(20, dtype=np.int64).reshape(10, 2) * 100003  # exact below 2**24
    m = gf.onnx.load(model(nodes, [("ids", INT64, [4])],
                           [("rows", INT64, [4, 2]), ("big", BOOL, [4])],
                           [("table", table), ("limit", np.array(4, np.int64))]))
    ids = np.array([9, 0, -1, 5], np.int64)
    rows, big = m.run({"ids": ids})
    assert rows.dtype == np.int64 and big.dtype == np.bool_
    np.testing.assert_array_equal(rows, table[ids])
    np.testing.assert_array_equal(big, ids > 4)


def test_int64_values_gl_cannot_hold_exactly_are_a_clear_error():
    nodes = [helper.make_node("Add", ["a", "a"], ["y"])]
    m = gf.onnx.load(model(nodes, [("a", INT64, [2])], [("y", INT64, [2])]))
    gc.collect()  # earlier tests' compiled functions (cycles) must not be freed mid-count
    before = gf.memory().num_tensors
    with pytest.raises(ValueError, match=r"int32 value 16777217 exceeds"):
        m.run({"a": np.array([1, 2 ** 24 + 1], np.int64)})
    assert gf.memory().num_tensors == before
    np.testing.assert_array_equal(m.run({"a": np.array([3, 2 ** 23], np.int64)})[0],
                                  [6, 2 ** 24])


def test_opset_12_models_are_converted_to_13():
    nodes = [helper.make_node("Softmax", ["x"], ["y"], axis=1)]  # opset 12: over axes 1.. flat
    proto = model(nodes, [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, [2, 3, 4])], opset=12)
    x = np.random.default_rng(2).standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(gf.onnx.load(proto).run([x])[0], reference(proto, {"x": x})[0],
                               rtol=1e-5)


# ---------------------------------------------------------------------------- compiled calls

def _kernels(call):
    """(result, kernels the call launched: a fused kernel is one launch)."""
    info = gf.profile(call)
    return info.result, len(info.kernels)


def test_calls_run_compiled_by_default_and_equal_the_eager_path_bit_for_bit():
    m = gf.onnx.load(_flatten_model())
    eager = gf.onnx.load(_flatten_model(), compile=False)
    assert (m.compiled, m.eager_reason) == (True, None)
    assert (eager.compiled, eager.eager_reason) == (False, "compile=False was asked")
    assert eager.graph_function is None
    for batch in (2, 5, 2, 5, 1):  # a new batch size retraces; a seen one replays
        x = np.random.default_rng(batch).standard_normal((batch, 3, 4)).astype(np.float32)
        for y, want in ((m(x), eager(x)), (m({"x": x}), eager({"x": x})),
                        (m(gf.tensor(x)), eager(gf.tensor(x)))):
            assert y.shape == want.shape == [batch, 12] and y.dtype == want.dtype
            np.testing.assert_array_equal(y.numpy(), want.numpy())
        (y,), (want,) = m.run({"x": x}), eager.run([x])
        assert y.dtype == want.dtype == np.float32
        np.testing.assert_array_equal(y, want)
    assert m.graph_function.trace_count == 3


def test_a_compiled_model_keeps_traces_for_a_bounded_number_of_input_shapes(monkeypatch):
    monkeypatch.setattr(compiled, "TRACE_CACHE_SIZE", 2)
    m = gf.onnx.load(_flatten_model())
    for batch, traces in ((1, 1), (2, 2), (1, 2), (3, 1), (1, 2)):  # the third shape: afresh
        x = np.random.default_rng(batch).standard_normal((batch, 3, 4)).astype(np.float32)
        np.testing.assert_allclose(m(x).numpy(), reference(_flatten_model(), {"x": x})[0],
                                   rtol=1e-6)
        assert m.graph_function.trace_count == traces


def test_a_compiled_call_fuses_what_eager_runs_as_separate_kernels():
    # Add and Relu become one fused kernel (the Reshape is an alias, no kernel)
    m = gf.onnx.load(_flatten_model())
    eager = gf.onnx.load(_flatten_model(), compile=False)
    x = np.random.default_rng(8).standard_normal((2, 3, 4)).astype(np.float32)
    m(x)  # trace and compile first: count a replay
    y, kernels = _kernels(lambda: m(x))
    want, eager_kernels = _kernels(lambda: eager(x))
    assert (kernels, eager_kernels) == (1, 2)
    np.testing.assert_array_equal(y.numpy(), want.numpy())


def test_constant_and_host_outputs_of_a_compiled_model_come_back_exact():
    # an int64 constant no GL texture holds exactly and a shape: not graph outputs, so `run`
    # returns them as the eager path does (exact int64)
    big = np.array([2 ** 40 + 1, -3], np.int64)
    nodes = [helper.make_node("Relu", ["x"], ["y"]),
             helper.make_node("Shape", ["y"], ["s"]),
             helper.make_node("Identity", ["big"], ["c"])]
    proto = model(nodes, [("x", FLOAT, ["N", 2])],
                  [("y", FLOAT, ["N", 2]), ("s", INT64, [2]), ("c", INT64, [2])],
                  [("big", big)])
    m = gf.onnx.load(proto)
    assert m.compiled
    for batch in (3, 1):
        x = np.random.default_rng(batch).standard_normal((batch, 2)).astype(np.float32)
        y, s, c = m.run({"x": x})
        want = reference(proto, {"x": x})
        np.testing.assert_array_equal(y, want[0])
        assert s.dtype == c.dtype == np.int64
        np.testing.assert_array_equal(s, [batch, 2])
        np.testing.assert_array_equal(c, big)


def test_a_model_with_control_flow_runs_eagerly_and_says_why():
    nodes = [helper.make_node("If", ["c"], ["y"], name="choose",
                              then_branch=_branch("t", "Add", 10.0),
                              else_branch=_branch("e", "Mul", -1.0))]
    proto = model(nodes, [("c", BOOL, []), ("x", FLOAT, [2])], [("y", FLOAT, [2])])
    m = gf.onnx.load(proto)
    assert not m.compiled and m.graph_function is None
    assert m.eager_reason.startswith("If node 'choose' is control flow")
    feeds = {"c": np.array(False), "x": np.float32([1.5, -2.0])}
    np.testing.assert_array_equal(m.run(feeds)[0], reference(proto, feeds)[0])


@pytest.mark.parametrize("nodes, inputs, outputs, reason", [
    ([helper.make_node("NonZero", ["x"], ["y"], name="nz")], [("x", FLOAT, [4])],
     [("y", INT64, [1, None])],
     r"NonZero node 'nz': its output's shape depends on its input's values"),
    ([helper.make_node("Clip", ["x", "lo"], ["y"], name="c")],
     [("x", FLOAT, [4]), ("lo", FLOAT, [])], [("y", FLOAT, [4])],
     r"Clip node 'c' needs input 'lo' on the host, and it is computed on the device or fed "
     r"by the caller"),
    ([helper.make_node("ScatterElements", ["table", "ids", "table"], ["y"], name="s")],
     [("ids", INT64, [2, 2])], [("y", FLOAT, [2, 2])],
     r"ScatterElements node 's' needs input 'ids' on the host"),
    ([helper.make_node("Relu", ["x"], ["r"]),
      helper.make_node("Cast", ["r"], ["r_int"], to=INT64),
      helper.make_node("Reshape", ["table", "r_int"], ["y"], name="rs")],
     [("x", FLOAT, [2])], [("y", FLOAT, None)],
     r"Reshape node 'rs' needs input 'r_int' on the host"),
    ([helper.make_node("SequenceConstruct", ["x", "x"], ["seq"], name="sc"),
      helper.make_node("ConcatFromSequence", ["seq"], ["y"], axis=0)], [("x", FLOAT, [4])],
     [("y", FLOAT, [8])], r"SequenceConstruct node 'sc' works on a sequence"),
])
def test_what_graph_mode_cannot_trace_runs_eagerly_with_its_reason(nodes, inputs, outputs,
                                                                    reason):
    table = np.arange(4, dtype=np.float32).reshape(2, 2)
    m = gf.onnx.load(model(nodes, inputs, outputs, [("table", table)]))
    assert not m.compiled
    assert re.match(reason, m.eager_reason), m.eager_reason


def _lookup_model():
    """rows = table[ids] (ids fed, int64, negative ones from the end), then scaled: the
    gather of an embedding lookup."""
    nodes = [helper.make_node("Gather", ["table", "ids"], ["rows"], axis=0),
             helper.make_node("Mul", ["rows", "two"], ["y"])]
    table = np.linspace(-3, 3, 20, dtype=np.float32).reshape(10, 2)
    return model(nodes, [("ids", INT64, ["N"])], [("y", FLOAT, ["N", 2])],
                 [("table", table), ("two", np.array(2.0, np.float32))])


def test_a_gather_of_fed_indices_runs_compiled_and_checks_each_calls_indices():
    m = gf.onnx.load(_lookup_model())
    eager = gf.onnx.load(_lookup_model(), compile=False)
    assert m.compiled, m.eager_reason
    for ids in ([9, 0, -1, 5], [3, -10, 2, 2], [1]):
        ids = np.array(ids, np.int64)
        (y,), (want,) = m.run({"ids": ids}), eager.run({"ids": ids})
        np.testing.assert_array_equal(y, want)
        np.testing.assert_array_equal(y, reference(_lookup_model(), {"ids": ids})[0])
    assert m.graph_function.trace_count == 2  # shapes [4] and [1]
    gc.collect()
    before = gf.memory()
    for bad in ([1, 10, 2, 3], [1, -11, 2, 3]):  # out of range either way, as eagerly
        with pytest.raises(IndexError, match=r"out of range \[0, 10\)"):
            m.run({"ids": np.array(bad, np.int64)})
        with pytest.raises(IndexError, match=r"out of range \[0, 10\)"):
            eager.run({"ids": np.array(bad, np.int64)})
    after = gf.memory()
    assert (after.num_tensors, after.num_bytes) == (before.num_tensors, before.num_bytes)
    np.testing.assert_array_equal(m.run({"ids": np.array([2, 2, 2, 2], np.int64)})[0],
                                  eager.run({"ids": np.array([2, 2, 2, 2], np.int64)})[0])


def test_a_compiled_model_called_inside_gf_function_inlines():
    m = gf.onnx.load(_flatten_model())
    outer = gf.function(lambda x: m(x) * 2.0)
    x = np.random.default_rng(9).standard_normal((2, 3, 4)).astype(np.float32)
    want = reference(_flatten_model(), {"x": x})[0] * 2.0
    np.testing.assert_allclose(outer(gf.tensor(x)).numpy(), want, rtol=1e-6)


# ---------------------------------------------------------------------------- refusals at load

def test_an_unsupported_op_is_refused_at_load_naming_op_and_node():
    nodes = [helper.make_node("Det", ["x"], ["y"], name="the_det")]
    with pytest.raises(gf.onnx.UnsupportedError, match=r"Det node 'the_det': op 'Det' is not"):
        gf.onnx.load(model(nodes, [("x", FLOAT, [3, 3])], [("y", FLOAT, [])]))


def test_an_unsupported_attribute_value_is_refused_at_load_naming_it():
    nodes = [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up", mode="linear",
                              antialias=1)]
    proto = model(nodes, [("x", FLOAT, [1, 1, 4, 4])], [("y", FLOAT, [1, 1, 2, 2])],
                  [("scales", np.array([1, 1, 0.5, 0.5], np.float32))], opset=18)
    with pytest.raises(gf.onnx.UnsupportedError, match=r"Resize node 'up': attribute "
                                                       r"'antialias' = 1 is not supported"):
        gf.onnx.load(proto)


def test_an_unknown_attribute_is_refused_at_load_naming_it():
    node = helper.make_node("Relu", ["x"], ["y"], name="r")
    node.attribute.append(helper.make_attribute("slope", 0.5))
    proto = model([node], [("x", FLOAT, [2])], [("y", FLOAT, [2])])
    with pytest.raises((gf.onnx.UnsupportedError, ValueError), match=r"slope"):
        gf.onnx.load(proto)


def test_an_unsupported_dtype_is_refused_at_load_naming_it():
    nodes = [helper.make_node("Equal", ["a", "b"], ["y"], name="eq")]
    proto = model(nodes, [("a", STRING, [2]), ("b", STRING, [2])], [("y", BOOL, [2])])
    with pytest.raises(gf.onnx.UnsupportedError, match=r"Equal node 'eq': input 'a' of dtype "
                                                       r"STRING"):
        gf.onnx.load(proto)


def _branch(name, op, value):
    """A subgraph with no inputs: y = op(x, value) on the enclosing scope's x."""
    c, y = f"{name}_c", f"{name}_y"
    constant = numpy_helper.from_array(np.array(value, np.float32), c)
    nodes = [helper.make_node("Constant", [], [c], value=constant),
             helper.make_node(op, ["x", c], [y])]
    return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(y, FLOAT, [2])])


def test_if_on_a_runtime_condition_runs_the_branch_it_picks():
    nodes = [helper.make_node("If", ["c"], ["y"], then_branch=_branch("t", "Add", 10.0),
                              else_branch=_branch("e", "Mul", -1.0))]
    proto = model(nodes, [("c", BOOL, []), ("x", FLOAT, [2])], [("y", FLOAT, [2])])
    m = gf.onnx.load(proto)
    x = np.float32([1.5, -2.0])
    for c in (True, False):
        feeds = {"c": np.array(c), "x": x}
        np.testing.assert_array_equal(m.run(feeds)[0], reference(proto, feeds)[0])


def test_if_on_a_constant_condition_is_inlined_at_load():
    nodes = [helper.make_node("If", ["c"], ["y"], then_branch=_branch("t", "Add", 10.0),
                              else_branch=_branch("e", "Mul", -1.0))]
    proto = model(nodes, [("x", FLOAT, [2])], [("y", FLOAT, [2])], [("c", np.array(False))])
    m = gf.onnx.load(proto)
    assert [s.node.op_type for s in m._plan.steps] == ["Mul", "Identity"]
    np.testing.assert_array_equal(m.run([np.float32([1.5, -2.0])])[0], [-1.5, 2.0])


def test_loop_carries_values_and_stacks_scan_outputs():
    body = helper.make_graph(
        [helper.make_node("Cast", ["i"], ["fi"], to=FLOAT),
         helper.make_node("Add", ["acc_in", "fi"], ["acc_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Mul", ["acc_out", "x"], ["row"])],
        "body", [helper.make_tensor_value_info("i", INT64, []),
                 helper.make_tensor_value_info("cond_in", BOOL, []),
                 helper.make_tensor_value_info("acc_in", FLOAT, [2])],
        [helper.make_tensor_value_info("cond_out", BOOL, []),
         helper.make_tensor_value_info("acc_out", FLOAT, [2]),
         helper.make_tensor_value_info("row", FLOAT, [2])])
    nodes = [helper.make_node("Loop", ["trips", "", "acc0"], ["acc", "rows"], body=body)]
    proto = model(nodes, [("trips", INT64, []), ("acc0", FLOAT, [2]), ("x", FLOAT, [2])],
                  [("acc", FLOAT, [2]), ("rows", FLOAT, [None, 2])])
    feeds = {"trips": np.array(4, np.int64), "acc0": np.float32([0.5, 1.0]),
             "x": np.float32([2.0, -1.0])}
    for out, want in zip(gf.onnx.load(proto).run(feeds), reference(proto, feeds)):
        np.testing.assert_allclose(out, want, rtol=1e-6)


def test_scan_runs_its_body_along_the_sequence_axis_both_ways():
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "row"], ["s_out"]),
         helper.make_node("Identity", ["s_out"], ["seen"])],
        "body", [helper.make_tensor_value_info("s_in", FLOAT, [3]),
                 helper.make_tensor_value_info("row", FLOAT, [3])],
        [helper.make_tensor_value_info("s_out", FLOAT, [3]),
         helper.make_tensor_value_info("seen", FLOAT, [3])])
    nodes = [helper.make_node("Scan", ["s0", "xs"], ["s", "ys"], body=body, num_scan_inputs=1,
                              scan_input_axes=[1], scan_input_directions=[1])]
    proto = model(nodes, [("s0", FLOAT, [3]), ("xs", FLOAT, [3, 4])],
                  [("s", FLOAT, [3]), ("ys", FLOAT, [4, 3])])
    feeds = {"s0": np.zeros(3, np.float32),
             "xs": np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32)}
    for out, want in zip(gf.onnx.load(proto).run(feeds), reference(proto, feeds)):
        np.testing.assert_allclose(out, want, rtol=1e-5)


def test_an_unsupported_op_inside_a_subgraph_is_refused_at_load():
    det = helper.make_graph([helper.make_node("Det", ["m"], ["d"], name="inner_det")], "b", [],
                            [helper.make_tensor_value_info("d", FLOAT, [])])
    nodes = [helper.make_node("If", ["c"], ["y"], then_branch=det, else_branch=det)]
    proto = model(nodes, [("c", BOOL, []), ("m", FLOAT, [2, 2])], [("y", FLOAT, [])])
    with pytest.raises(gf.onnx.UnsupportedError, match=r"Det node 'inner_det'"):
        gf.onnx.load(proto)


# ---------------------------------------------------------------------------- bad files

@pytest.mark.parametrize("content", [b"", b"not an onnx model at all\n", b"\x08\x07\x12\x03abc",
                                     b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4])
def test_files_that_are_not_onnx_models_are_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"is not (an|a valid) ONNX model"):
        gf.onnx.load(str(path))


def test_a_truncated_model_file_is_a_clear_error(tmp_path):
    data = onnx.load(os.path.join(os.path.dirname(__file__), "data", "onnx",
                                  "cnn_bn.onnx")).SerializeToString()
    for cut in (len(data) // 3, len(data) - 7):
        path = tmp_path / f"cut{cut}.onnx"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"is not (an|a valid) ONNX model"):
            gf.onnx.load(str(path))


def test_a_missing_file_is_file_not_found():
    with pytest.raises(FileNotFoundError):
        gf.onnx.load("no/such/model.onnx")


# ---------------------------------------------------------------------------- bad calls

def _two_inputs():
    nodes = [helper.make_node("MatMul", ["a", "b"], ["y"])]
    return gf.onnx.load(model(nodes, [("a", FLOAT, ["N", "K"]), ("b", FLOAT, ["K", 2])],
                              [("y", FLOAT, ["N", 2])]))


@pytest.mark.parametrize("call, error, message", [
    (lambda m, a, b, t: m(a), ValueError, r"missing input 'b' \(FLOAT, shape \[K, 2\]\)"),
    (lambda m, a, b, t: m({"a": a, "c": b}), ValueError, r"unknown input 'c'"),
    (lambda m, a, b, t: m(a, b, b), ValueError, r"3 inputs given, the model takes 2"),
    (lambda m, a, b, t: m(a, b[:, :1]), ValueError,
     r"input 'b' must have shape \[K, 2\], got \[3, 1\]"),
    (lambda m, a, b, t: m(a[0], b), ValueError, r"input 'a' must have shape \[N, K\], got \[3\]"),
    (lambda m, a, b, t: m(a, b[:2]), ValueError,
     r"dimension 'K' is 3 in input 'a' but 2 in input 'b'"),
    (lambda m, a, b, t: m(a.astype(np.int32), b), TypeError, r"input 'a' must hold float values"),
    (lambda m, a, b, t: m(a, t), TypeError, r"input 'b' must hold float values"),
    (lambda m, a, b, t: m("a", b), TypeError, r"input 'a' must be an array"),
])
def test_bad_calls_are_clear_errors_and_allocate_nothing(call, error, message):
    m = _two_inputs()
    a = np.ones((2, 3), np.float32)
    b = np.ones((3, 2), np.float32)
    m(a, b)  # constants and programs in place first
    flags = gf.tensor(b > 0)  # a bool tensor where a float one belongs
    gc.collect()  # earlier tests' compiled functions (cycles) must not be freed mid-count
    before = gf.memory()
    with pytest.raises(error, match=message):
        call(m, a, b, flags)
    after = gf.memory()
    assert (after.num_tensors, after.num_bytes) == (before.num_tensors, before.num_bytes)


def test_a_bad_first_call_to_a_compiled_model_fails_before_tracing_or_gpu_work():
    m = _two_inputs()
    assert m.compiled
    gc.collect()  # earlier tests' compiled functions (cycles) must not be freed mid-count
    before, launches = gf.memory(), sum(counters.kernel_counts.values())
    with pytest.raises(ValueError, match=r"dimension 'K' is 3 in input 'a' but 2"):
        m(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    after = gf.memory()
    assert (after.num_tensors, after.num_bytes) == (before.num_tensors, before.num_bytes)
    assert sum(counters.kernel_counts.values()) == launches
    assert m.graph_function.trace_count == 0


# ---------------------------------------------------------------------------- backend interface

def test_backend_interface_prepare_run_model_run_node_supports_device():
    proto = _flatten_model()
    x = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    want = reference(proto, {"x": x})[0]
    np.testing.assert_allclose(backend.prepare(proto).run([x])[0], want, rtol=1e-6)
    np.testing.assert_allclose(backend.run_model(proto, [x])[0], want, rtol=1e-6)
    node = helper.make_node("Mul", ["p", "q"], ["r"])
    p, q = np.array([1.5, 2.0], np.float32), np.array([4.0, -1.0], np.float32)
    (r,) = backend.run_node(node, [p, q])
    np.testing.assert_array_equal(r, p * q)
    assert backend.supports_device("CPU") and not backend.supports_device("CUDA")


def test_the_bare_function_takes_and_returns_tensors():
    m = gf.onnx.load(_flatten_model())
    x = np.random.default_rng(4).standard_normal((3, 3, 4)).astype(np.float32)
    (y,) = m.function(gf.tensor(x))
    assert isinstance(y, Tensor) and y.shape == [3, 12]
    np.testing.assert_allclose(y.numpy(), reference(_flatten_model(), {"x": x})[0], rtol=1e-6)


def test_host_shape_arithmetic_runs_once_per_input_shape(monkeypatch):
    m = gf.onnx.load(_flatten_model())
    assert m._plan.shape_pure
    runs = []
    for cls in (convert.HostStep, convert.ShapeStep):
        real = cls.run
        monkeypatch.setattr(cls, "run", lambda self, v, real=real: runs.append(1) or real(self, v))
    x1 = np.ones((1, 3, 4), np.float32)
    x2 = np.random.default_rng(5).standard_normal((2, 3, 4)).astype(np.float32)
    for x in (x1, x2, x1, x2, x2):
        np.testing.assert_allclose(m(x).numpy(), reference(_flatten_model(), {"x": x})[0],
                                   rtol=1e-6)
    assert len(runs) == 2 * 4  # 4 host steps, for 2 distinct shapes


def test_value_dependent_shapes_turn_the_host_cache_off():
    nodes = [helper.make_node("NonZero", ["x"], ["nz"]),
             helper.make_node("Shape", ["nz"], ["s"])]
    m = gf.onnx.load(model(nodes, [("x", FLOAT, [4])], [("s", INT64, [2])]))
    assert not m._plan.shape_pure
    for x, count in (([1, 0, 2, 0], 2), ([1, 1, 2, 0], 3)):
        np.testing.assert_array_equal(m.run([np.float32(x)])[0], [1, count])


def test_outputs_without_a_declared_shape_load():
    # onnx's checker wants a shape on every graph output; exporters may omit it (onnxruntime
    # runs such models), so the check sees the inferred shapes
    proto = model([helper.make_node("Relu", ["x"], ["y"])], [("x", FLOAT, [3])],
                  [("y", FLOAT, None)])
    np.testing.assert_array_equal(gf.onnx.load(proto).run([np.float32([-1, 0, 2])])[0],
                                  [0, 0, 2])


def test_compile_must_be_a_bool():
    with pytest.raises(TypeError, match=r"glflow.onnx.load: compile must be True or False, "
                                        r"got str 'yes'"):
        gf.onnx.load(_flatten_model(), compile="yes")
