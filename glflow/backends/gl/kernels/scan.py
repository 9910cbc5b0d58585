"""Scans on GL (cumsum, cumprod): passes of shaders/templates/scan.frag along one axis.

A pass lets each output combine `terms` inputs spaced `step` apart (a radix-`terms` log-step
scan): ceil(log_terms(length)) passes, each reading `terms` elements per output. One pass
with terms = length is the sequential per-output loop, O(length) reads per output.
"""
from ..elementwise import kernel_functions
from ..programs import load

# Chosen by measurement (benchmarks/bench_scan.py on llvmpipe, 2 cores; see _terms).
SEQUENTIAL_MAX = 16
RADIX = 8


def _terms(length):
    """Axes up to SEQUENTIAL_MAX: one sequential pass (a pass costs as much as ~16 reads per
    output). Longer axes: radix RADIX, the best balance of passes against reads per pass."""
    return length if length <= SEQUENTIAL_MAX else RADIX


def _source(kernel):
    body = load("templates/scan.frag").replace("//@FUNCTIONS", kernel_functions([kernel]))
    return load("templates/common.glsl") + "\n" + body


def plan(length, exclusive, terms=None):
    """[(step, shift)] per pass; the scan is done once step * terms covers the axis."""
    terms = terms or _terms(length)
    passes, step = [], 1
    while True:
        passes.append((step, 1 if exclusive and not passes else 0))
        step *= terms
        if step >= length:
            return terms, passes


def run(backend, kernel, x, out_shape, axis, exclusive, reverse, terms=None):
    length = out_shape[axis]
    inner = 1
    for n in out_shape[axis + 1:]:
        inner *= n
    size = x.layout.size
    prog = backend.programs.get(_source(kernel), ["u_x"])
    terms, passes = plan(length, exclusive, terms)
    current = x
    for step, shift in passes:
        out = backend.alloc(size)
        for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", size),
                            ("u_x_shift", current.layout.shift), ("u_length", length),
                            ("u_inner", inner), ("u_step", step), ("u_terms", terms),
                            ("u_shift", shift), ("u_reverse", int(reverse))):
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
