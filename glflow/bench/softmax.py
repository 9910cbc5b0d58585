"""softmax: softmax over the last axis of [1024, 1000] on GL vs numpy, in one run.

GL runs the logsumexp pair reduction (each row's max and sum of exp(x - max); its first pass
split so both llvmpipe threads work) and one normalising pass. Also timed, from the same
interleaved rounds: log_softmax, and softmax composed from five ops (max, sub, exp, sum, div)
to show what the dedicated kernels save. Target: GL within 3x of numpy on llvmpipe.
"""
import numpy as np

import glflow as gf
from glflow.backends.gl.reduction import plan

from . import harness

DESCRIPTION = "softmax [1024, 1000] last axis: GL vs numpy (target <= 3x)"
SHAPE = (1024, 1000)
TARGET_RATIO = 3.0


def numpy_softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def composed_softmax(x):
    e = gf.exp(gf.sub(x, gf.max(x, -1, keepdims=True)))
    return gf.div(e, gf.sum(e, -1, keepdims=True))


def run(quick=False, shape=SHAPE):
    reps = 7 if quick else 31
    rows_n, length = shape
    a = (np.random.default_rng(0).standard_normal(shape) * 3).astype(np.float32)
    x = gf.tensor(a)
    variants = [("gl softmax", lambda: gf.softmax(x)),
                ("gl log_softmax", lambda: gf.log_softmax(x)),
                ("gl softmax from 5 ops", lambda: composed_softmax(x)),
                ("numpy softmax", lambda: numpy_softmax(a))]
    times = harness.measure_interleaved([fn for _, fn in variants], reps=reps, warmup=3)
    passes = len(plan(rows_n, length, per_texel=2, extra_pass=True)) + 1
    rows = [{"variant": name, "ms": t * 1e3, "over_numpy": t / times[-1]}
            for (name, _), t in zip(variants, times)]
    rows[0]["passes"] = passes
    ratio = times[0] / times[-1]
    error = float(np.max(np.abs(gf.softmax(x).numpy() - numpy_softmax(a))))
    summary = {"shape": list(shape), "gl_softmax_passes": passes,
               "ratio_gl_over_numpy": ratio, "target": f"GL/numpy <= {TARGET_RATIO}x",
               "target_met": ratio <= TARGET_RATIO,
               "composed_over_dedicated": times[2] / times[0],
               "max_abs_error_vs_numpy": error}
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": 3}}
