"""scaling: time per op against size for four op families, on GL and on the numpy backend,
for `--plot` (plot.py): where does GL start to pay?

Families (size axis): add (elements), sum of all elements (elements), square matmul (n),
conv2d 3x3 same with 32 -> 32 channels on one [1, s, s, 32] image (s). Each point is one op
then `gf.finish()` (the latency a dependent next op sees; no read-back), the median of
`harness.measure`'s samples after warm-up. Every GL point runs before any numpy point: OpenBLAS
threads spin on after a numpy matmul and take the cores llvmpipe draws on (bench/matmul.py).
Each point's result is checked against float64 numpy first (`correct`).
"""
import functools

import numpy as np

import glflow as gf

from . import harness
from .runner import Case

DESCRIPTION = "time per op vs size, GL and the numpy backend, four op families (for --plot)"
BACKENDS = ("gl", "cpu")
ELEMENTS = {"full": (1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22),
            "quick": (1 << 12, 1 << 16, 1 << 20), "tiny": (256, 4096)}
SIZES = {
    "add": ELEMENTS,
    "sum": ELEMENTS,
    "matmul": {"full": (32, 64, 128, 256, 512), "quick": (32, 128, 512), "tiny": (8, 16)},
    "conv2d": {"full": (8, 16, 32, 64), "quick": (8, 32), "tiny": (4, 8)},
}
AXES = {"add": "elements", "sum": "elements", "matmul": "n (n x n times n x n)",
        "conv2d": "s (image [1, s, s, 32], 3x3 filter to 32 channels)"}
CHANNELS = 32
REPS = {"full": 7, "quick": 5, "tiny": 1}


def _inputs(family, size):
    """(op on glflow tensors, numpy arrays, float64 reference of the op)."""
    rng = np.random.default_rng(size)
    if family in ("add", "sum"):
        a = rng.standard_normal(size, dtype=np.float32)
        b = rng.standard_normal(size, dtype=np.float32)
        if family == "add":
            return gf.add, (a, b), lambda: a.astype(np.float64) + b
        return gf.sum, (a,), lambda: a.astype(np.float64).sum()
    if family == "matmul":
        a = rng.standard_normal((size, size), dtype=np.float32)
        b = rng.standard_normal((size, size), dtype=np.float32)
        return gf.matmul, (a, b), lambda: a.astype(np.float64) @ b
    x = rng.standard_normal((1, size, size, CHANNELS), dtype=np.float32)
    f = (rng.standard_normal((3, 3, CHANNELS, CHANNELS)) * 0.1).astype(np.float32)
    conv = functools.partial(gf.conv2d, strides=1, padding="same")
    return conv, (x, f), lambda: _conv_reference(x, f)


def _conv_reference(x, f):
    padded = np.pad(x.astype(np.float64), [(0, 0), (1, 1), (1, 1), (0, 0)])
    win = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
    return np.einsum("nhwcij,ijco->nhwo", win, f.astype(np.float64))


def point(family, backend, size, reps):
    previous = gf.get_backend()
    gf.set_backend(backend)
    try:
        op, arrays, reference = _inputs(family, size)
        tensors = [gf.tensor(a) for a in arrays]
        want = reference()
        got = op(*tensors).numpy()
        error = float(np.max(np.abs(got - want)) / max(1e-30, float(np.max(np.abs(want)))))

        def call():
            op(*tensors)
        elements = int(np.prod(arrays[0].shape))
        inner = 1 if backend == "gl" else harness.inner_for(elements, budget=1_000_000)
        seconds = harness.measure(call, reps=reps, warmup=2, inner=inner)
        return {"family": family, "backend": backend, "size": size, "ms": seconds * 1e3,
                "max_rel_err": error, "correct": error < 1e-4}
    finally:
        gf.empty_cache()
        gf.set_backend(previous)


def cases(size):
    reps = REPS[size]
    return [Case(f"{family} {backend} {n}", functools.partial(point, family, backend, n, reps))
            for backend in BACKENDS for family, sizes in SIZES.items() for n in sizes[size]]


def settings(size):
    return {"reps": REPS[size], "warmup": 2, "channels": CHANNELS, "axes": AXES}


def summarize(rows, size):
    """Per family: the GL / numpy time ratio at its smallest and largest size."""
    times = {(r["family"], r["backend"], r["size"]): r["ms"] for r in rows if "ms" in r}
    out = {}
    for family, sizes in SIZES.items():
        for label, n in (("smallest", sizes[size][0]), ("largest", sizes[size][-1])):
            gl, cpu = times.get((family, "gl", n)), times.get((family, "cpu", n))
            if gl and cpu:
                out[f"{family}_gl_over_numpy_at_{label}"] = gl / cpu
    return out
