"""Shared by the glflow.onnx tests: small ONNX graphs built with onnx.helper, and the
comparison with onnxruntime."""
import numpy as np
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def model(nodes, inputs, outputs, initializers=(), opset=OPSET):
    """A ModelProto from nodes and (name, elem type, shape) inputs/outputs; initializers are
    (name, numpy array) pairs."""
    graph = helper.make_graph(
        nodes, "test",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        [numpy_helper.from_array(a, n) for n, a in initializers])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def reference(proto_or_path, feeds):
    """onnxruntime's outputs (CPU)."""
    source = proto_or_path.SerializeToString() if hasattr(proto_or_path, "SerializeToString") \
        else proto_or_path
    sess = onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def assert_close_to(out, ref, rel=1e-4):
    """Within `rel` of the reference's largest magnitude (the issue's 1e-4 relative to
    onnxruntime, measured against the output's scale so values near 0 do not dominate)."""
    assert out.shape == ref.shape, (out.shape, ref.shape)
    assert out.dtype == ref.dtype, (out.dtype, ref.dtype)
    scale = max(float(np.max(np.abs(ref))), 1e-30) if ref.size else 1.0
    err = float(np.max(np.abs(out.astype(np.float64) - ref))) if ref.size else 0.0
    assert err <= rel * scale, f"max error {err:.3g} > {rel} x {scale:.3g}"


FLOAT, INT64, INT32, BOOL, DOUBLE, STRING = (TensorProto.FLOAT, TensorProto.INT64,
                                             TensorProto.INT32, TensorProto.BOOL,
                                             TensorProto.DOUBLE, TensorProto.STRING)
