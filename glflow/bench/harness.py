"""Timing and reporting helpers shared by every benchmark suite.

Rules every suite follows (docs: benchmarks/README.md):
- warm up first: shader compiles (~40 ms each on llvmpipe) and pool fills are not measured;
- GL work is asynchronous, so the clock stops only after `gf.finish()`;
- report medians over repeats, never means or minima (the CI machine is shared and noisy);
- ratios (GL vs numpy, glflow vs raw moderngl) come from ONE run whose variants take turns in
  every round (`measure_interleaved`), so a load change hits all of them alike.
The peers, models and io suites time by the TF.js peer harness's rule instead (tfjs_rule.py:
warm-up, then timed calls that each end with a full read of the result, median).
"""
import contextlib
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import glflow as gf
from glflow.runtime import counters, state

from . import output


def _sync():
    gf.finish()


def _no_sync():
    pass


def sample(fn, inner=1, sync=True):
    """(wall, this thread's CPU) seconds per call over `inner` calls of fn, then gf.finish()
    (if sync). The thread CPU time leaves out llvmpipe's worker threads: it is the host-side
    cost of issuing the work (Python + driver submission)."""
    done = _sync if sync else _no_sync
    cpu = time.thread_time()
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    done()
    wall = time.perf_counter() - start
    return wall / inner, (time.thread_time() - cpu) / inner


def measure(fn, reps=7, warmup=2, inner=1, sync=True):
    """Median seconds per call of fn over `reps` samples, after `warmup` untimed calls.

    inner: calls per sample, for work too short for one perf_counter reading (tiny numpy ops);
    sync: call gf.finish() before stopping the clock (False only for pure-numpy work)."""
    return measure_interleaved([fn], reps, warmup, inner=[inner], sync=[sync])[0]


def measure_interleaved(fns, reps=7, warmup=2, inner=None, sync=None, clock=None,
                        cpu_clock=None):
    """Median seconds per call of each fn; the fns take turns in every round.

    inner/sync: per-fn lists (see `measure`). clock: optional list that receives the raw
    per-round wall samples (one list per fn), for paired statistics such as overhead = a - b;
    cpu_clock: the same for this thread's CPU time (see `sample`).
    Do not interleave GL with multi-threaded numpy (BLAS): see bench/matmul.py."""
    inner = inner or [1] * len(fns)
    sync = sync or [True] * len(fns)
    for _ in range(warmup):
        for fn in fns:
            fn()
    _sync()
    samples = [[] for _ in fns]
    cpu_samples = [[] for _ in fns]
    for _ in range(reps):
        for i, fn in enumerate(fns):
            wall, cpu = sample(fn, inner[i], sync[i])
            samples[i].append(wall)
            cpu_samples[i].append(cpu)
    if clock is not None:
        clock.extend(samples)
    if cpu_clock is not None:
        cpu_clock.extend(cpu_samples)
    return [statistics.median(s) for s in samples]


def paired_median(a, b):
    """Median of per-round differences a[i] - b[i]: steadier than median(a) - median(b) when
    the load drifts between rounds."""
    return statistics.median(x - y for x, y in zip(a, b))


@contextlib.contextmanager
def host_forwarding(on):
    """The GL backend's host forwarding (backends/gl/host.py) set to `on` while the block runs,
    as it was after; nothing on a backend without it. Off, every op is a draw, as in a bare
    moderngl loop."""
    b = state.backend()
    previous = getattr(b, "host_forward", None)
    if previous is not None:
        b.host_forward = on
    try:
        yield
    finally:
        if previous is not None:
            b.host_forward = previous


@contextlib.contextmanager
def image_loads(on):
    """Launches made while the block runs read same-layout inputs through image units (on)
    or samplers (backends/gl/context.py, "Image loads"); on again after. Nothing on a backend
    without the choice."""
    b = state.backend()
    setter = getattr(b, "set_image_loads", None)
    if setter is not None:
        setter(on)
    try:
        yield
    finally:
        if setter is not None:
            setter(True)


def inner_for(elements, budget=2_000_000):
    """Calls per sample so a sample touches about `budget` elements (>= 1)."""
    return max(1, budget // max(1, elements))


ENV_RECORDED = ("GLFLOW_BACKEND", "LP_NUM_THREADS", "MESA_SHADER_CACHE_DISABLE",
                "MESA_SHADER_CACHE_DIR", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def machine_info():
    """Where the numbers were taken: renderer, CPU count, versions, load, date."""
    info = gf.backend_info()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    try:
        import moderngl
        moderngl_version = moderngl.__version__
    except ImportError:
        moderngl_version = None
    return {
        "backend": info.get("backend"),
        "renderer": info.get("renderer"),
        "gl_version": info.get("version"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "moderngl": moderngl_version,
        "glflow": gf.__version__,
        # What glflow's llvmpipe context was made with (None: another driver).
        "lp_num_threads": info.get("llvmpipe_threads"),
        "load_average_1_5_15": load,
        # Variables that change what is measured (threads, Mesa's shader cache, the backend).
        "env": {k: os.environ[k] for k in ENV_RECORDED if k in os.environ},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def results_doc(suite, rows, summary=None, settings=None, interrupted=False, elapsed_s=None):
    """The JSON every suite writes: where it ran, how, its rows and its headline figures."""
    return {"suite": suite, "statistic": "median", "machine": machine_info(),
            "settings": settings or {}, "rows": rows, "summary": summary or {},
            "interrupted": bool(interrupted), "elapsed_s": elapsed_s}


def kernel_count():
    """Kernels launched so far in this process, every backend together. The one place the
    harness reads glflow's kernel counters."""
    return sum(counters.kernel_counts.values())


def compile_count():
    """Shader programs compiled so far by the active backend (0 on the numpy backend)."""
    return gf.memory().get("num_compiles", 0)


def fmt(value):
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if value == 0 or not math.isfinite(value):
            return str(value)
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    return str(value)


def print_table(rows, file=None):
    """Rows (dicts with the same keys) as an aligned text table."""
    if not rows:
        return
    keys = list(rows[0])
    cells = [[fmt(r.get(k)) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    out = file or sys.stdout
    print("  ".join(k.rjust(w) for k, w in zip(keys, widths)), file=out)
    for c in cells:
        print("  ".join(v.rjust(w) for v, w in zip(c, widths)), file=out)
    out.flush()


def print_rows(rows, file=None):
    """Rows that may differ in their keys (failed cases, nested figures) as a text table of
    their scalar fields; the `error` of a failed case is left to the caller."""
    keys = []
    for row in rows:
        keys += [k for k, v in row.items() if k not in keys and k != "error"
                 and not isinstance(v, (dict, list, tuple))]
    if keys:
        print_table([{k: r.get(k, "") for k in keys} for r in rows], file=file)


CHILD_MARK = "GLFLOW_BENCH_RESULT "


def run_child(code, args=(), env=None, timeout=900):
    """Run `code` (Python source) in a fresh interpreter that imports this glflow, with extra
    environment variables `env`; returns the JSON object the child printed with
    `print_child_result`. RuntimeError naming the exit status and the last line of stderr
    when it printed none (a crash, a timeout)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, full_env.get("PYTHONPATH")]))
    try:
        done = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=full_env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"child process ran over {timeout} s") from None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(CHILD_MARK):
            return json.loads(line[len(CHILD_MARK):])
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"child process exited with status {done.returncode}: {last}")


def print_child_result(result):
    """The child's side of run_child."""
    print(CHILD_MARK + json.dumps(result, default=output.json_default), flush=True)
