"""The TensorFlow.js peer harness's timing rule and inputs, so glflow's figures line up with its.

The peer harness (`shared/peers/tfjs/bench_core.js`, outside this repository) times every
case the same way: `warmup` untimed calls, the first of them reported as `cold_ms` (shader
compiles included), then at least `reps` timed calls, continuing up to `max_reps` until
`min_time_s` has been spent, and the median reported (min, max and every sample kept). Each
timed call ends with a full read of its result, which is what makes it synchronous; nothing
else synchronises. Its inputs come from mulberry32, a small seeded generator: `rand_array`
reproduces those numbers exactly, so both harnesses feed identical data.
"""
import statistics
import time
from typing import NamedTuple

import numpy as np


class Rule(NamedTuple):
    warmup: int
    reps: int
    max_reps: int
    min_time_s: float


# full: the peer harness's defaults; quick: the same cases with few calls (a smoke run);
# tiny: one timed call, for tests.
RULES = {"full": Rule(3, 7, 15, 1.0), "quick": Rule(2, 3, 3, 0.0), "tiny": Rule(1, 1, 1, 0.0)}
# The dispatch-overhead case is noisier, so the peer harness runs it longer.
OVERHEAD_RULES = {"full": Rule(3, 7, 31, 3.0), "quick": Rule(2, 3, 3, 0.0),
                  "tiny": Rule(1, 1, 1, 0.0)}


def timeit(fn, rule):
    """Time fn (which must end with a full read of its result) by the peer harness's rule.
    Returns its fields: median_ms, min_ms, max_ms, reps, cold_ms, all_ms."""
    start = time.perf_counter()
    fn()
    cold = time.perf_counter() - start
    for _ in range(rule.warmup - 1):
        fn()
    times = []
    begin = time.perf_counter()
    while len(times) < rule.reps or (time.perf_counter() - begin < rule.min_time_s
                                     and len(times) < rule.max_reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    ms = [t * 1e3 for t in times]
    return {"median_ms": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms),
            "reps": len(ms), "cold_ms": cold * 1e3, "all_ms": [round(t, 3) for t in ms]}


def rand_array(n, seed, scale=1.0):
    """float32 values (u * 2 - 1) * scale, u from mulberry32(seed): the peer harness's
    randArray, value for value. mulberry32's state after i steps is seed + i * 0x6D2B79F5, so
    the whole sequence is computed at once."""
    with np.errstate(over="ignore"):
        a = (np.uint32(seed) + np.arange(1, n + 1, dtype=np.uint32)
             * np.uint32(0x6D2B79F5)).astype(np.uint32)
        t = (a ^ (a >> 15)) * (a | 1)
        t ^= t + (t ^ (t >> 7)) * (t | 61)
        u = (t ^ (t >> 14)).astype(np.float64) / 4294967296.0
    return ((u * 2.0 - 1.0) * scale).astype(np.float32)
