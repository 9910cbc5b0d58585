"""Raw moderngl prototypes of matmul's MRT product pass (8 rows x 4 columns a fragment), timed
in one process, variants interleaved round by round: the measurements behind
glflow/backends/gl/matmul.py's product loop (benchmarks/README.md, "matmul kernel").

Each variant is one draw of the product pass over pre-packed operands plus ctx.finish();
reported: median CPU time of the process (with LP_NUM_THREADS=0, llvmpipe's whole work) and
wall time, GFLOP per CPU-second, and each variant's speed relative to the first. Results are
checked against numpy (except the diagnostics `a_const`/`b_const`, which replace one
operand's fetches by constants to show what the fetches cost). Usage:

    LP_NUM_THREADS=0 python scripts/matmul_variants.py [n] [rounds] [variant,...]

Variants: fetch (texelFetch, B row-major: glflow before 2026-12), fetch_bcols (texelFetch, B
by column blocks), lod (textureLod, B row-major), lod_bcols, lod_bcols_u2 (glflow's loop: two
k4 steps a turn), lod_bcols_u2_repeat (REPEAT wrapping), lod_acols_bcols_u2 (A's 8 rows of a
k4 step side by side too), a_const, b_const.
"""
import os
import statistics
import sys
import time

os.environ.setdefault("LP_NUM_THREADS", "0")

import moderngl  # noqa: E402
import numpy as np  # noqa: E402

VS = """#version 330
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}"""
ROWS = 8
# name: (fetch, A layout, B layout, k4 steps a turn, wrap, diagnostic)
VARIANTS = {
    "fetch": ("fetch", "rows", "rows", 1, "clamp", None),
    "fetch_bcols": ("fetch", "rows", "cols", 1, "clamp", None),
    "lod": ("lod", "rows", "rows", 1, "clamp", None),
    "lod_bcols": ("lod", "rows", "cols", 1, "clamp", None),
    "lod_bcols_u2": ("lod", "rows", "cols", 2, "clamp", None),
    "lod_bcols_u2_repeat": ("lod", "rows", "cols", 2, "repeat", None),
    "lod_acols_bcols_u2": ("lod", "cols", "cols", 2, "clamp", None),
    "a_const": ("lod", "rows", "cols", 1, "clamp", "a"),
    "b_const": ("lod", "rows", "cols", 1, "clamp", "b"),
}


def source(fetch, a_layout, b_layout, unroll, diagnostic):
    s = ["#version 330", "uniform sampler2D A;", "uniform sampler2D B;", "uniform int n4;",
         "uniform vec2 a_scale;", "uniform vec2 b_scale;"]
    s += [f"layout(location = {r}) out vec4 o{r};" for r in range(ROWS)]
    s += ["void main() {", "    ivec2 p = ivec2(gl_FragCoord.xy);", f"    int i = {ROWS} * p.y;"]
    s += [f"    vec4 c{r} = vec4(0.0);" for r in range(ROWS)]
    if fetch == "lod":
        if a_layout == "cols":
            s += ["    float ay = (float(p.y) + 0.5) * a_scale.y;"]
        else:
            s += [f"    float ay{r} = (float(i + {r}) + 0.5) * a_scale.y;" for r in range(ROWS)]
        s += ["    float ak = 0.5;"]
        s += (["    float by = (float(p.x) + 0.5) * b_scale.y; float bk = 0.5;"]
              if b_layout == "cols" else
              ["    float bx = (float(p.x) + 0.5) * b_scale.x; float bk = 0.5;"])
    s += [f"    for (int k4 = 0; k4 < n4; k4 += {unroll}) {{"]
    for u in range(unroll):
        s += ["        {", f"        int k = 4 * (k4 + {u});"]
        if fetch == "lod":
            a_step = ROWS if a_layout == "cols" else 1
            def a(r):
                return (f"textureLod(A, vec2((ak + {r}.0) * a_scale.x, ay), 0.0)"
                        if a_layout == "cols" else
                        f"textureLod(A, vec2(ak * a_scale.x, ay{r}), 0.0)")

            def b(j):
                return (f"textureLod(B, vec2((bk + {j}.0) * b_scale.x, by), 0.0)"
                        if b_layout == "cols" else
                        f"textureLod(B, vec2(bx, (bk + {j}.0) * b_scale.y), 0.0)")
        else:
            a_step = None

            def a(r):
                return f"texelFetch(A, ivec2(k4 + {u}, i + {r}), 0)"

            def b(j):
                return (f"texelFetch(B, ivec2(k + {j}, p.x), 0)" if b_layout == "cols" else
                        f"texelFetch(B, ivec2(p.x, k + {j}), 0)")
        if diagnostic == "a":
            def a(r):
                return f"vec4(float(k + {r}))"
        if diagnostic == "b":
            def b(j):
                return f"vec4(float(k + {j}))"
        s += ["        mat4 b = mat4(" + ", ".join(b(j) for j in range(4)) + ");"]
        s += [f"        c{r} += b * {a(r)};" for r in range(ROWS)]
        if fetch == "lod":
            s += [f"        ak += {a_step}.0;", "        bk += 4.0;"]
        s += ["        }"]
    s += ["    }"] + [f"    o{r} = c{r};" for r in range(ROWS)] + ["}"]
    return "\n".join(s)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    names = sys.argv[3].split(",") if len(sys.argv) > 3 else list(VARIANTS)
    ctx = moderngl.create_context(standalone=True, backend="egl")
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n), dtype=np.float32)
    b_np = rng.standard_normal((n, n), dtype=np.float32)

    def texture(array):  # array: [height, width, 4]
        tex = ctx.texture((array.shape[1], array.shape[0]), 4,
                          np.ascontiguousarray(array).tobytes(), dtype="f4")
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return tex
    operands = {
        ("A", "rows"): texture(a_np.reshape(n, n // 4, 4)),
        ("A", "cols"): texture(a_np.reshape(n // ROWS, ROWS, n // 4, 4).transpose(0, 2, 1, 3)
                               .reshape(n // ROWS, n // 4 * ROWS, 4)),
        ("B", "rows"): texture(b_np.reshape(n, n // 4, 4)),
        ("B", "cols"): texture(b_np.reshape(n, n // 4, 4).transpose(1, 0, 2)),
    }
    targets = [ctx.texture((n // 4, n // ROWS), 4, dtype="f4") for _ in range(ROWS)]
    fbo = ctx.framebuffer(targets)
    want = a_np @ b_np
    programs = {}
    for name in names:
        fetch, a_layout, b_layout, unroll, wrap, diagnostic = VARIANTS[name]
        prog = ctx.program(vertex_shader=VS,
                           fragment_shader=source(fetch, a_layout, b_layout, unroll, diagnostic))
        a_tex, b_tex = operands["A", a_layout], operands["B", b_layout]
        for uniform, value in (("A", 0), ("B", 1), ("n4", n // 4),
                               ("a_scale", (1 / a_tex.width, 1 / a_tex.height)),
                               ("b_scale", (1 / b_tex.width, 1 / b_tex.height))):
            if uniform in prog:
                prog[uniform].value = value
        programs[name] = (ctx.vertex_array(prog, []), a_tex, b_tex, wrap == "repeat")

    def run(name):
        vao, a_tex, b_tex, repeat = programs[name]
        for tex in (a_tex, b_tex):
            tex.repeat_x = tex.repeat_y = repeat
        fbo.use()
        a_tex.use(0)
        b_tex.use(1)
        vao.render(moderngl.TRIANGLES, vertices=3)
        ctx.finish()
    for name in names:
        run(name)
        got = np.stack([np.frombuffer(t.read(), np.float32).reshape(n // ROWS, n)
                        for t in targets], 1).reshape(n, n)
        err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        if VARIANTS[name][5] is None and err > 1e-5:
            raise AssertionError(f"{name}: relative error {err:.1e}")
    samples = {name: [] for name in names}
    load = os.getloadavg()
    for _ in range(rounds):
        for name in names:
            cpu, wall = time.process_time(), time.perf_counter()
            run(name)
            samples[name].append((time.process_time() - cpu, time.perf_counter() - wall))
    flop = 2.0 * n ** 3
    first = names[0]
    print(f"n = {n}, {rounds} rounds, LP_NUM_THREADS={os.environ['LP_NUM_THREADS']}, "
          f"load {[round(x, 2) for x in load]} -> {[round(x, 2) for x in os.getloadavg()]}")
    for name in names:
        cpu = statistics.median(c for c, _ in samples[name])
        wall = statistics.median(w for _, w in samples[name])
        speed = statistics.median(f[0] / s[0] for f, s in zip(samples[first], samples[name]))
        print(f"{name:22s} CPU {cpu * 1e3:8.1f} ms  wall {wall * 1e3:8.1f} ms  "
              f"{flop / cpu / 1e9:6.2f} GFLOP/CPU-s  {first}/this {speed:.2f}x")


if __name__ == "__main__":
    main()
