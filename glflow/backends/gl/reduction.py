"""The generic reductions on GL (reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_any,
reduce_all): passes of shaders/templates/reduce.frag until the reduced axis has length 1.

Each pass combines up to CHUNK elements per output, so a reduction of n elements takes
ceil(log_CHUNK(n)) passes: 16M elements in 3 passes. A pass reads its input through an image
unit where the backend reads elementwise inputs so (context.py, "Image loads"), and so does a
fused prologue its same-layout inputs.
"""
from . import access, elementwise
from .elementwise import kernel_functions
from .programs import load

CHUNK = 1024  # a multiple of 4, so later passes stay texel-aligned
# The first pass splits lines into chunks of at least MIN_CHUNK elements until it writes
# MIN_TEXELS texels: llvmpipe shares a draw between its threads by 64x64-texel tiles, so a
# pass that writes one tile runs on one core. Measured on llvmpipe, 2 cores: a sum over 16M
# elements 18 ms -> 9 ms (3 passes either way); logsumexp over the rows of [1024, 1000]
# 6.9 ms -> 3.9 ms with one pass more. For sum-like kernels (a cheap combine) the extra pass
# costs more than it saves on [1024, 1000] (1.1 ms -> 1.4-1.7 ms), so plan() splits only
# when that adds no pass; pair reductions (exp per element) always split.
MIN_TEXELS = 8192
MIN_CHUNK = 64
_IMAGE = (True,)   # the one input of a pass without prologue, read through image unit 0


def first_chunk(lines, length, per_texel):
    """Chunk length of the first pass for `lines` reductions of `length` elements when each
    texel holds `per_texel` results: a multiple of 4 in [MIN_CHUNK, CHUNK]."""
    chunk = -(-length * lines // (MIN_TEXELS * per_texel))
    return min(CHUNK, -(-max(chunk, MIN_CHUNK) // 4) * 4)


def _source(kernel, variant, prologue=None, image=False):
    """image: the input is read through an image unit (without a prologue: a prologue reads
    its own inputs, elementwise.prologue_source)."""
    body = load("templates/reduce.frag").replace("//@FUNCTIONS", kernel_functions([kernel]))
    define = f"#define {variant}\n" if variant else ""
    if image:
        define += "#define IMAGE_INPUT\n"
    if prologue is not None:
        body = body.replace("//@PROLOGUE", prologue)
        define += "#define PROLOGUE\n"
    return define + load("templates/common.glsl") + "\n" + body


class _UniformRecorder:
    def __init__(self):
        self.values = []

    def set(self, name, value):
        self.values.append((name, value))


_prologues = {}   # (program, access keys, rank) -> GLSL of the prologue
PROLOGUE_CAPACITY = 1024
_RENAMED = {"u_out_shift": "u_in_shift", "u_out_size": "u_in_size", "u_out_dims": "u_in_dims"}


class Prologue:
    """A fused elementwise prologue (graph mode): the reduction's first pass computes its
    input from these inputs (GLData) instead of reading it. attrs: the fused `program` (one
    output, gl/elementwise.py), its `params` and `views`, and the reduced input's `shape`."""

    def __init__(self, backend, attrs, inputs, shapes):
        shape = tuple(attrs["shape"])
        size = 1
        for d in shape:
            size *= d
        accesses = access.for_inputs(shapes, [d.layout.size for d in inputs], attrs.get("views"),
                                     shape, size)
        images = backend.image_inputs
        key = (attrs["program"], tuple(a.key for a in accesses), len(shape), images)
        source = _prologues.get(key)
        if source is None:
            if len(_prologues) >= PROLOGUE_CAPACITY:
                _prologues.clear()
            source = _prologues[key] = elementwise.prologue_source(attrs["program"],
                                                                   accesses, len(shape), images)
        self.source = source
        self.samplers = [f"u_x{i}" for i in range(len(inputs))]
        self.textures = [d.texture.tex.mglo for d in inputs]
        flags = tuple(elementwise.reads_image(i, a, images) for i, a in enumerate(accesses))
        self.images = flags if any(flags) else None   # which inputs are image units
        recorder = _UniformRecorder()
        elementwise.set_uniforms(recorder, accesses, shape, backend.layout(size),
                                 [d.layout for d in inputs],
                                 dict(enumerate(attrs.get("params", ()))))
        self.uniforms = [(_RENAMED.get(n, n), v) for n, v in recorder.values]


def _passes(length, chunk):
    passes = []
    while True:
        step = min(length, chunk)
        out = -(-length // step)
        passes.append((length, step, out))
        if out == 1:
            return passes
        length, chunk = out, CHUNK


def plan(lines, length, per_texel=4, extra_pass=False):
    """[(length_in, chunk, length_out)] for each pass. The first pass is split for threads
    (first_chunk) if that adds no pass, or always when extra_pass (costly kernels)."""
    plain = _passes(length, CHUNK)
    split = _passes(length, first_chunk(lines, length, per_texel))
    return split if extra_pass or len(split) <= len(plain) else plain


def run(backend, kernel, data, outer, length, inner, prologue=None):
    """Reduce data ([outer, length, inner] flat) along its middle axis; with a Prologue the
    first pass computes its input from the prologue's inputs (data is None then)."""
    current = data
    for length_in, chunk, length_out in plan(outer * inner, length):
        if inner % 4 == 0:
            variant = "INNER4"
        elif inner == 1 and length_in % 4 == 0 and chunk % 4 == 0:
            variant = "CONTIG4"
        else:
            variant = ""
        out = backend._alloc(outer * length_out * inner)
        if current is None:  # the first pass of a fused prologue
            prog = backend.programs.get(_source(kernel, variant, prologue.source),
                                        prologue.samplers)
            for name, value in prologue.uniforms:
                prog.set(name, value)
            textures = prologue.textures
            images = prologue.images
        else:
            image = backend.image_inputs > 0
            prog = backend.programs.get(_source(kernel, variant, image=image), ["u_x"])
            prog.set("u_x_shift", current.layout.shift)
            textures = [current.texture.tex.mglo]
            images = _IMAGE if image else None
        for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", out.layout.size),
                            ("u_reduce", length_in), ("u_inner", inner), ("u_chunk", chunk),
                            ("u_out_reduce", length_out)):
            prog.set(name, value)
        backend._draw(prog, out.texture, out.layout.width, out.layout.rows, textures,
                      images=images)
        if current is not data:  # an intermediate: back to the pool (GL keeps command order)
            backend.free(current)
        current = out
    return current


def _reduction(kernel):
    def run_kernel(backend, *inputs, out_shape, outer, length, inner, prologue=None):
        if prologue is None:
            return run(backend, kernel, inputs[0], outer, length, inner)
        fused = Prologue(backend, prologue, inputs, prologue["input_shapes"])
        return run(backend, kernel, None, outer, length, inner, fused)
    run_kernel.__name__ = kernel
    return run_kernel


KERNELS = {name: _reduction(name) for name in ("reduce_sum", "reduce_prod", "reduce_max",
                                                "reduce_min", "reduce_any", "reduce_all")}
