"""Models through glflow.onnx against onnxruntime: five small networks exported from PyTorch
by both its exporters (tests/data/onnx/generate/make_models.py) at two batch sizes from one
load, and two real pretrained models shipped inside PyPI packages
(tests/data/onnx/pretrained/README.md)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import glflow as gf
from glflow.tensor import Tensor
from onnx_checks import assert_close_to, reference

DATA = os.path.join(os.path.dirname(__file__), "data", "onnx")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


EXPORTED = ("mlp", "cnn_bn", "lstm", "transformer_block", "mobilenet_block")


@pytest.mark.parametrize("name", [m + exporter for exporter in ("", "_dynamo") for m in EXPORTED])
def test_exported_model_matches_onnxruntime_at_two_batch_sizes(name, monkeypatch):
    path = os.path.join(DATA, f"{name}.onnx")
    m = gf.onnx.load(path)
    assert isinstance(m.inputs[0].shape[0], str)  # the dynamic dimension is kept, by name
    reads = []
    real = Tensor.numpy
    for batch in (1, 3):  # one load serves both: the shape arithmetic runs per call
        shape = [batch] + m.inputs[0].shape[1:]
        x = np.random.default_rng(batch).standard_normal(shape).astype(np.float32)
        monkeypatch.setattr(Tensor, "numpy", lambda t: reads.append(t.shape) or real(t))
        y = m(x)
        monkeypatch.setattr(Tensor, "numpy", real)
        assert reads == []  # a call reads no tensor back: shapes are all the host needs
        assert_close_to(y.numpy(), reference(path, {"x": x})[0])


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


def test_onnx_models_benchmark_suite_smoke_runs_on_the_three_runtimes(tmp_path):
    # timings are not checked (tests never assert them): the suite runs and agrees
    done = subprocess.run([sys.executable, "-m", "glflow", "bench", "--suite", "onnx_models",
                           "--tiny", "--only", "mlp", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((tmp_path / "onnx_models.json").read_text())
    assert [r["runtime"] for r in doc["rows"]] == ["gl", "cpu", "onnxruntime"]
    for row in doc["rows"]:
        assert "error" not in row, row
        assert row["median_ms"] > 0
    assert all(r["max_rel_err"] < 1e-4 and r["kernels_per_call"] > 0 for r in doc["rows"][:2])
    assert "mlp_gl_over_onnxruntime" in doc["summary"]


def test_glflow_run_on_an_onnx_file_matches_onnxruntime(tmp_path):
    # the CLI's model runner loads .onnx files through gf.onnx.load (glflow/inference)
    path = os.path.join(DATA, "transformer_block.onnx")
    x = np.random.default_rng(9).standard_normal((5, 6, 32)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    done = subprocess.run([sys.executable, "-m", "glflow", "run", path, "--input",
                           str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"),
                           "--batch-size", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False, env=dict(os.environ, PYTHONPATH=ROOT))
    assert done.returncode == 0, done.stdout + done.stderr
    assert_close_to(np.load(tmp_path / "y.npy"), reference(path, {"x": x})[0])


@pytest.mark.parametrize("name", ["transformer_block", "lstm", "mobilenet_block"])
def test_graph_mode_traces_a_loaded_model(name):
    # the loaded model is a function of glflow ops and host steps on shapes: gf.function
    # traces it once per input signature and replays the compiled graph
    path = os.path.join(DATA, f"{name}.onnx")
    m = gf.onnx.load(path)
    traced = gf.function(m.function)
    for batch in (2, 2, 3):
        shape = [batch] + m.inputs[0].shape[1:]
        x = np.random.default_rng(batch).standard_normal(shape).astype(np.float32)
        (y,) = traced(gf.tensor(x))
        assert_close_to(y.numpy(), reference(path, {"x": x})[0])
