"""Scans on GL (cumsum, cumprod): a block scan along one axis, passes of
shaders/templates/scan_block.frag.

The axis (n positions) is cut into blocks of `block` consecutive positions. A line of one block
is one sequential pass: each output combines the positions before it in scan order. Longer
lines take three steps:
  up    one pass writes the total of every block: a line of ceil(n / block) totals, each the
        sequential combine of its block;
  scan  the totals are scanned, exclusive and in the same direction, by this same procedure
        (recursively: a line of totals longer than one block is cut into blocks again);
  down  one pass: each output is its block's scanned total combined with the positions of its
        block up to it, in scan order (at most `block` reads).
So each position is read about twice, plus up to `block` reads per output in the down pass,
and the passes number 2 * levels + 1 instead of the log-step scan's ceil(log_r n) passes of r
reads each. Blocks stay where they are in memory; a reverse scan starts each block at its
last position. Inside a block the order is numpy's sequential order; across blocks the block
totals are combined first (for sums: at least as accurate as the running sum).

Layouts: texel-aligned lines (ROW4: inner size 1 and a length of a multiple of 4) count
positions and blocks in texels and read whole texels; other lines of inner size 1 (ROW) take
blocks of 4 to 16 positions: the scan pass finds every position it needs in its own texel and
the 1 to 4 next to it, and the scanned totals of its 4 elements in two reads (a block of at
least 4 positions lets 4 elements reach one block further at most); lines whose inner size is
a multiple of 4 (INNER4) read 4 lines per texel;
anything else reads element by element. Lines of totals of an inner-size-1 scan are padded to
a multiple of 4 with the identity, so the totals' scan is ROW4 whatever the input's length.
The block size is a compile-time constant of the shader: its loops unroll (llvmpipe pays
for a loop of variable length even when it runs once), one program per block size.
"""
from .elementwise import kernel_functions
from .programs import load

# Block sizes chosen by measurement: `glflow bench --suite scan` (glflow/bench/scan.py; llvmpipe,
# 2 cores, ~1M elements; figures in benchmarks/results/scan.json and benchmarks/README.md).
# Positions per block, by layout variant (ROW4: a multiple of 4, whole texels; ROW: 4 to 16,
# the scan pass reads the texels holding a block's positions before its own).
BLOCKS = {"ROW4": 8, "ROW": 8, "INNER4": 8, "": 4}
# Rows (ROW4, ROW) of up to SEQUENTIAL positions take one sequential pass whatever the block.
SEQUENTIAL = 16


def variant(length, inner):
    if inner == 1:
        return "ROW4" if length % 4 == 0 else "ROW"
    return "INNER4" if inner % 4 == 0 else ""


def _source(kernel, kind, step, block):
    """The pass `step` ("UP"; "TOTALS": down from scanned totals; "": one sequential pass)
    with blocks of `block` (the shader's units)."""
    body = load("templates/scan_block.frag").replace("//@FUNCTIONS",
                                                     kernel_functions([kernel]))
    defines = "".join(f"#define {d}\n" for d in (kind, step, f"BLOCK {block}") if d)
    return defines + load("templates/common.glsl") + "\n" + body


def plan(length, inner, block=None):
    """(kind, block, blocks): the layout variant, its block size in the shader's units
    (texels for ROW4, else positions) and the length of the lines of totals (0: a line is one
    block, a single sequential pass). `block` (positions) overrides BLOCKS and SEQUENTIAL."""
    kind = variant(length, inner)
    if block is None:
        block = max(BLOCKS[kind], length) if inner == 1 and length <= SEQUENTIAL else \
            BLOCKS[kind]
    if kind == "ROW4":
        length, block = length // 4, max(1, block // 4)
    elif kind == "ROW":  # two scanned totals per fragment need blocks of >= 4 (the shader)
        block = min(max(block, 4), 16)
    if length <= block:  # one block: the sequential pass (BLOCK rounded to few programs)
        return kind, min(block, 1 << (length - 1).bit_length()), 0
    count = -(-length // block)
    return kind, block, -(-count // 4) * 4 if inner == 1 else count


def _set(prog, values):
    for name, value in values.items():
        prog.set(name, value)


def scan_lines(backend, kernel, x, outer, length, inner, exclusive, reverse, block=None):
    """Scan x ([outer, length, inner] flat) along its middle axis into a new GLData."""
    kind, block, blocks = plan(length, inner, block)
    common = {"u_x_shift": x.layout.shift, "u_x_last": x.layout.texels - 1,
              "u_length": length, "u_inner": inner,
              "u_blocks": blocks, "u_reverse": int(reverse)}
    totals = None
    if blocks:
        up = backend.alloc(outer * blocks * inner)
        prog = backend.programs.get(_source(kernel, kind, "UP", block), ["u_x"])
        _set(prog, {"u_out_shift": up.layout.shift, "u_out_size": up.layout.size, **common})
        backend.draw(prog, up, [x])
        totals = scan_lines(backend, kernel, up, outer, blocks, inner, True, reverse)
        backend.free(up)  # an intermediate: back to the pool (GL keeps command order)
    out = backend.alloc(x.layout.size)
    prog = backend.programs.get(_source(kernel, kind, "TOTALS" if blocks else "", block),
                                ["u_x", "u_t"])
    _set(prog, {"u_out_shift": out.layout.shift, "u_out_size": out.layout.size, **common,
                "u_t_shift": totals.layout.shift if totals else 0,
                "u_exclusive": int(exclusive)})
    backend.draw(prog, out, [x, totals or x])
    if totals is not None:
        backend.free(totals)
    return out


def run(backend, kernel, x, out_shape, axis, exclusive, reverse, block=None):
    """The kernels' body; `block` (positions) overrides the top level's block size (the
    bench's sweep)."""
    outer = inner = 1
    for n in out_shape[:axis]:
        outer *= n
    for n in out_shape[axis + 1:]:
        inner *= n
    return scan_lines(backend, kernel, x, outer, out_shape[axis], inner, exclusive, reverse,
                      block)


def cumsum(backend, x, out_shape, axis, exclusive, reverse):
    return run(backend, "cumsum", x, out_shape, axis, exclusive, reverse)


def cumprod(backend, x, out_shape, axis, exclusive, reverse):
    return run(backend, "cumprod", x, out_shape, axis, exclusive, reverse)


KERNELS = {"cumsum": cumsum, "cumprod": cumprod}
