"""Time this checkout's GL matmul and direct conv against another revision's, in one process.

The base revision's glflow/backends/gl/matmul.py and conv_direct.py, and the shaders they
load, are read with `git show` and run as modules of their own on the same GL backend, so both
kernels share one context, one texture pool and one load: each round runs every case once
per kernel, in turn, and the figures are medians of per-round ratios (base time / this time,
> 1 means this checkout is faster). Each sample is one op plus gf.finish(); wall time and
CPU time (the whole process: llvmpipe's rasteriser threads included) are both reported, the
load average too. Usage:

    python scripts/compare_kernels.py [--base main] [--rounds 7] [--cases matmul256,conv]

Run it with LP_NUM_THREADS=2 to compare with rasteriser threads (glflow's own context has
none unless the variable is set).
"""
import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import glflow as gf
from glflow.backends.gl import conv_direct, matmul
from glflow.runtime import state
from glflow.runtime.views import MatrixView

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git_show(revision, path):
    return subprocess.run(["git", "-C", ROOT, "show", f"{revision}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def base_module(revision, name, shaders):
    """glflow/backends/gl/<name>.py at `revision`, its shader loads served from `revision`
    (and `shaders`, a dict shared by the base modules so matmul's helpers reach conv_direct)."""
    source = git_show(revision, f"glflow/backends/gl/{name}.py")
    spec = importlib.util.spec_from_loader(f"glflow.backends.gl._base_{name}", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "glflow.backends.gl"

    def load(shader):
        if shader not in shaders:
            shaders[shader] = git_show(revision, f"shaders/{shader}")
        return shaders[shader]
    exec(compile(source, f"{revision}:{name}.py", "exec"), module.__dict__)
    module.load = load
    return module


def matmul_case(n):
    rng = np.random.default_rng(n)
    a = gf.tensor(rng.standard_normal((n, n), dtype=np.float32))
    b = gf.tensor(rng.standard_normal((n, n), dtype=np.float32))
    view = MatrixView(n, n, n * n, n, 1)

    def run(module):
        backend = state.backend()
        with backend.gl:
            return module.run(backend, _handle(a), view, _handle(b), view, 1, n, n, n)
    return f"matmul{n}", 2.0 * n ** 3, run, lambda out: _read(out, (n, n))


def conv_case(shape=(1, 64, 64, 32), filter_shape=(3, 3, 32, 32)):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape, dtype=np.float32)
    f_np = rng.standard_normal(filter_shape, dtype=np.float32)
    x, f = gf.tensor(x_np), gf.tensor(f_np)
    n, h, w, c = shape
    size = n * h * w * filter_shape[3]

    def run(module):
        backend = state.backend()
        with backend.gl:
            out = backend._alloc(size)
            assert module.run(backend, _handle(x), _handle(f), out, shape, filter_shape, (h, w),
                              (1, 1), (1, 1), (1, 1), (1, 1), 1, size)
        return out
    flop = 2.0 * n * h * w * filter_shape[3] * 9 * c
    return "conv", flop, run, lambda out: _read(out, (n, h, w, filter_shape[3]))


def _handle(tensor):
    return tensor._storage.handle


def _read(out, shape):
    backend = state.backend()
    values = backend.read(out, shape, "float32")
    backend.free(out)
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cases", default="matmul256,matmul512,matmul1024,conv")
    args = parser.parse_args()
    shaders = {}
    kernels = {"matmul": (base_module(args.base, "matmul", shaders), matmul),
               "conv": (base_module(args.base, "conv_direct", shaders), conv_direct)}
    kernels["conv"][0]._common = kernels["matmul"][0]._common
    kernels["conv"][0].gather_body = kernels["matmul"][0].gather_body
    cases = []
    for name in args.cases.split(","):
        cases.append(matmul_case(int(name[6:])) if name.startswith("matmul") else conv_case())
    print(f"base {args.base} vs this checkout; LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS')}"
          f" (glflow's context: {gf.backend_info().get('llvmpipe_threads')} rasteriser threads)"
          f"; load before {[round(x, 2) for x in os.getloadavg()]}", flush=True)
    for name, flop, run, read in cases:
        base, this = kernels["conv" if name == "conv" else "matmul"]
        results = {}  # warm up (compiles), and the two kernels must agree
        for label, module in (("base", base), ("this", this)):
            results[label] = read(run(module))
        err = float(np.max(np.abs(results["base"] - results["this"]))
                    / np.max(np.abs(results["base"])))
        samples = {"base": [], "this": []}
        for _ in range(args.rounds):
            for label, module in (("base", base), ("this", this)):
                gf.finish()
                cpu, wall = time.process_time(), time.perf_counter()
                state.backend().free(run(module))
                gf.finish()
                samples[label].append((time.perf_counter() - wall, time.process_time() - cpu))
        ratio_wall = statistics.median(b[0] / t[0] for b, t in zip(samples["base"],
                                                                     samples["this"]))
        ratio_cpu = statistics.median(b[1] / t[1] for b, t in zip(samples["base"],
                                                                    samples["this"]))
        line = [f"{name}: max rel diff {err:.1e};"]
        for label in ("base", "this"):
            wall = statistics.median(s[0] for s in samples[label])
            cpu = statistics.median(s[1] for s in samples[label])
            line.append(f"{label} {wall * 1e3:.1f} ms wall ({flop / wall / 1e9:.2f} GFLOP/s), "
                        f"{cpu * 1e3:.1f} ms CPU ({flop / cpu / 1e9:.2f} GFLOP per CPU-s);")
        line.append(f"base/this wall {ratio_wall:.2f}x, CPU {ratio_cpu:.2f}x")
        print(" ".join(line), flush=True)
    print(f"load after {[round(x, 2) for x in os.getloadavg()]}")


if __name__ == "__main__":
    sys.exit(main())
