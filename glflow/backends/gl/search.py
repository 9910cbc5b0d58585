"""top_k on GL with shaders/top_k.frag: selection scans for small k (one pass), or ranks then a
lookup by rank for large k (two passes); see the shader for both.
argmax/argmin are pair reductions (glflow/backends/gl/pair_reduce.py)."""
from . import pair_reduce
from .elementwise import kernel_functions
from .programs import load


def _source(variant=""):
    define = f"#define {variant}\n" if variant else ""
    return define + load("templates/common.glsl") + "\n" + load("search/top_k.frag")


def ranked(length, k):
    """Selection costs ~length * (k*k/8 + k) compares per line, ranking ~length * length:
    rank once selection would cost more. Measured on llvmpipe, [64, length]: length 100, k 16:
    select 1.9 ms, rank 2.4 ms; k 32: 4.9 vs 3.0 ms. Length 1000, k 64: 153 vs 193 ms; k 100:
    411 vs 180 ms. The rule switches at k = 25 and k = 85 for these lengths."""
    return k * k // 8 + k > length


def _pass(backend, variant, x, size, length, k):
    out = backend.alloc(size)
    prog = backend.programs.get(_source(variant), ["u_x"])
    for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", size),
                        ("u_x_shift", x.layout.shift), ("u_length", length), ("u_k", k)):
        prog.set(name, value)
    backend.draw(prog, out, [x])
    return out


def top_k(backend, x, out_shape, k, ranking=None):
    size = 1
    for n in out_shape:
        size *= n
    length = x.layout.size // (size // k)
    if not (ranked(length, k) if ranking is None else ranking):
        return _pass(backend, "", x, size, length, k)
    ranks = _pass(backend, "RANKS", x, x.layout.size, length, k)
    out = _pass(backend, "BY_RANK", ranks, size, length, k)
    backend.free(ranks)
    return out


def _arg_functions(kernel):
    return kernel_functions([kernel]) + "\n" + load("templates/arg_pairs.glsl")


def argmax(backend, x, out_shape, outer, length, inner):
    return pair_reduce.run(backend, _arg_functions("argmax"), x, outer, length, inner, final=True)


def argmin(backend, x, out_shape, outer, length, inner):
    return pair_reduce.run(backend, _arg_functions("argmin"), x, outer, length, inner, final=True)


KERNELS = {"top_k": top_k, "argmax": argmax, "argmin": argmin}
