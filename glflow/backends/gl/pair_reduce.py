"""Pair reductions on GL (argmax, argmin, logsumexp; softmax's statistics): passes of
shaders/templates/pair_reduce.frag, each combining up to 1024 elements per partial result,
so the pass count is logarithmic in the axis length; passes are planned as for sum. Passes
read their input through an image unit where elementwise passes do (context.py, "Image
loads").
"""
from .programs import load
from .reduction import plan

_IMAGE = (True,)


def _source(functions, first, contig4, final, image=False):
    defines = "".join(f"#define {name}\n" for name, on in
                      (("FIRST", first), ("CONTIG4", contig4), ("FINAL", final),
                       ("IMAGE_INPUT", image)) if on)
    body = load("templates/pair_reduce.frag").replace("//@FUNCTIONS", functions)
    return defines + load("templates/common.glsl") + "\n" + body


def run(backend, functions, x, outer, length, inner, final):
    """Reduce the middle axis of [outer, length, inner]: pairs (final=False, 2 numbers per
    result) or pair_final values (final=True)."""
    current = x
    image = backend.image_inputs > 0   # the input through an image unit (context.py)
    # exp or compares per element: worth a pass more to use every thread (gl/reduction.py)
    passes = plan(outer * inner, length, per_texel=2, extra_pass=True)
    for k, (length_in, step, length_out) in enumerate(passes):
        last = k == len(passes) - 1
        results = outer * length_out * inner
        out = backend.alloc(results if final and last else 2 * results)
        contig4 = k == 0 and inner == 1 and length_in % 4 == 0 and step % 4 == 0
        prog = backend.programs.get(_source(functions, k == 0, contig4, final and last, image),
                                    ["u_x"])
        for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", results),
                            ("u_x_shift", current.layout.shift), ("u_reduce", length_in),
                            ("u_inner", inner), ("u_chunk", step), ("u_out_reduce", length_out)):
            prog.set(name, value)
        backend.draw(prog, out, [current], images=_IMAGE if image else None)
        if current is not x:  # an intermediate: back to the pool (GL keeps command order)
            backend.free(current)
        current = out
    return current
