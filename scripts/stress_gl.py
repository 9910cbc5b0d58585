"""Stress the GL backend: random small elementwise ops with broadcasting, matmuls and convs,
with the texture pool's budget cut to 1 MiB so released textures (and the framebuffers over
them) are deleted all the time.

It was written to chase an intermittent heap corruption on llvmpipe. The cause, found from a
core dump: with rasteriser threads, llvmpipe (Mesa 22.3) can free a finished scene's fence
while a worker thread is still unlocking it (see glflow/backends/gl/context.py). glflow now
makes its context with LP_NUM_THREADS=0 unless the user sets it; run this with
LP_NUM_THREADS=2 to put threads back. Under load (two at once) it showed the abort in 2 of its
first 8 runs on 2026-11-29 and in none of about 20 later ones: the race is rare. Usage:

    python scripts/stress_gl.py [seed] [seconds]
"""
import faulthandler
import sys
import time

import numpy as np

import glflow as gf


def main(seed=0, seconds=120.0):
    faulthandler.enable()
    rng = np.random.default_rng(seed)
    backend = gf.runtime.state.backend()
    backend.pool.budget = 1 << 20  # churn: most released textures are deleted at once
    ops = [gf.add, gf.mul, gf.sub, gf.maximum, lambda a, c: gf.where(a > c, a, c)]
    start, n = time.time(), 0
    while time.time() - start < seconds:
        shape = tuple(int(s) for s in rng.integers(1, 40, size=rng.integers(1, 4)))
        a = gf.tensor(rng.standard_normal(shape).astype(np.float32))
        c = gf.tensor(rng.standard_normal(shape[-1:]).astype(np.float32))
        y = ops[n % len(ops)](a, c) * 2.0 + 1.0
        if n % 7 == 0:
            m = gf.tensor(rng.standard_normal((shape[0] * 3 + 1, 9)).astype(np.float32))
            gf.matmul(m, gf.transpose(m))
        if n % 11 == 0:
            x = gf.tensor(rng.standard_normal((2, 9, 9, 4)).astype(np.float32))
            f = gf.tensor(rng.standard_normal((3, 3, 4, 8)).astype(np.float32))
            gf.conv2d(x, f, 1, "same")
        if n % 13 == 0:
            y.numpy()
        n += 1
        if n % 10000 == 0:
            print(f"{n} ops-rounds, {time.time() - start:.0f} s", flush=True)
    print(f"ok: {n} rounds, {backend.programs.compiles} programs compiled")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0,
         float(sys.argv[2]) if len(sys.argv) > 2 else 120.0)
