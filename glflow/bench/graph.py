"""graph: what graph mode (gf.function, glflow/graph/) buys, measured against eager glflow,
numpy and a bare moderngl loop in the same run.

Cases:
- `fused_chain`: an 8-op unary chain (sin cos tanh abs sqrt neg exp square) on 4M elements:
  compiled (one fused kernel), eager (8 kernels), numpy (8 ufuncs writing into preallocated
  arrays). Targets: compiled >= 3.5x faster than eager, and faster than numpy. Compiled and
  eager again with inputs read through samplers rather than image units, in the same rounds
  (sampler_*);
- `replay_overhead`: a chain of dependent `add(y, c)` on 16 elements compiled with
  optimize=False (one prepared draw per add; host forwarding off, so that every add is a
  draw, as in the dispatch suite) against the same draws in a bare moderngl loop
  (dispatch.RawLoop): overhead per kernel = (replay - raw) / kernels, the median of paired
  per-round differences. Target <= 3 us per kernel. Eager per op for reference;
- `trace_compile`: the issue's block and an MLP train step: trace + passes, then the first
  call (programs compiled, buffers planned), apart from the steady-state call;
- `mlp` / `cnn`: the peer harness's MLP (784-256-256-10, batch 64) and CNN (batch 32):
  Keras `predict` and `train_on_batch`, compiled (the default) against run_eagerly=True, with
  the kernels each launches (gf.profile);
- `duplicate_or_store_*`, `unrolled_steps`: the measurements behind elementwise fusion's
  duplication rule and its cap on ops per kernel (fusion_rules.py).
Every ratio comes from interleaved rounds (harness.measure_interleaved); GL only (the suite
is about GL dispatch and fusion). `--tiny` runs tiny shapes once: figures mean nothing then.
"""
import time

import numpy as np

import glflow as gf
from glflow.graph import passes
from glflow.runtime import state

from . import fusion_rules, harness, model_zoo
from .dispatch import ELEMENTS as CHAIN_ELEMENTS
from .dispatch import RawLoop
from .runner import Case

DESCRIPTION = ("graph mode: fused chain vs eager vs numpy, replay overhead vs bare moderngl, "
               "trace/compile time, MLP and CNN compiled vs eager")
CHAIN = ("sin", "cos", "tanh", "abs", "sqrt", "neg", "exp", "square")
ELEMENTS = {"full": 4 << 20, "quick": 4 << 20, "tiny": 4096}
REPLAY_KERNELS = {"full": 500, "quick": 200, "tiny": 20}
REPS = {"full": 11, "quick": 5, "tiny": 1}
TARGET_FUSED_OVER_EAGER = 3.5
TARGET_REPLAY_US = 3.0


def _reps(size):
    return REPS[size], (0 if size == "tiny" else 2)


def unary_chain(x):
    for name in CHAIN:
        x = getattr(gf, name)(x)
    return x


def numpy_chain(x, tmp):
    np.sin(x, out=tmp)
    for fn in (np.cos, np.tanh, np.abs, np.sqrt, np.negative, np.exp, np.square):
        fn(tmp, out=tmp)
    return tmp


def fused_chain(size):
    """The chain compiled, eager and in numpy; and compiled and eager again with every input
    read through samplers (texelFetch) instead of image units (backends/gl/context.py, "Image
    loads"), in the same rounds: cheaper reads make the eager chain's eight passes faster
    than the fused pass's one, so they lower eager_over_compiled."""
    n = ELEMENTS[size]
    x_np = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    tmp = np.empty_like(x_np)
    x = gf.tensor(x_np)
    backend = state.backend()
    compiled = gf.function(unary_chain)
    got = compiled(x).numpy()
    with harness.image_loads(False):
        compiled_sampler = gf.function(unary_chain)   # its draws prepared with sampler reads
        got_sampler = compiled_sampler(x).numpy()
        eager_sampler = unary_chain(x).numpy()
    want = numpy_chain(x_np, tmp).copy()
    # GL's sin/cos/tanh/exp differ from numpy's by a few ulp, compounded over the chain
    correct = bool(np.allclose(got, want, rtol=1e-4, atol=1e-6)
                   and np.array_equal(got, unary_chain(x).numpy())
                   and np.array_equal(got, got_sampler) and np.array_equal(got, eager_sampler))

    def eager_with_samplers():
        with harness.image_loads(False):
            unary_chain(x)
    reps, warmup = _reps(size)
    t_fused, t_eager, t_numpy, t_fused_s, t_eager_s = harness.measure_interleaved(
        [lambda: compiled(x), lambda: unary_chain(x), lambda: numpy_chain(x_np, tmp),
         lambda: compiled_sampler(x), eager_with_samplers],
        reps=reps, warmup=warmup, sync=[True, True, False, True, True])
    kernels = len(gf.profile(lambda: compiled(x)).kernel_names)
    return {"elements": n, "ops": len(CHAIN), "kernels_compiled": kernels,
            "compiled_ms": t_fused * 1e3, "eager_ms": t_eager * 1e3, "numpy_ms": t_numpy * 1e3,
            "eager_over_compiled": t_eager / t_fused, "numpy_over_compiled": t_numpy / t_fused,
            "image_inputs": backend.image_inputs,
            "sampler_compiled_ms": t_fused_s * 1e3, "sampler_eager_ms": t_eager_s * 1e3,
            "sampler_eager_over_compiled": t_eager_s / t_fused_s,
            "sampler_numpy_over_compiled": t_numpy / t_fused_s,
            "correct": correct}


def replay_overhead(size):
    """With host forwarding off, as the dispatch suite measures: on 16 elements the adds would
    otherwise run on the host (backends/gl/host.py), and the bare loop draws every one. With
    llvmpipe's rasteriser threads the same case runs again in a child without them, and the
    target is judged there: with threads both loops mostly wait for thread wake-ups."""
    row = drawn_replay_overhead(size)
    if gf.backend_info().get("llvmpipe_threads") not in (None, "0"):
        single = harness.run_child(REPLAY_CHILD, [size], env={"LP_NUM_THREADS": "0",
                                                              "GLFLOW_BACKEND": "gl"})
        row["threaded_overhead_us_per_kernel"] = row["overhead_us_per_kernel"]
        row.update({f"single_thread_{k}": v for k, v in single.items() if k != "correct"})
        row["overhead_us_per_kernel"] = row["us_per_op"] = single["overhead_us_per_kernel"]
        row["correct"] = row["correct"] and single["correct"]
    return row


REPLAY_CHILD = ("import sys; from glflow.bench import graph, harness; "
                "harness.print_child_result(graph.drawn_replay_overhead(sys.argv[1]))")


def drawn_replay_overhead(size):
    """The replay case in this process, every add drawn."""
    with harness.host_forwarding(False):
        return _replay_overhead(size)


def _replay_overhead(size):
    n = REPLAY_KERNELS[size]
    c = gf.tensor(np.full(CHAIN_ELEMENTS, 0.5, np.float32))

    def adds(y):
        for _ in range(n):
            y = gf.add(y, c)
        return y
    compiled = gf.function(adds, optimize=False)
    y0 = gf.tensor(np.zeros(CHAIN_ELEMENTS, np.float32))
    correct = bool(np.array_equal(compiled(y0).numpy(), np.full(CHAIN_ELEMENTS, 0.5 * n,
                                                                np.float32)))
    kernels = compiled.get_concrete_function(y0).program().kernel_count()
    raw = RawLoop(state.backend(), 0.5)
    clock = []
    reps, warmup = _reps(size)
    t_replay, t_raw, t_eager = harness.measure_interleaved(
        [lambda: compiled(y0), lambda: raw.chain(n), lambda: adds(y0)], reps=reps,
        warmup=warmup, clock=clock)
    overhead = harness.paired_median(clock[0], clock[1]) / kernels
    return {"kernels": kernels, "replay_us_per_kernel": t_replay / kernels * 1e6,
            "raw_us_per_kernel": t_raw / n * 1e6, "eager_us_per_op": t_eager / n * 1e6,
            "overhead_us_per_kernel": overhead * 1e6, "us_per_op": overhead * 1e6,
            "correct": correct}


def _timed_first_call(fn, args):
    """(trace + passes, first run, steady call) seconds of a fresh gf.function."""
    compiled = gf.function(fn)
    start = time.perf_counter()
    concrete = compiled.get_concrete_function(*args)
    traced = time.perf_counter()
    compiled(*args)
    gf.finish()
    first = time.perf_counter()
    steady = harness.measure(lambda: compiled(*args), reps=5, warmup=1)
    graph = concrete.traced_graph.copy()
    start_passes = time.perf_counter()
    passes.optimize(graph, state.backend())
    pass_s = time.perf_counter() - start_passes
    return {"trace_and_passes_ms": (traced - start) * 1e3, "passes_ms": pass_s * 1e3,
            "first_run_ms": (first - traced) * 1e3, "steady_ms": steady * 1e3,
            "traced_kernels": len(concrete.traced_graph.kernel_nodes()),
            "kernels": len(concrete.graph.kernel_nodes())}


def trace_compile(size):
    rng = np.random.default_rng(1)
    rows = 8 if size == "tiny" else 64

    def block(x, w, b):
        h = gf.relu(x @ w + b)
        return gf.tanh(h * 0.5 + 1.0) * 2.0
    args = [gf.tensor(rng.standard_normal(s).astype(np.float32))
            for s in ((rows, 128), (128, 64), (64,))]
    out = {f"block_{k}": v for k, v in _timed_first_call(block, args).items()}
    model = model_zoo.compile_for_training(model_zoo.mlp())
    x = gf.tensor(rng.uniform(0, 1, (rows, 784)).astype(np.float32))
    y = gf.tensor(rng.integers(0, 10, rows).astype(np.int32))
    model.train_on_batch(x.numpy(), y.numpy())  # weights and optimizer slots made eagerly
    step = _timed_first_call(lambda x, y: model._train_results(x, y, None), [x, y])
    out.update({f"mlp_train_{k}": v for k, v in step.items()})
    out["ms"] = out["mlp_train_trace_and_passes_ms"]
    return out


def _model_case(build, shape, batch, size):
    rng = np.random.default_rng(0)
    batch = 2 if size == "tiny" else batch
    x = rng.uniform(0, 1, (batch,) + shape).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    models = {}
    for mode in ("compiled", "eager"):
        gf.set_seed(0)
        model = model_zoo.compile_for_training(build())
        model.run_eagerly = mode == "eager"
        models[mode] = model
    row = {"batch": batch}
    reps, warmup = _reps(size)
    warmup = max(warmup, 1)  # the first compiled call traces: never timed
    for phase in ("predict", "train_step"):
        calls = {mode: ((lambda m=m: m.predict(x, batch_size=batch, verbose=0))
                        if phase == "predict" else (lambda m=m: m.train_on_batch(x, y)))
                 for mode, m in models.items()}
        t_compiled, t_eager = harness.measure_interleaved(
            [calls["compiled"], calls["eager"]], reps=reps, warmup=warmup)
        row.update({f"{phase}_compiled_ms": t_compiled * 1e3, f"{phase}_eager_ms": t_eager * 1e3,
                    f"{phase}_eager_over_compiled": t_eager / t_compiled})
        for mode, call in calls.items():
            row[f"{phase}_kernels_{mode}"] = len(gf.profile(call).kernel_names)
    np.testing.assert_allclose(models["compiled"].predict(x, verbose=0),
                               models["eager"].predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    row["ms"] = row["train_step_compiled_ms"]
    return row


def mlp(size):
    return _model_case(model_zoo.mlp, (784,), 64, size)


def cnn(size):
    return _model_case(model_zoo.cnn_mnist, (28, 28, 1), 32, size)


def cases(size):
    rules = [("duplicate_or_store_cheap", lambda s: fusion_rules.duplicate_or_store("cheap", s)),
             ("duplicate_or_store_tanh", lambda s: fusion_rules.duplicate_or_store("tanh", s)),
             ("unrolled_steps", fusion_rules.unrolled_steps)]
    return [Case(name, lambda fn=fn: fn(size))
            for name, fn in [("fused_chain", fused_chain), ("replay_overhead", replay_overhead),
                             ("trace_compile", trace_compile), ("mlp", mlp), ("cnn", cnn)]
            + rules]


def settings(size):
    return {"chain": list(CHAIN), "elements": ELEMENTS[size],
            "replay_kernels": REPLAY_KERNELS[size], "reps": REPS[size],
            "models": "model_zoo.mlp (batch 64), model_zoo.cnn_mnist (batch 32), Adam(1e-3)"}


def summarize(rows, size):
    by = {r.get("case"): r for r in rows}
    out = {}
    chain = by.get("fused_chain", {})
    if "eager_over_compiled" in chain:
        out["fused_chain_eager_over_compiled"] = chain["eager_over_compiled"]
        out["fused_chain_numpy_over_compiled"] = chain["numpy_over_compiled"]
        out["fused_chain_meets_target"] = (chain["eager_over_compiled"] >= TARGET_FUSED_OVER_EAGER
                                           and chain["numpy_over_compiled"] > 1.0)
    replay = by.get("replay_overhead", {})
    if "overhead_us_per_kernel" in replay:
        out["replay_overhead_us_per_kernel"] = replay["overhead_us_per_kernel"]
        out["replay_meets_target"] = replay["overhead_us_per_kernel"] <= TARGET_REPLAY_US
    for name in ("mlp", "cnn"):
        for phase in ("predict", "train_step"):
            key = f"{phase}_eager_over_compiled"
            if key in by.get(name, {}):
                out[f"{name}_{key}"] = by[name][key]
    return out
