"""The measurements behind two rules of graph mode's elementwise fusion
(glflow/graph/passes/fuse_elementwise.py), cases of the 'graph' suite:

- `duplicate_or_store_<kind>`: a value v = chain(x) of `ops` kernels read by a reduction and by
  the pass that needs the reduction's result (y = v * sum(v): one pass cannot compute both).
  Stored: v in a pass of its own, read back by the sum and by y (3 kernels). Duplicated: the
  sum's prologue and y's pass each compute v from x (2 kernels). Compiled both ways
  (DUPLICATE_BUDGET 0 against duplication of every kind) at a small and a large size, in
  interleaved rounds: `store_over_duplicate` > 1 means duplicating wins;
- `unrolled_steps`: K Mandelbrot iterations in one function, fused into one kernel of ~13 K
  ops: trace + passes, first run (the shader compile) and steady time per iteration, by K.
"""
import contextlib
import time

import numpy as np

import glflow as gf
from glflow.graph.passes import fuse_elementwise
from glflow.runtime import registry

from . import harness

CHAIN_OPS = {"full": (1, 2, 4, 8), "quick": (1, 4), "tiny": (1, 2)}
SIZES = {"full": (1 << 16, 4 << 20), "quick": (1 << 16, 4 << 20), "tiny": (4096,)}
UNROLLS = {"full": (1, 4, 16, 32), "quick": (1, 16), "tiny": (1, 4)}
KINDS = {"cheap": lambda v: v * 1.01 - 0.5,   # two cheap ops a link: mul, sub
         "tanh": gf.tanh}                     # a transcendental one


@contextlib.contextmanager
def rules(budget, cheap):
    """Trace under other duplication rules (fuse_elementwise's module settings)."""
    saved = fuse_elementwise.DUPLICATE_BUDGET, fuse_elementwise.CHEAP
    fuse_elementwise.DUPLICATE_BUDGET, fuse_elementwise.CHEAP = budget, frozenset(cheap)
    try:
        yield
    finally:
        fuse_elementwise.DUPLICATE_BUDGET, fuse_elementwise.CHEAP = saved


def _shared(kind, links):
    def f(x):
        v = x
        for _ in range(links):
            v = KINDS[kind](v)
        return v * gf.sum(v)
    return f


def duplicate_or_store(kind, size):
    reps, warmup = {"full": (11, 2), "quick": (5, 2), "tiny": (1, 0)}[size]
    everything = set(registry.REGISTRY)
    row = {}
    for n in SIZES[size]:
        x = gf.tensor(np.random.default_rng(0).uniform(-1, 1, n).astype(np.float32))
        for links in CHAIN_OPS[size]:
            fn = _shared(kind, links)
            stored, duplicated = gf.function(fn), gf.function(fn)
            with rules(0, ()):
                a = stored(x).numpy()
            with rules(10 ** 6, everything):
                b = duplicated(x).numpy()
            want = fn(x).numpy()
            key = f"{links}links_{n}"
            row[f"correct_{key}"] = bool(np.array_equal(a, want) and np.array_equal(b, want))
            row[f"kernels_store_{key}"] = len(gf.profile(lambda: stored(x)).kernel_names)
            row[f"kernels_duplicate_{key}"] = len(gf.profile(lambda: duplicated(x)).kernel_names)
            t_store, t_dup = harness.measure_interleaved(
                [lambda: stored(x), lambda: duplicated(x)], reps=reps, warmup=warmup)
            row[f"store_ms_{key}"] = t_store * 1e3
            row[f"duplicate_ms_{key}"] = t_dup * 1e3
            row[f"store_over_duplicate_{key}"] = t_store / t_dup
    row["correct"] = all(v for k, v in row.items() if k.startswith("correct_"))
    row["ms"] = row[f"duplicate_ms_{CHAIN_OPS[size][-1]}links_{SIZES[size][-1]}"]
    return row


def _mandelbrot(k):
    def steps(c_re, c_im, z_re, z_im, count):
        for _ in range(k):
            re2, im2 = z_re * z_re, z_im * z_im
            inside = (re2 + im2) <= 4.0
            z_re, z_im = (gf.where(inside, re2 - im2 + c_re, z_re),
                          gf.where(inside, (z_re * 2.0) * z_im + c_im, z_im))
            count = count + gf.cast(inside, "float32")
        return z_re, z_im, count
    return steps


def unrolled_steps(size):
    side = 64 if size == "tiny" else 512
    axis = np.linspace(-2, 1, side, dtype=np.float32)
    c_re, c_im = (gf.tensor(a) for a in np.meshgrid(axis, axis))
    zero = gf.zeros_like(c_re)
    args = (c_re, c_im, zero, zero, zero)
    row = {"elements": side * side}
    for k in UNROLLS[size]:
        fn = gf.function(_mandelbrot(k))
        start = time.perf_counter()
        concrete = fn.get_concrete_function(*args)
        traced = time.perf_counter()
        fn(*args)[2].numpy()
        first = time.perf_counter()
        steady = harness.measure(lambda: fn(*args), reps=1 if size == "tiny" else 5,
                                 warmup=0 if size == "tiny" else 1)
        nodes = concrete.graph.kernel_nodes()
        row[f"K{k}_kernels"] = len(nodes)
        row[f"K{k}_ops"] = sum(len(n.attrs["program"][0]) for n in nodes if n.name == "fused")
        row[f"K{k}_trace_and_passes_ms"] = (traced - start) * 1e3
        row[f"K{k}_first_run_ms"] = (first - traced) * 1e3
        row[f"K{k}_ms_per_iteration"] = steady * 1e3 / k
    row["correct"] = True
    row["ms"] = row[f"K{UNROLLS[size][-1]}_ms_per_iteration"]
    return row
