"""top_k on GL: one pass of shaders/top_k.frag (selection scans per output slot; see there).
argmax/argmin are pair reductions: glflow/backends/gl/kernels/reduce_pairs.py."""
from ..programs import load


def top_k(backend, x, out_shape, k):
    out = backend.alloc(_size(out_shape))
    lines = out.layout.size // k
    prog = backend.programs.get(load("templates/common.glsl") + "\n" + load("top_k.frag"),
                                ["u_x"])
    for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", out.layout.size),
                        ("u_x_shift", x.layout.shift), ("u_length", x.layout.size // lines),
                        ("u_k", k)):
        prog.set(name, value)
    backend.draw(prog, out, [x])
    return out


def _size(shape):
    size = 1
    for n in shape:
        size *= n
    return size
