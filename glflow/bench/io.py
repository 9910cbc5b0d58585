"""io: moving data in and out, and what a fresh process pays before its first result.

- upload_<n>: `gf.tensor(array)` of n float32 values (then `gf.finish()`), the tensor
  disposed after each call; GB/s = 4 n / time;
- readback_<n>: `tensor.numpy()` of an n-element tensor already on the device;
- cold_start_*: a fresh process imports glflow, makes its context, builds the digits CNN and
  runs its first training step and prediction (every shader program compiled then), then a
  second step (`second_step_ms`, all programs cached). Run three ways on GL:
  `as_configured` (Mesa's on-disk shader cache as the environment has it: on by default, in
  ~/.cache/mesa_shader_cache), `cache_off` (MESA_SHADER_CACHE_DISABLE=true: every compile
  paid in full) and `cache_empty_then_warm` (an empty cache folder: a first process that
  fills it, then a second that finds it warm). Mesa keys its cache by shader source and
  driver build, so a new driver or a changed glflow shader compiles afresh by itself.
Timing rule for upload and readback: the peer harness's (tfjs_rule.py).
"""
import functools
import shutil
import tempfile
import time

import numpy as np

import glflow as gf

from . import harness, model_zoo
from .runner import Case
from .tfjs_rule import RULES, timeit

DESCRIPTION = ("upload and readback bandwidth; a fresh process's first step with Mesa's "
               "shader cache on, off, empty")
SIZES = {"full": (1 << 16, 1 << 20, 1 << 22, 1 << 24), "quick": (1 << 20, 1 << 24),
         "tiny": (4096,)}
COLD_BATCH = 32
CHILD = ("import time; start = time.perf_counter(); import glflow; "
         "import_ms = (time.perf_counter() - start) * 1e3; "
         "from glflow.bench import harness, io; "
         "harness.print_child_result(io.cold_start(import_ms))")


def upload(n, rule):
    array = np.random.default_rng(n).standard_normal(n, dtype=np.float32)

    def call():
        t = gf.tensor(array)
        gf.finish()
        t.dispose()
    result = timeit(call, rule)
    return {"n": n, "GBps": 4 * n / (result["median_ms"] * 1e6), **result}


def readback(n, rule):
    t = gf.tensor(np.random.default_rng(n).standard_normal(n, dtype=np.float32))
    try:
        result = timeit(t.numpy, rule)
    finally:
        t.dispose()
    return {"n": n, "GBps": 4 * n / (result["median_ms"] * 1e6), **result}


def cold_start(import_ms):
    """Run in a fresh process (see the module docstring): its milestones in ms."""
    marks = {"import_ms": import_ms}
    start = time.perf_counter()
    info = gf.backend_info()
    marks["context_ms"] = (time.perf_counter() - start) * 1e3
    start = time.perf_counter()
    gf.set_seed(0)
    model = model_zoo.compile_for_training(model_zoo.digits_cnn())
    marks["build_ms"] = (time.perf_counter() - start) * 1e3
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (COLD_BATCH, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 10, COLD_BATCH).astype(np.int64)

    def step():
        begin = time.perf_counter()
        model.train_on_batch(x, y)
        model.predict(x, batch_size=COLD_BATCH, verbose=0)
        return (time.perf_counter() - begin) * 1e3
    marks["first_step_ms"] = step()
    marks["programs_compiled"] = harness.compile_count()
    marks["second_step_ms"] = step()
    marks["compile_overhead_ms"] = marks["first_step_ms"] - marks["second_step_ms"]
    marks["to_first_result_ms"] = (import_ms + marks["context_ms"] + marks["build_ms"]
                                   + marks["first_step_ms"])
    marks["backend"] = info.get("backend")
    return marks


def cold_start_case(how):
    backend = gf.get_backend()
    env = {"GLFLOW_BACKEND": backend}
    if how == "as_configured":
        return harness.run_child(CHILD, env=env)
    if backend != "gl":
        return {"skipped": "Mesa's shader cache matters only on the GL backend"}
    if how == "cache_off":
        return harness.run_child(CHILD, env=dict(env, MESA_SHADER_CACHE_DISABLE="true"))
    folder = tempfile.mkdtemp(prefix="glflow-bench-mesa-cache-")
    try:
        env["MESA_SHADER_CACHE_DIR"] = folder
        empty = harness.run_child(CHILD, env=env)
        warm = harness.run_child(CHILD, env=env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"empty": empty, "warm": warm,
            "warm_over_empty_first_step": warm["first_step_ms"] / empty["first_step_ms"]}


def cases(size):
    rule = RULES[size]
    found = [Case(f"upload_{n}", functools.partial(upload, n, rule)) for n in SIZES[size]]
    found += [Case(f"readback_{n}", functools.partial(readback, n, rule)) for n in SIZES[size]]
    found += [Case(f"cold_start_{how}", functools.partial(cold_start_case, how))
              for how in ("as_configured", "cache_off", "cache_empty_then_warm")]
    return found


def settings(size):
    return {"rule": RULES[size]._asdict(), "cold_start_model": "digits_cnn",
            "cold_start_batch": COLD_BATCH}
