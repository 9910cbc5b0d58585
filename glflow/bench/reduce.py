"""reduce: sum over 16M elements on GL vs numpy, with the GL pass count, which is
logarithmic in the size (each pass combines up to 1024 elements per output); also row and
column sums of the same data as a [4096, 4096] matrix, from the same interleaved rounds.
"""
import numpy as np

import glflow as gf
from glflow.backends.gl.reduction import plan

from . import harness

DESCRIPTION = "sum over 16M elements (and rows/columns of 4096x4096): GL vs numpy, passes"
LOG2_SIZE = 24


def run(quick=False, log2_size=LOG2_SIZE):
    reps = 5 if quick else 11
    n = 1 << (20 if quick else log2_size)
    side = 1 << ((20 if quick else log2_size) // 2)
    a = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    am = a.reshape(side, n // side)
    x = gf.tensor(a)
    m = gf.reshape(x, [side, n // side])
    cases = [("sum all", lambda: gf.sum(x), lambda: np.sum(a), plan(1, n)),
             ("row sums", lambda: gf.sum(m, 1), lambda: am.sum(1), plan(side, n // side)),
             ("column sums", lambda: gf.sum(m, 0), lambda: am.sum(0), plan(n // side, side))]
    fns = [f for _, gl_fn, np_fn, _ in cases for f in (gl_fn, np_fn)]
    times = harness.measure_interleaved(fns, reps=reps, warmup=2)
    rows = []
    for k, (name, _, _, passes) in enumerate(cases):
        t_gl, t_np = times[2 * k], times[2 * k + 1]
        rows.append({"case": name, "elements": n, "gl_passes": len(passes),
                     "chunks": [p[1] for p in passes], "gl_ms": t_gl * 1e3,
                     "numpy_ms": t_np * 1e3, "ratio_gl_over_numpy": t_gl / t_np})
    total = float(gf.sum(x).numpy())
    summary = {"sum_elements": n, "sum_gl_passes": rows[0]["gl_passes"],
               "sum_ratio_gl_over_numpy": rows[0]["ratio_gl_over_numpy"],
               "sum_abs_error_vs_float64": abs(total - float(np.sum(a, dtype=np.float64))),
               "passes_by_size": {str(1 << k): len(plan(1, 1 << k)) for k in range(4, 31, 2)}}
    gf.empty_cache()  # 64 MiB textures: do not carry them into the next suite
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": 2}}
