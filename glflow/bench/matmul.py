"""matmul: square float32 C = A B, GL (gf.matmul: pack, MRT block product, unpack) vs numpy
(`np.matmul(a, b, out=c)`, OpenBLAS), in GFLOP/s = 2 n^3 / seconds.

The GL time is the whole op a user calls, packing and unpacking passes included, one op then
gf.finish(). The target is >= 10 GFLOP/s at n = 1024 on llvmpipe (2 cores).

GL and numpy are timed in separate phases of the same run (all GL sizes, then all numpy sizes
and the float64 reference), not interleaved: OpenBLAS's worker threads spin on after each call
and take the cores llvmpipe needs (a 256^2 GL matmul right after numpy's took 9.4 ms instead
of 5.7), and sleeping that off before each GL sample let the machine go cold instead (n = 128
took 2.4 ms instead of 1.1).
"""
import numpy as np

import glflow as gf

from . import harness

DESCRIPTION = "square matmul: GL vs numpy GFLOP/s, by n"
SIZES = (128, 256, 512, 1024)
QUICK_SIZES = (128, 512)
TARGET_GFLOPS = 10.0
TARGET_N = 1024


def _operands(n):
    rng = np.random.default_rng(n)
    return (rng.standard_normal((n, n), dtype=np.float32),
            rng.standard_normal((n, n), dtype=np.float32))


def gl_case(n, reps):
    """Median seconds of gf.matmul at n, and its result (checked later, away from GL timing)."""
    a_np, b_np = _operands(n)
    a, b = gf.tensor(a_np), gf.tensor(b_np)

    def gl_matmul():
        gf.matmul(a, b)
    return harness.measure(gl_matmul, reps=reps, warmup=2), gf.matmul(a, b).numpy()


def numpy_case(n, reps, gl_seconds, gl_result):
    a_np, b_np = _operands(n)
    c_np = np.empty((n, n), np.float32)

    def numpy_matmul():
        np.matmul(a_np, b_np, out=c_np)
    t_np = harness.measure(numpy_matmul, reps=reps, warmup=2,
                           inner=max(1, int(2 ** 27 // n ** 3)), sync=False)
    want = a_np.astype(np.float64) @ b_np.astype(np.float64)
    err = float(np.max(np.abs(gl_result - want)) / np.max(np.abs(want)))
    flop = 2.0 * n ** 3
    return {"n": n, "gl_ms": gl_seconds * 1e3, "numpy_ms": t_np * 1e3,
            "gl_GFLOPs": flop / gl_seconds / 1e9, "numpy_GFLOPs": flop / t_np / 1e9,
            "ratio_gl_over_numpy": gl_seconds / t_np, "max_rel_err": err, "correct": err < 1e-4}


def run(quick=False):
    sizes = QUICK_SIZES if quick else SIZES
    reps = 5 if quick else 9
    gl = [gl_case(n, reps) for n in sizes]  # every GL timing before any BLAS call
    rows = [numpy_case(n, reps, t, result) for n, (t, result) in zip(sizes, gl)]
    summary = {}
    at_target = [r for r in rows if r["n"] == TARGET_N]
    if at_target:
        gflops = at_target[0]["gl_GFLOPs"]
        summary = {"gl_GFLOPs_at_1024": gflops,
                   "target": f">= {TARGET_GFLOPS} GFLOP/s at n = {TARGET_N}",
                   "target_met": gflops >= TARGET_GFLOPS}
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": 2}}
