"""Scans on GL (cumsum, cumprod): passes of shaders/templates/scan.frag along one axis.

A pass lets each output combine `terms` inputs spaced `step` apart (a radix-`terms` log-step
scan): ceil(log_terms(n)) passes over n positions, each reading `terms` inputs per output; one
pass with terms = n is the sequential per-output loop. Texel-aligned lines (ROW4) count
positions in texels of 4 elements and read whole texels; lines whose inner size is a multiple
of 4 (INNER4) read whole texels too; anything else reads element by element.
"""
from .elementwise import kernel_functions
from .programs import load

# Chosen by measurement: benchmarks/bench_scan.py (llvmpipe, 2 cores, ~1M elements; figures
# in benchmarks/results/scan.json). Up to SEQUENTIAL_MAX positions one sequential pass wins
# (a pass costs as much as ~16 reads per output); longer axes take radix-RADIX passes, the
# best balance of passes against reads per pass at every length measured.
SEQUENTIAL_MAX = 16
RADIX = 8


def _terms(units):
    return units if units <= SEQUENTIAL_MAX else RADIX


def variant(length, inner):
    if inner == 1 and length % 4 == 0:
        return "ROW4"
    return "INNER4" if inner % 4 == 0 else ""


def _source(kernel, kind):
    body = load("templates/scan.frag").replace("//@FUNCTIONS", kernel_functions([kernel]))
    define = f"#define {kind}\n" if kind else ""
    return define + load("templates/common.glsl") + "\n" + body


def plan(units, exclusive, terms=None):
    """(terms, [(step, shift)] per pass); done once step * terms covers the `units`."""
    terms = terms or _terms(units)
    passes, step = [], 1
    while True:
        passes.append((step, 1 if exclusive and not passes else 0))
        step *= terms
        if step >= units:
            return terms, passes


def run(backend, kernel, x, out_shape, axis, exclusive, reverse, terms=None):
    length = out_shape[axis]
    inner = 1
    for n in out_shape[axis + 1:]:
        inner *= n
    size = x.layout.size
    kind = variant(length, inner)
    prog = backend.programs.get(_source(kernel, kind), ["u_x"])
    terms, passes = plan(length // 4 if kind == "ROW4" else length, exclusive, terms)
    current = x
    for k, (step, shift) in enumerate(passes):
        out = backend.alloc(size)
        for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", size),
                            ("u_x_shift", current.layout.shift), ("u_length", length),
                            ("u_inner", inner), ("u_step", step), ("u_terms", terms),
                            ("u_shift", shift), ("u_reverse", int(reverse)),
                            ("u_first", int(k == 0))):
            prog.set(name, value)
        backend.draw(prog, out, [current])
        if current is not x:  # an intermediate: back to the pool (GL keeps command order)
            backend.free(current)
        current = out
    return current


def cumsum(backend, x, out_shape, axis, exclusive, reverse):
    return run(backend, "cumsum", x, out_shape, axis, exclusive, reverse)


def cumprod(backend, x, out_shape, axis, exclusive, reverse):
    return run(backend, "cumprod", x, out_shape, axis, exclusive, reverse)


KERNELS = {"cumsum": cumsum, "cumprod": cumprod}
