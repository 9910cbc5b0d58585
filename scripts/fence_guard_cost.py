"""What the fence guard (glflow/backends/gl/fences.py) costs: the same ops with the guard on
and off, in one process with rasteriser threads, interleaved round by round; medians of
per-round ratios, wall and this thread's CPU time (the host side: Python, driver submission,
the guard's sync objects). Turning the guard off brings Mesa's fence race back for the
duration, so a run may crash: this is a measurement script, not a mode. Usage:

    LP_NUM_THREADS=2 python scripts/fence_guard_cost.py [rounds]
"""
import os
import statistics
import sys

import numpy as np

import glflow as gf
from glflow.bench import harness
from glflow.runtime import state


def chain(t, ops):
    def run():
        y = t
        for _ in range(ops):
            y = y + 1.0
    return run


def main(rounds=9):
    backend = state.backend()
    guard = backend._fences
    if guard is None:
        raise SystemExit("no guard in this process: run with LP_NUM_THREADS=2 on llvmpipe")
    rng = np.random.default_rng(0)
    small = gf.tensor(rng.standard_normal(16).astype(np.float32))
    large = gf.tensor(rng.standard_normal(1 << 20).astype(np.float32))
    a = gf.tensor(rng.standard_normal((256, 256)).astype(np.float32))
    cases = {"200 dependent adds of 16 elements": (chain(small, 200), 200),
             "20 dependent adds of 1M elements": (chain(large, 20), 20),
             "4 matmuls 256^3": (lambda: [gf.matmul(a, a) for _ in range(4)], 4)}
    print(f"LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS')}, load "
          f"{[round(x, 2) for x in os.getloadavg()]}")
    for name, (fn, ops) in cases.items():
        def on():
            backend._fences = guard
            fn()

        def off():
            backend._fences = None
            fn()
        wall, cpu = [], []
        harness.measure_interleaved([on, off], reps=rounds, clock=wall, cpu_clock=cpu)
        backend._fences = guard
        ratio = statistics.median(x / y for x, y in zip(*wall))
        cpu_ratio = statistics.median(x / y for x, y in zip(*cpu))
        extra = statistics.median(x - y for x, y in zip(*cpu)) / ops
        print(f"{name}: guard on / off: wall {ratio:.3f}x, thread CPU {cpu_ratio:.3f}x "
              f"({extra * 1e6:+.1f} us CPU per op); on {statistics.median(wall[0]) * 1e3:.2f} ms,"
              f" off {statistics.median(wall[1]) * 1e3:.2f} ms")
    print(f"syncs held at the end: {guard.held()}; load {[round(x, 2) for x in os.getloadavg()]}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
