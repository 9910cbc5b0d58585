"""Stress the GL backend: random small elementwise ops with broadcasting, matmuls and convs,
compiled graphs (a fused pass with two outputs, prepared single draws, a matmul epilogue),
with the texture pool's budget cut to 1 MiB so released textures (and the framebuffers over
them) are deleted all the time; every read result is checked against numpy.

It was written to chase an intermittent heap corruption on llvmpipe: with rasteriser threads,
llvmpipe (Mesa 22.3) can free a finished scene's fence while a worker thread is still
unlocking it. glflow guards against it (glflow/backends/gl/fences.py); `--no-guard` turns the
guard off to reproduce the race. Run it with rasteriser threads (glflow takes Mesa's default,
one per CPU; LP_NUM_THREADS=2 makes it explicit), alone or many times under load with
scripts/stress_threads.py.
Usage:

    LP_NUM_THREADS=2 python scripts/stress_gl.py [seed] [seconds] [--no-guard]
"""
import faulthandler
import sys
import time

import numpy as np

import glflow as gf


def main(seed=0, seconds=120.0, guard=True):
    faulthandler.enable()
    rng = np.random.default_rng(seed)
    backend = gf.runtime.state.backend()
    if not guard:
        backend._fences = None  # the draws are no longer handed to the fence guard
    backend.pool.budget = 1 << 20  # churn: most released textures are deleted at once
    ops = [(gf.add, np.add), (gf.mul, np.multiply), (gf.sub, np.subtract),
           (gf.maximum, np.maximum),
           (lambda a, c: gf.where(a > c, a, c), lambda a, c: np.where(a > c, a, c))]

    @gf.function
    def fused(a, m):  # a matmul with its epilogue, then a fused pass with two outputs
        h = gf.relu(gf.matmul(a, m) + 0.5)
        return gf.tanh(h) * 2.0 - h, h * h

    @gf.function(optimize=False)
    def unfused(a):  # one prepared draw per op
        return gf.sub(gf.mul(a, a), a)
    start, n = time.time(), 0
    while time.time() - start < seconds:
        shape = tuple(int(s) for s in rng.integers(1, 40, size=rng.integers(1, 4)))
        a_np = rng.standard_normal(shape).astype(np.float32)
        c_np = rng.standard_normal(shape[-1:]).astype(np.float32)
        gl_op, np_op = ops[n % len(ops)]
        y = gl_op(gf.tensor(a_np), gf.tensor(c_np)) * 2.0 + 1.0
        if n % 7 == 0:
            m = gf.tensor(rng.standard_normal((shape[0] * 3 + 1, 9)).astype(np.float32))
            gf.matmul(m, gf.transpose(m))
        if n % 11 == 0:
            x = gf.tensor(rng.standard_normal((2, 9, 9, 4)).astype(np.float32))
            f = gf.tensor(rng.standard_normal((3, 3, 4, 8)).astype(np.float32))
            gf.conv2d(x, f, 1, "same")
        if n % 97 == 0:  # a product over several 64 x 64 tiles: both rasterisers draw it
            big = gf.tensor(rng.standard_normal((300, 200)).astype(np.float32))
            gf.matmul(big, gf.transpose(big))
        if n % 5 == 0:
            a2 = rng.standard_normal((shape[0] + 16, 24)).astype(np.float32)
            m2 = rng.standard_normal((24, 20)).astype(np.float32)
            p, q = fused(gf.tensor(a2), gf.tensor(m2))
            r = unfused(gf.tensor(a2))
            if n % 65 == 0:
                h = np.maximum(a2 @ m2 + np.float32(0.5), 0)
                if not (np.allclose(p.numpy(), np.tanh(h) * 2 - h, rtol=1e-4, atol=1e-4)
                        and np.allclose(q.numpy(), h * h, rtol=1e-4, atol=1e-3)
                        and np.allclose(r.numpy(), a2 * a2 - a2, rtol=1e-6, atol=1e-6)):
                    raise AssertionError(f"round {n}: wrong values from the compiled graphs")
        if n % 13 == 0:
            want = np_op(a_np, c_np) * np.float32(2.0) + np.float32(1.0)
            if not np.allclose(y.numpy(), want, rtol=1e-6, atol=1e-6):
                raise AssertionError(f"round {n}: wrong values for shape {shape}")
        n += 1
        if n % 10000 == 0:
            print(f"{n} ops-rounds, {time.time() - start:.0f} s", flush=True)
    print(f"ok: {n} rounds, {backend.programs.compiles} programs compiled")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 0, float(args[1]) if len(args) > 1 else 120.0,
         guard="--no-guard" not in sys.argv)
