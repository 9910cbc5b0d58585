"""Reductions on GL: passes of shaders/templates/reduce.frag until the reduced axis has length 1.

Each pass combines up to CHUNK elements per output, so a reduction of n elements takes
ceil(log_CHUNK(n)) passes: 16M elements in 3 passes.
"""
from .elementwise import kernel_functions
from .programs import load

CHUNK = 1024  # a multiple of 4, so later passes stay texel-aligned


def _source(kernel, variant):
    body = load("templates/reduce.frag").replace("//@FUNCTIONS", kernel_functions([kernel]))
    define = f"#define {variant}\n" if variant else ""
    return define + load("templates/common.glsl") + "\n" + body


def plan(length):
    """[(length_in, chunk, length_out)] for each pass."""
    passes = []
    while True:
        chunk = length if length <= CHUNK else CHUNK
        out = -(-length // chunk)
        passes.append((length, chunk, out))
        if out == 1:
            return passes
        length = out


def run(backend, kernel, data, outer, length, inner):
    current = data
    for length_in, chunk, length_out in plan(length):
        if inner % 4 == 0:
            variant = "INNER4"
        elif inner == 1 and length_in % 4 == 0 and chunk % 4 == 0:
            variant = "CONTIG4"
        else:
            variant = ""
        out = backend._alloc(outer * length_out * inner)
        prog = backend.programs.get(_source(kernel, variant), ["u_x"])
        for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", out.layout.size),
                            ("u_x_shift", current.layout.shift), ("u_reduce", length_in),
                            ("u_inner", inner), ("u_chunk", chunk), ("u_out_reduce", length_out)):
            prog.set(name, value)
        backend._draw(prog, out.texture, out.layout.width, out.layout.rows,
                      [current.texture.tex])
        current = out  # the previous intermediate returns to the pool when dropped
    return current
