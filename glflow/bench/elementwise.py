"""elementwise: `add` of two same-shape float32 tensors, GL vs numpy `np.add(a, b, out=c)`.

GL figures per size, from the same interleaved rounds as numpy's:
- gl_ms: gf.add, one op then gf.finish() (the latency a dependent next op would see);
- gl_pipelined_ms: several independent gf.add, one finish (throughput; small sizes are
  otherwise all dispatch and llvmpipe thread wake-ups);
- raw_ms: the same shader on the same input textures drawn with bare moderngl (rawgl), one
  draw then finish: the ceiling glflow can reach on this driver;
- gl_sampler_ms: gf.add as gl_ms, its inputs read through samplers (texelFetch) instead of
  image units (backends/gl/context.py, "Image loads"); where the GL has no image load/store
  both read through samplers.
The ratio that counts is gl_ms / numpy_ms; the target is <= 1.6x at 16M elements on llvmpipe.
"""
import numpy as np

import glflow as gf
from glflow.runtime import state

from . import harness, rawgl

DESCRIPTION = "add a + b: GL vs numpy np.add(out=), by size"
SIZES = (4096, 65536, 1 << 20, 4 << 20, 16 << 20)
QUICK_SIZES = (4096, 1 << 20, 4 << 20)
TARGET_RATIO = 1.6
TARGET_SIZE = 16 << 20


def _label(n):
    return f"{n >> 20}M" if n >= 1 << 20 else f"{n >> 10}K"


def case(n, reps):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(n, dtype=np.float32)
    b_np = rng.standard_normal(n, dtype=np.float32)
    c_np = np.empty_like(a_np)
    a, b = gf.tensor(a_np), gf.tensor(b_np)
    ok = bool(np.array_equal(gf.add(a, b).numpy(), a_np + b_np))
    pipelined = harness.inner_for(n, budget=4_000_000)
    backend = state.backend()
    with backend.gl as ctx:
        raw = rawgl.RawAdd(backend, n)
        out = rawgl.texture(ctx, raw.layout.width, raw.layout.rows)
        fbo = raw.framebuffer(ctx, out)
        tex_a = a._storage.handle.texture.tex
        tex_b = b._storage.handle.texture.tex

    def gl_add():
        gf.add(a, b)

    def gl_add_sampler():
        with harness.image_loads(False):
            gf.add(a, b)

    def raw_add():
        with backend.gl:
            raw.draw(fbo, tex_a, tex_b)

    def numpy_add():
        np.add(a_np, b_np, out=c_np)
    t_gl, t_pipe, t_raw, t_np, t_sampler = harness.measure_interleaved(
        [gl_add, gl_add, raw_add, numpy_add, gl_add_sampler], reps=reps, warmup=2,
        inner=[1, pipelined, 1, harness.inner_for(n), 1], sync=[True, True, True, False, True])
    with backend.gl:
        raw_ok = bool(np.array_equal(np.frombuffer(out.read(), np.float32)[:n], a_np + b_np))
        for obj in (fbo, out, raw):
            obj.release()
    gbs = 12 * n / 1e9  # bytes moved: read a and b, write c
    return {"elements": _label(n), "n": n, "gl_ms": t_gl * 1e3,
            "gl_pipelined_ms": t_pipe * 1e3, "raw_ms": t_raw * 1e3, "numpy_ms": t_np * 1e3,
            "gl_sampler_ms": t_sampler * 1e3, "sampler_over_image": t_sampler / t_gl,
            "ratio_gl_over_numpy": t_gl / t_np, "ratio_pipelined": t_pipe / t_np,
            "ratio_raw_over_numpy": t_raw / t_np, "ratio_gl_over_raw": t_gl / t_raw,
            "gl_GBps": gbs / t_gl, "numpy_GBps": gbs / t_np, "correct": ok and raw_ok}


def run(quick=False):
    sizes = QUICK_SIZES if quick else SIZES
    reps = 5 if quick else 11
    rows = []
    for n in sizes:
        rows.append(case(n, reps))
        gf.empty_cache()  # 16M-element textures are 64 MiB each: do not carry them along
    summary = {}
    at_target = [r for r in rows if r["n"] == TARGET_SIZE]
    if at_target:
        ratio = at_target[0]["ratio_gl_over_numpy"]
        summary = {"ratio_at_16M": ratio,
                   "raw_moderngl_ratio_at_16M": at_target[0]["ratio_raw_over_numpy"],
                   "target": f"GL/numpy <= {TARGET_RATIO}x at 16M elements",
                   "target_met": ratio <= TARGET_RATIO}
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": 2}}
