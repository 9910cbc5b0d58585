"""Models through glflow.onnx against onnxruntime: five small networks exported from PyTorch
by both its exporters (tests/data/onnx/generate/make_models.py) at two batch sizes from one
load, and two real pretrained models shipped inside PyPI packages
(tests/data/onnx/pretrained/README.md). Every one of them runs compiled (graph mode) by
default; each is checked against the eager path too, bit for bit."""
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


def _kernels(call):
    """(result, kernels the call launched: a fused kernel is one launch)."""
    info = gf.profile(call)
    return info.result, len(info.kernels)


@pytest.mark.parametrize("name", [m + exporter for exporter in ("", "_dynamo") for m in EXPORTED])
def test_exported_model_matches_onnxruntime_at_two_batch_sizes(name, monkeypatch):
    path = os.path.join(DATA, f"{name}.onnx")
    m = gf.onnx.load(path)
    eager = gf.onnx.load(path, compile=False)
    assert m.compiled and m.eager_reason is None, m.eager_reason
    assert not eager.compiled
    assert isinstance(m.inputs[0].shape[0], str)  # the dynamic dimension is kept, by name
    reads, seen = [], set()
    real = Tensor.numpy
    for batch in (1, 3, 3, 1):  # one load serves both: a trace per batch size, then replays
        shape = [batch] + m.inputs[0].shape[1:]
        x = np.random.default_rng(batch).standard_normal(shape).astype(np.float32)
        monkeypatch.setattr(Tensor, "numpy", lambda t: reads.append(t.shape) or real(t))
        want, eager_kernels = _kernels(lambda: eager(x))
        assert reads == []  # a call reads no tensor back: shapes are all the host needs
        y, kernels = _kernels(lambda: m(x))
        monkeypatch.setattr(Tensor, "numpy", real)
        if batch in seen:  # a replay reads nothing either
            assert reads == []
        else:  # a trace reads only the one-number constants the simplify pass looks at
            assert all(int(np.prod(s)) == 1 for s in reads), reads
        reads.clear()
        assert_close_to(y.numpy(), reference(path, {"x": x})[0])
        # the compiled graph rounds as the eager steps do (fusion keeps each op's rounding)
        np.testing.assert_array_equal(y.numpy(), want.numpy())
        if batch in seen:  # a replay: fusion leaves fewer kernels (a trace also folds)
            assert kernels < eager_kernels, (kernels, eager_kernels)
        seen.add(batch)
    assert m.graph_function.trace_count == 2


def test_fusion_makes_a_compiled_call_launch_fewer_kernels():
    # cnn_bn: the BatchNorm (folded into constants), bias and ReLU of each conv run in the
    # conv's epilogue once compiled; eagerly each is a kernel of its own
    path = os.path.join(DATA, "cnn_bn.onnx")
    m, eager = gf.onnx.load(path), gf.onnx.load(path, compile=False)
    x = np.random.default_rng(7).standard_normal([2] + m.inputs[0].shape[1:]).astype(np.float32)
    m(x)  # the first call traces and compiles; count a replay
    y, kernels = _kernels(lambda: m(x))
    want, eager_kernels = _kernels(lambda: eager(x))
    assert kernels < eager_kernels, (kernels, eager_kernels)
    np.testing.assert_array_equal(y.numpy(), want.numpy())


def test_ppocr_direction_classifier_matches_onnxruntime():
    path = os.path.join(DATA, "pretrained", "ppocr_mobile_v2.0_cls.onnx")
    m = gf.onnx.load(path)
    assert m.compiled, m.eager_reason
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 192)).astype(np.float32)
    (y,) = m.run([x])
    ref = reference(path, {"x": x})[0]
    assert_close_to(y, ref)
    np.testing.assert_array_equal(y.argmax(1), ref.argmax(1))
    np.testing.assert_array_equal(y, gf.onnx.load(path, compile=False).run([x])[0])


def test_magika_file_type_model_matches_onnxruntime():
    # the heavy one (a 256 -> 512 channel conv over 512 positions): batch 1
    path = os.path.join(DATA, "pretrained", "magika_standard_v3_3.onnx")
    m = gf.onnx.load(path)
    assert m.compiled, m.eager_reason
    with open(os.path.join(os.path.dirname(__file__), "..", "README.md"), "rb") as f:
        data = f.read()
    head, tail = list(data[:1024]), list(data[-1024:])
    x = np.array([head + [256] * (1024 - len(head)) + tail], np.int32)
    (y,) = m.run({"bytes": x})
    ref = reference(path, {"bytes": x})[0]
    assert_close_to(y, ref)
    assert y.argmax() == ref.argmax()
    np.testing.assert_array_equal(y, gf.onnx.load(path, compile=False).run({"bytes": x})[0])


def test_onnx_models_benchmark_suite_smoke_runs_on_the_four_runtimes(tmp_path):
    # timings are not checked (tests never assert them): the suite runs and agrees
    done = subprocess.run([sys.executable, "-m", "glflow", "bench", "--suite", "onnx_models",
                           "--tiny", "--only", "mlp", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((tmp_path / "onnx_models.json").read_text())
    rows = doc["rows"]
    assert [r["runtime"] for r in rows] == ["gl", "gl_eager", "cpu", "onnxruntime"]
    for row in rows:
        assert "error" not in row, row
        assert row["median_ms"] > 0
    assert all(r["max_rel_err"] < 1e-4 and r["kernels_per_call"] > 0 for r in rows[:3])
    assert [r["compiled"] for r in rows[:3]] == [True, False, True]
    # the MLP's bias adds and ReLU run in the matmuls' epilogues once compiled
    assert [r["launches_per_call"] for r in rows[:2]] == [3, 6]
    assert {"mlp_gl_over_onnxruntime", "mlp_gl_eager_over_compiled"} <= set(doc["summary"])


def test_glflow_run_on_an_onnx_file_matches_onnxruntime(tmp_path):
    # the CLI's model runner loads .onnx files through gf.onnx.load (glflow/inference), so it
    # runs them compiled: GLFLOW_DEBUG=1 prints each trace, one per batch size (2, 2, 1)
    path = os.path.join(DATA, "transformer_block.onnx")
    x = np.random.default_rng(9).standard_normal((5, 6, 32)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    done = subprocess.run([sys.executable, "-m", "glflow", "run", path, "--input",
                           str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"),
                           "--batch-size", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False,
                          env=dict(os.environ, PYTHONPATH=ROOT, GLFLOW_DEBUG="1"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("tracing onnx_model(") == 2, done.stdout
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
