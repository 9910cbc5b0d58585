"""Mappings the ONNX node tests cover thinly, against numpy, ONNX's reference implementation
or onnxruntime on the same inputs."""
import numpy as np
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import glflow as gf
from onnx_checks import FLOAT, INT64, model, reference


@pytest.mark.parametrize("equation, a_shape, b_shape", [
    ("...ij,...jk->...ik", (2, 3, 4, 5), (3, 5, 2)),  # ellipses of different ranks broadcast
    ("ij...,jk...->ik...", (2, 3, 4), (3, 5, 4)),
    ("...i,...i", (3, 4), (4,)),                      # implicit output keeps the ellipsis
    ("bij,bjk", (2, 3, 4), (2, 4, 5)),                # implicit output: letters seen once
    ("ii,ij->j", (3, 3), (3, 5)),                     # a diagonal
])
def test_einsum(equation, a_shape, b_shape):
    nodes = [helper.make_node("Einsum", ["a", "b"], ["y"], equation=equation)]
    want_shape = np.einsum(equation, np.ones(a_shape), np.ones(b_shape)).shape
    proto = model(nodes, [("a", FLOAT, a_shape), ("b", FLOAT, b_shape)],
                  [("y", FLOAT, want_shape)])
    rng = np.random.default_rng(7)
    feeds = {"a": rng.standard_normal(a_shape).astype(np.float32),
             "b": rng.standard_normal(b_shape).astype(np.float32)}
    # numpy is the reference: onnxruntime refuses ellipses of different ranks, which ONNX's
    # spec (numpy's rule) allows
    want = np.einsum(equation, feeds["a"].astype(np.float64), feeds["b"].astype(np.float64))
    np.testing.assert_allclose(gf.onnx.load(proto).run(feeds)[0], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op, attrs", [
    ("MaxPool", {"kernel_shape": [2, 3, 2], "strides": [1, 2, 1], "pads": [1, 0, 1, 0, 1, 1]}),
    ("AveragePool", {"kernel_shape": [3, 2, 2], "dilations": [1, 2, 1], "ceil_mode": 1,
                     "strides": [2, 1, 2]}),
    ("AveragePool", {"kernel_shape": [2, 2, 2], "pads": [1, 1, 1, 1, 1, 1],
                     "count_include_pad": 1}),
    ("MaxPool", {"kernel_shape": [3, 3], "dilations": [2, 1], "auto_pad": "SAME_UPPER"}),
])
def test_pooling_with_three_axes_or_dilations_matches_the_onnx_reference(op, attrs):
    # ONNX's reference implementation is the oracle here: with SAME padding and dilations
    # onnxruntime's output size departs from the spec's ceil(size / stride)
    rank = len(attrs["kernel_shape"])
    shape = [2, 3, 7, 6, 5][:2 + rank]
    proto = model([helper.make_node(op, ["x"], ["y"], **attrs)], [("x", FLOAT, shape)],
                  [("y", FLOAT, None)], opset=19)
    x = np.random.default_rng(8).standard_normal(shape).astype(np.float32)
    (want,) = ReferenceEvaluator(proto).run(None, {"x": x})
    np.testing.assert_allclose(gf.onnx.load(proto).run([x])[0], want, rtol=1e-5, atol=1e-6)


def test_sequences_are_lists_in_and_out():
    seq_in = helper.make_tensor_sequence_value_info("parts", FLOAT, ["rows", 2])
    seq_out = helper.make_tensor_sequence_value_info("pieces", FLOAT, None)
    nodes = [helper.make_node("ConcatFromSequence", ["parts"], ["joined"], axis=0),
             helper.make_node("SplitToSequence", ["joined", "sizes"], ["pieces"], axis=0),
             helper.make_node("SequenceLength", ["pieces"], ["count"]),
             helper.make_node("SequenceAt", ["pieces", "last"], ["tail"])]
    graph = helper.make_graph(
        nodes, "seq", [seq_in], [seq_out, helper.make_tensor_value_info("count", INT64, []),
                                 helper.make_tensor_value_info("tail", FLOAT, None)],
        [numpy_helper.from_array(np.array([1, 4], np.int64), "sizes"),
         numpy_helper.from_array(np.array(-1, np.int64), "last")])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    parts = [np.float32([[1, 2]]), np.float32([[3, 4], [5, 6], [7, 8], [9, 10]])]
    m = gf.onnx.load(proto)
    assert m.inputs[0].kind == "sequence"
    out = m.run({"parts": parts})
    want = reference(proto, {"parts": parts})
    assert len(out[0]) == len(want[0]) == 2
    for got, ref in zip(out[0] + out[1:], want[0] + want[1:]):
        np.testing.assert_array_equal(got, ref)
        assert got.dtype == ref.dtype
    pieces, count, tail = m(parts)
    assert isinstance(pieces, list) and pieces[1].shape == [4, 2] and tail.shape == [4, 2]
