"""Timing and reporting helpers shared by every benchmark suite.

Rules every suite follows (docs: benchmarks/README.md):
- warm up first: shader compiles (~40 ms each on llvmpipe) and pool fills are not measured;
- GL work is asynchronous, so the clock stops only after `gf.finish()`;
- report medians over repeats, never means or minima (the CI machine is shared and noisy);
- ratios (GL vs numpy, glflow vs raw moderngl) come from ONE run whose variants take turns in
  every round (`measure_interleaved`), so a load change hits all of them alike.
"""
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

import glflow as gf
from glflow.atomic_write import atomic_write


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


def inner_for(elements, budget=2_000_000):
    """Calls per sample so a sample touches about `budget` elements (>= 1)."""
    return max(1, budget // max(1, elements))


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
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def write_results(suite, rows, out_dir, summary=None, settings=None):
    """Write benchmarks/results/<suite>.json (rows: list of dicts); returns the path."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{suite}.json")
    doc = {"suite": suite, "statistic": "median", "machine": machine_info(),
           "settings": settings or {}, "rows": rows, "summary": summary or {}}
    with atomic_write(path, "w") as f:  # never half a file behind an interrupted run
        json.dump(doc, f, indent=2, default=_json_default)
        f.write("\n")
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")


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
