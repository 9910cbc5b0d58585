"""interop: a rendered frame into a tensor and a tensor into a texture, on the GPU vs through
the host, per frame size (full and quick: 256, 512, 1024, 2048 pixels square; tiny: 16, 64).

- from_texture_<n>: an RGBA8 texture of glflow's context (a rendered frame) -> a [n, n, 4]
  float32 tensor in one shader pass (gf.from_texture), against what a user does without it:
  read the texture back (texture.read), convert in numpy (flip rows, / 255) and upload the
  array (gf.tensor).
- to_texture_<n>: a [n, n, 4] tensor -> a new RGBA32F texture (tensor.to_texture), against
  tensor.numpy(), flipping the rows and uploading into a new texture.
The two variants of a case take turns in every round (harness.measure_interleaved), medians
after warm-up, gf.finish() before each clock stops; both results are compared with the
expected values before timing (`correct`). `host_over_interop` > 1: interop is faster.
"""
import functools

import numpy as np

import glflow as gf

from . import harness
from .runner import Case

DESCRIPTION = "from_texture / to_texture vs read back + re-upload, frames 256..2048 square"
SIZES = {"full": (256, 512, 1024, 2048), "quick": (256, 512, 1024, 2048), "tiny": (16, 64)}
REPS = {"full": 15, "quick": 5, "tiny": 1}


def _frame(n):
    """An RGBA8 texture of glflow's context holding random pixels (the "rendered frame")."""
    pixels = np.random.default_rng(n).integers(0, 256, (n, n, 4), dtype=np.uint8)
    with gf.gl_section() as ctx:
        return ctx.texture((n, n), 4, data=pixels.tobytes()), pixels


def _through_host_in(texture, n):
    with gf.gl_section():
        raw = texture.read()
    pixels = np.frombuffer(raw, np.uint8).reshape(n, n, 4)[::-1]
    return gf.tensor(pixels.astype(np.float32) / np.float32(255))


def _through_host_out(tensor, n):
    values = np.ascontiguousarray(tensor.numpy()[::-1])
    with gf.gl_section() as ctx:
        ctx.texture((n, n), 4, data=values.tobytes(), dtype="f4").release()


def _interop_out(tensor):
    with gf.gl_section():
        tensor.to_texture().release()


def _row(n, times, correct):
    return {"size": n, "interop_ms": times[0] * 1e3, "through_host_ms": times[1] * 1e3,
            "host_over_interop": times[1] / times[0], "correct": correct}


def from_texture_case(n, reps):
    texture, pixels = _frame(n)
    try:
        want = pixels[::-1].astype(np.float32) / np.float32(255)
        correct = (np.array_equal(gf.from_texture(texture).numpy(), want)
                   and np.array_equal(_through_host_in(texture, n).numpy(), want))
        times = harness.measure_interleaved(
            [lambda: gf.from_texture(texture), lambda: _through_host_in(texture, n)],
            reps=reps, warmup=2)
    finally:
        with gf.gl_section():
            texture.release()
    return _row(n, times, correct)


def to_texture_case(n, reps):
    values = np.random.default_rng(n).random((n, n, 4), dtype=np.float32)
    tensor = gf.tensor(values)
    texture = tensor.to_texture()
    with gf.gl_section():
        correct = texture.read() == np.ascontiguousarray(values[::-1]).tobytes()
        texture.release()
    times = harness.measure_interleaved(
        [lambda: _interop_out(tensor), lambda: _through_host_out(tensor, n)],
        reps=reps, warmup=2)
    return _row(n, times, correct)


def cases(size):
    reps = REPS[size]
    found = [Case(f"from_texture_{n}", functools.partial(from_texture_case, n, reps))
             for n in SIZES[size]]
    found += [Case(f"to_texture_{n}", functools.partial(to_texture_case, n, reps))
              for n in SIZES[size]]
    return found


def summarize(rows, size):
    summary = {f"{r['case']}_host_over_interop": r["host_over_interop"]
               for r in rows if "host_over_interop" in r}
    summary["all_correct"] = all(r.get("correct") for r in rows)
    return summary


def settings(size):
    return {"reps": REPS[size], "warmup": 2, "frame": "RGBA8 in, RGBA32F out"}
