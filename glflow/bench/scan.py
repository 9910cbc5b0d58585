"""scan: the GL scan's pass plan, measured. For each axis length, a cumsum along the last axis
of a ~1M-element tensor with one sequential pass (terms = all positions) and with radix-r
log-step passes (r = 2, 4, 8, 16, 32), next to numpy.cumsum, from the same interleaved
rounds. Lines of a multiple of 4 take the ROW4 path, whose positions are texels; other lengths
go element by element. SEQUENTIAL_MAX and RADIX in glflow/backends/gl/scan.py come
from this table.
"""
import numpy as np

import glflow as gf
from glflow.backends.gl import scan
from glflow.runtime import state

from . import harness

DESCRIPTION = "cumsum along rows of ~1M elements: one sequential pass vs radix-r passes"
ELEMENTS = 1 << 20
LENGTHS = (7, 13, 17, 33, 65, 257, 1001, 16, 32, 64, 128, 256, 1000, 4096, 65536)
QUICK_LENGTHS = (13, 33, 64, 1000)


def _gl_scan(backend, data, shape, terms):

    def run():
        with backend.gl:
            backend.free(scan.run(backend, "cumsum", data, shape, 1, False, False, terms))
    return run


def case(length, reps):
    backend = state.backend()
    shape = (ELEMENTS // length, length)
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x = gf.tensor(a)
    data = x._storage.handle
    path = scan.variant(length, 1)
    units = length // 4 if path == "ROW4" else length
    options = [t for t in (2, 4, 8, 16, 32) if t < units] + ([units] if units <= 256 else [])
    fns = [_gl_scan(backend, data, shape, t) for t in options] + [lambda: np.cumsum(a, 1)]
    times = harness.measure_interleaved(fns, reps=reps, warmup=2)
    row = {"length": length, "path": path or "elements", "positions": units,
           "chosen_terms": scan._terms(units), "numpy_ms": times[-1] * 1e3}
    row.update({f"radix{t}_ms": None for t in (2, 4, 8, 16, 32)}, sequential_ms=None)
    for t, s in zip(options, times):
        row["sequential_ms" if t == units else f"radix{t}_ms"] = s * 1e3
    return row


def run(quick=False):
    reps = 3 if quick else 7
    rows = [case(n, reps) for n in (QUICK_LENGTHS if quick else LENGTHS)]
    chosen = []
    for r in rows:
        times = {k: v for k, v in r.items()
                 if k.endswith("_ms") and k != "numpy_ms" and v is not None}
        key = "sequential_ms" if r["chosen_terms"] == r["positions"] else \
            f"radix{r['chosen_terms']}_ms"
        chosen.append(r[key] / min(times.values()))
    summary = {"chosen_over_best_median": float(np.median(chosen)),
               "chosen_over_best_worst": max(chosen),
               "gl_over_numpy_at_1000": next((r[("radix8_ms")] / r["numpy_ms"] for r in rows
                                              if r["length"] == 1000), None)}
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": 2,
                                                           "elements": ELEMENTS}}
