"""softmax and log_softmax on GL in two steps: the logsumexp pair reduction gives each line its
(max, sum of exp(x - max)) (one pass for axes up to 1024), then one pass of
shaders/templates/softmax.frag normalises every element. Fewer passes than composing
max, sub, exp, sum, div (five), and the exp is computed once per element per step.
"""
from . import pair_reduce
from .elementwise import kernel_functions
from .programs import load

_X_IMAGE = (True, False)   # x through image unit 0, the line statistics through a sampler


def _source(kernel, row4, image=False):
    """image: x read through an image unit (context.py, "Image loads")."""
    body = load("templates/softmax.frag").replace("//@FUNCTIONS", kernel_functions([kernel]))
    defines = ("#define ROW4\n" if row4 else "") + ("#define IMAGE_INPUT\n" if image else "")
    return defines + load("templates/common.glsl") + "\n" + body


def _normalise(backend, kernel, x, out_shape, axis):
    length = out_shape[axis]
    inner = 1
    for n in out_shape[axis + 1:]:
        inner *= n
    outer = x.layout.size // (length * inner)
    stats = pair_reduce.run(backend, kernel_functions(["logsumexp"]), x, outer, length, inner,
                             final=False)
    out = backend.alloc(x.layout.size)
    image = backend.image_inputs > 0
    prog = backend.programs.get(_source(kernel, inner == 1 and length % 4 == 0, image),
                                ["u_x", "u_stats"])
    for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", x.layout.size),
                        ("u_stats_shift", stats.layout.shift), ("u_length", length),
                        ("u_inner", inner)):
        prog.set(name, value)
    backend.draw(prog, out, [x, stats], images=_X_IMAGE if image else None)
    backend.free(stats)
    return out


def softmax(backend, x, out_shape, axis):
    return _normalise(backend, "softmax", x, out_shape, axis)


def log_softmax(backend, x, out_shape, axis):
    return _normalise(backend, "log_softmax", x, out_shape, axis)


def logsumexp(backend, x, out_shape, outer, length, inner):
    return pair_reduce.run(backend, kernel_functions(["logsumexp"]), x, outer, length, inner, final=True)


KERNELS = {"softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp}
