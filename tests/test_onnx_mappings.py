"""Mappings the ONNX node tests cover thinly, against numpy and ONNX's reference
implementation on the same inputs."""
import numpy as np
import pytest
from onnx import helper
from onnx.reference import ReferenceEvaluator

import glflow as gf
from onnx_checks import FLOAT, model


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
