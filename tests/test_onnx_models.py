"""Models through glflow.onnx against onnxruntime: five small networks exported from PyTorch
(tests/data/onnx/generate/make_models.py) at two batch sizes from one load, and two real
pretrained models shipped inside PyPI packages (tests/data/onnx/pretrained/README.md)."""
import os

import numpy as np
import pytest

import glflow as gf
from onnx_checks import assert_close_to, reference

DATA = os.path.join(os.path.dirname(__file__), "data", "onnx")


@pytest.mark.parametrize("name", ["mlp", "cnn_bn", "lstm", "transformer_block",
                                  "mobilenet_block"])
def test_exported_model_matches_onnxruntime_at_two_batch_sizes(name):
    path = os.path.join(DATA, f"{name}.onnx")
    m = gf.onnx.load(path)
    assert m.inputs[0].shape[0] == "batch"  # the dynamic dimension is kept, by name
    for batch in (1, 3):  # one load serves both: the shape arithmetic runs per call
        shape = [batch] + m.inputs[0].shape[1:]
        x = np.random.default_rng(batch).standard_normal(shape).astype(np.float32)
        (y,) = m.run({"x": x})
        assert_close_to(y, reference(path, {"x": x})[0])


def test_ppocr_direction_classifier_matches_onnxruntime():
    path = os.path.join(DATA, "pretrained", "ppocr_mobile_v2.0_cls.onnx")
    m = gf.onnx.load(path)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 192)).astype(np.float32)
    (y,) = m.run([x])
    ref = reference(path, {"x": x})[0]
    assert_close_to(y, ref)
    np.testing.assert_array_equal(y.argmax(1), ref.argmax(1))


def test_magika_file_type_model_matches_onnxruntime():
    # the heavy one (a 256 -> 512 channel conv over 512 positions): batch 1
    path = os.path.join(DATA, "pretrained", "magika_standard_v3_3.onnx")
    m = gf.onnx.load(path)
    with open(os.path.join(os.path.dirname(__file__), "..", "README.md"), "rb") as f:
        data = f.read()
    head, tail = list(data[:1024]), list(data[-1024:])
    x = np.array([head + [256] * (1024 - len(head)) + tail], np.int32)
    (y,) = m.run({"bytes": x})
    ref = reference(path, {"bytes": x})[0]
    assert_close_to(y, ref)
    assert y.argmax() == ref.argmax()
