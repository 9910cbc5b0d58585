"""scan: the GL block scan's block size, measured. For each axis length, a cumsum of a
~1M-element tensor along its last axis (and, for a few lengths, along its first axis: inner
sizes of a multiple of 4 take INNER4, 4 lines per texel; others go element by element) with
each candidate block size (positions) of glflow/backends/gl/scan.py at the top level, next to
the kernel as glflow plans it (`gl_ms`) and numpy.cumsum, from the same interleaved rounds.
Rows of a multiple of 4 take ROW4 (blocks of whole texels: only multiples of 4 are
candidates); other rows take ROW (blocks of 4 to 16). A candidate at least as long as the
axis is the one-pass sequential scan. BLOCKS and SEQUENTIAL in glflow/backends/gl/scan.py
come from this table. (The radix-r log-step scan this replaced is gone; its figures are in
the git history of benchmarks/results/scan.json.)
"""
import numpy as np

import glflow as gf
from glflow.backends.gl import scan
from glflow.runtime import state

from . import harness

DESCRIPTION = "cumsum of ~1M elements along rows (and columns): block scan by block size"
ELEMENTS = 1 << 20
CANDIDATES = (2, 4, 8, 16, 32, 64)
# (axis length, axis): axis 1 scans rows (ROW4 or elements), axis 0 columns (INNER4)
CASES = ((7, 1), (13, 1), (17, 1), (33, 1), (65, 1), (257, 1), (1001, 1), (16, 1), (32, 1),
         (64, 1), (128, 1), (256, 1), (1000, 1), (4096, 1), (65536, 1), (13, 0), (1000, 0))
QUICK_CASES = ((13, 1), (64, 1), (1000, 1), (1001, 1), (1000, 0))


def _gl_scan(backend, data, shape, axis, block):

    def run():
        with backend.gl:
            backend.free(scan.run(backend, "cumsum", data, shape, axis, False, False, block))
    return run


def case(length, axis, reps):
    backend = state.backend()
    shape = (ELEMENTS // length, length) if axis == 1 else (length, ELEMENTS // length)
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    data = gf.tensor(a)._storage.handle
    inner = 1 if axis == 1 else shape[1]
    path = scan.variant(length, inner)
    # candidates past the first that covers the axis would all be the same sequential pass
    options = [b for b in CANDIDATES if (path != "ROW4" or b % 4 == 0) and
               (path != "ROW" or 4 <= b <= 16)]
    options = [b for b in options if b < length] + [b for b in options if b >= length][:1]
    fns = [_gl_scan(backend, data, shape, axis, b) for b in options]
    fns += [_gl_scan(backend, data, shape, axis, None), lambda: np.cumsum(a, axis)]
    times = harness.measure_interleaved(fns, reps=reps, warmup=2)
    chosen = scan.BLOCKS[path]
    row = {"length": length, "axis": axis, "path": path or "elements",
           "chosen_block": chosen, "numpy_ms": times[-1] * 1e3}
    row.update({f"block{b}_ms": None for b in CANDIDATES})
    for b, s in zip(options, times):
        row[f"block{b}_ms"] = s * 1e3
    row["gl_ms"] = times[-2] * 1e3  # the kernel as it runs (glflow's plan)
    row["gl_over_numpy"] = row["gl_ms"] / row["numpy_ms"]
    return row


def run(quick=False):
    reps = 3 if quick else 7
    rows = [case(n, axis, reps) for n, axis in (QUICK_CASES if quick else CASES)]
    chosen = []
    for r in rows:
        times = [v for k, v in r.items() if k.startswith("block") and v is not None]
        times.append(r["gl_ms"])
        chosen.append(r["gl_ms"] / min(times))
    summary = {"chosen_over_best_median": float(np.median(chosen)),
               "chosen_over_best_worst": max(chosen),
               "gl_over_numpy_at_1000": next((r["gl_over_numpy"] for r in rows
                                              if r["length"] == 1000 and r["axis"] == 1), None),
               "gl_over_numpy_worst": max(r["gl_over_numpy"] for r in rows)}
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": 2,
                                                           "elements": ELEMENTS,
                                                           "candidates": list(CANDIDATES)}}
