"""onnx_models: latency of the ONNX test models imported with glflow.onnx, on glflow's GL
backend (compiled, the default of a loaded model, and eager: `load(..., compile=False)`), on
glflow's numpy backend, and on onnxruntime's CPU provider, in one run.

The models are those of tests/test_onnx_models.py (tests/data/onnx: five small PyTorch
exports and two pretrained models from PyPI wheels), so the suite runs from a checkout.
Every (model, runtime) pair runs in a fresh process of its own, the runtimes taking turns
per model (gl, numpy, onnxruntime, gl, ...), for the reasons bench/models.py gives: worker
threads of one runtime spinning on would slow the next, and `cold_ms` is then the process's
real first call (load excluded: `load_ms` is timed on its own).

A call is `model.run(feeds)` for glflow (outputs read back to numpy, which synchronises) and
`InferenceSession.run(None, feeds)` for onnxruntime, timed by the TF.js peer harness's rule
(tfjs_rule.py). Inputs are seeded and identical for every runtime; `max_rel_err` is each
glflow output's largest difference from onnxruntime's on them, over the output's scale.
glflow rows say whether the model ran `compiled` (a model graph mode cannot trace runs
eagerly on "gl" too: `eager_reason` says why) and count, per call, `launches_per_call`
(kernels launched, as gf.profile lists them: a fused kernel is one launch, so the rows of
"gl" and "gl_eager" show what fusion saved) and `kernels_per_call` (glflow's kernel
counters, which count each op a matmul or conv epilogue computes as a kernel too). A
compiled row's `cold_ms` includes the trace, the passes and the GLSL compiles of its first
call.
"""
import functools
import os
import time

import numpy as np

import glflow as gf

from . import harness
from .runner import Case
from .tfjs_rule import RULES, timeit

DESCRIPTION = ("ONNX test models through glflow.onnx: GL compiled and eager vs glflow's "
               "numpy backend vs onnxruntime CPU, latency per call")
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "tests", "data", "onnx")
RUNTIMES = ("gl", "gl_eager", "cpu", "onnxruntime")
# glflow runtimes: (backend, compile=) of gf.onnx.load
GLFLOW = {"gl": ("gl", True), "gl_eager": ("gl", False), "cpu": ("cpu", True)}
# model file (under DATA): batch per size ("tiny" runs of the test suite use the small one)
MODELS = {
    "mlp": ("mlp.onnx", {"tiny": 1, "quick": 64, "full": 64}),
    "cnn_bn": ("cnn_bn.onnx", {"tiny": 1, "quick": 16, "full": 16}),
    "lstm": ("lstm.onnx", {"tiny": 1, "quick": 16, "full": 16}),
    "transformer_block": ("transformer_block.onnx", {"tiny": 1, "quick": 8, "full": 8}),
    "mobilenet_block": ("mobilenet_block.onnx", {"tiny": 1, "quick": 8, "full": 8}),
    "ppocr_cls": (os.path.join("pretrained", "ppocr_mobile_v2.0_cls.onnx"),
                  {"tiny": 1, "quick": 4, "full": 4}),
    "magika": (os.path.join("pretrained", "magika_standard_v3_3.onnx"),
               {"tiny": 1, "quick": 1, "full": 1}),
}
CHILD = ("import sys; from glflow.bench import harness, onnx_models; "
         "harness.print_child_result(onnx_models.measure(sys.argv[1], sys.argv[2], sys.argv[3]))")


def feeds(path, batch):
    """Seeded inputs for every graph input: floats ~ N(0, 1), ints in [0, 256]."""
    import onnx  # optional (the onnx extra)
    from onnx import helper
    proto = onnx.load(path)
    inits = {t.name for t in proto.graph.initializer}
    rng = np.random.default_rng(0)
    out = {}
    for vi in proto.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                 for d in t.shape.dim]
        shape = [batch if i == 0 and d is None else (d or 48 * (i - 1) or 48)
                 for i, d in enumerate(shape)]
        dtype = helper.tensor_dtype_to_np_dtype(t.elem_type)
        if np.dtype(dtype).kind in "iu":
            out[vi.name] = rng.integers(0, 257, shape).astype(dtype)
        else:
            out[vi.name] = rng.standard_normal(shape).astype(dtype)
    return out


def _ort_session(path):
    import onnxruntime  # optional (the onnx extra)
    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])


def measure(name, runtime, size):
    """The row of one model on one runtime (run in a child process: see above)."""
    file, batches = MODELS[name]
    path = os.path.join(DATA, file)
    batch = batches[size]
    x = feeds(path, batch)
    row = {"model": name, "runtime": runtime, "batch": batch}
    start = time.perf_counter()
    if runtime == "onnxruntime":
        sess = _ort_session(path)
        row["load_ms"] = (time.perf_counter() - start) * 1e3
        call = functools.partial(sess.run, None, x)
    else:
        backend, compile_ = GLFLOW[runtime]
        gf.set_backend(backend)
        model = gf.onnx.load(path, compile=compile_)
        row["load_ms"] = (time.perf_counter() - start) * 1e3
        row["compiled"] = model.compiled
        if model.eager_reason:
            row["eager_reason"] = model.eager_reason
        call = functools.partial(model.run, x)
        compiles = harness.compile_count()
    result = timeit(call, RULES[size])
    row.update({"median_ms": result["median_ms"], "cold_ms": result["cold_ms"],
                "reps": result["reps"], "all_ms": result["all_ms"]})
    if runtime != "onnxruntime":
        before = harness.kernel_count()
        outs = call()
        row["kernels_per_call"] = harness.kernel_count() - before
        row["launches_per_call"] = len(gf.profile(call).kernels)
        row["programs_compiled"] = harness.compile_count() - compiles
        refs = _ort_session(path).run(None, x)
        row["max_rel_err"] = max(
            float(np.max(np.abs(o.astype(np.float64) - r)) / max(np.max(np.abs(r)), 1e-30))
            for o, r in zip(outs, refs))
    return row


def in_child(name, runtime, size):
    return harness.run_child(CHILD, [name, runtime, size])


def cases(size):
    return [Case(f"{name} {runtime}", functools.partial(in_child, name, runtime, size))
            for name in MODELS for runtime in RUNTIMES]


def settings(size):
    # the checkout-relative folder: a results file names no path of the machine that ran it
    return {"rule": RULES[size]._asdict(), "models": "tests/data/onnx",
            "isolation": "one fresh process per model and runtime",
            "onnxruntime": "CPUExecutionProvider, default threads"}


def summarize(rows, size):
    """Per model: GL eager / GL compiled, GL / numpy backend and GL / onnxruntime time (GL:
    the default, compiled path)."""
    times = {(r.get("model"), r.get("runtime")): r.get("median_ms") for r in rows}
    out = {}
    for name in MODELS:
        gl, eager, cpu, ort = (times.get((name, rt)) for rt in RUNTIMES)
        if gl and eager:
            out[f"{name}_gl_eager_over_compiled"] = eager / gl
        if gl and cpu:
            out[f"{name}_gl_over_numpy"] = gl / cpu
        if gl and ort:
            out[f"{name}_gl_over_onnxruntime"] = gl / ort
    return out
