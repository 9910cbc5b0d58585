"""matmul on GL: pack both operands into textures laid out for the product loop, one MRT
pass computing ROWS x 4 blocks per fragment, then unpack the ROWS targets into the flat output.

Packing costs O(n^2) next to the O(n^3) product and buys an inner loop with no index math;
it also absorbs transposes, batch broadcasting, and sizes that are not multiples of 4 or ROWS.
(At n = 1024 on llvmpipe, CPU time on a loaded machine: packing 4 + 6 ms, product 220 ms,
unpacking 8.5 ms.)

The inner loop makes 12 texel fetches per 128 multiply-adds, the fewest for the 32 values a
fragment can write through 8 targets, and fetches are nearly all of llvmpipe's time (with A's
8 fetches replaced by constants the loop ran 2.7x faster). What made each fetch cheaper, in
raw moderngl prototypes timed in one process (benchmarks/README.md, "matmul kernel"): sampling
with textureLod at texel centres instead of texelFetch (1.4-1.7x), B laid out so that a
column block's inner dimension runs along one texture row (1.1-1.3x at n = 1024, where 4 KB
strided rows defeated the CPU's prefetch) and two k4 steps a turn (~1.05x). What did not:
REPEAT wrapping on power-of-two textures, A's 8 rows interleaved along one texture row,
partial sums over inner chunks small enough for the L2 cache, uniform-buffer operands.

Shapes whose packed operands or targets exceed `backend.tile_limit` (glflow/backends/gl/
tiling.py) run as tiles: sub-matmuls over ranges of batches, rows and columns, each unpacked
into its own part of the output, and partial sums over chunks of an inner dimension too long
for one packed texture (each chunk's product pass adds the previous chunk's targets). One tile
is exactly the untiled passes.
"""
from functools import lru_cache
from typing import NamedTuple

from ...runtime.views import StridedView
from .elementwise import call
from .programs import load
from .tiling import origin, spans, texel_rows

# k4 steps per turn of the product loop (shaders/linalg/matmul.frag): operands are padded with zeros
# along the inner dimension to whole turns
UNROLL = 2
# the unpack pass divides element indices in float below this
# (shaders/linalg/matmul_unpack.frag)
FLOAT_DIV_LIMIT = 1 << 22


class FramebufferCache:
    """The product pass's MRT framebuffers, keyed by their block textures. The pool hands the
    same textures back call after call (in one of two orders), so a few entries serve every
    repeat: a new 8-target framebuffer costs a noticeable part of a small matmul, most of
    it at first use (benchmarks/README.md, "The eager hot path"). Keys hold the PooledTexture objects, so a key can never match a
    texture the pool deleted and a new one that took its place."""

    def __init__(self, ctx, capacity=8):
        self.ctx = ctx
        self.capacity = capacity
        self._fbos = {}

    def get(self, blocks):
        key = tuple(blocks)
        fbo = self._fbos.pop(key, None)  # re-inserted below: dict order is the LRU order
        if fbo is None:
            fbo = self.ctx.framebuffer(color_attachments=[blk.tex for blk in blocks])
            while len(self._fbos) >= self.capacity:
                self._fbos.pop(next(iter(self._fbos))).release()
        self._fbos[key] = fbo
        return fbo

    def forget(self, texture):
        """Release the framebuffers that draw into `texture` (the pool is deleting it)."""
        for key in [k for k in self._fbos if texture in k]:
            self._fbos.pop(key).release()

    def clear(self):
        for fbo in self._fbos.values():
            fbo.release()
        self._fbos.clear()


def _common():
    """The shared GLSL helpers every generated MRT shader starts with (conv_direct and
    conv_filter_grad use this one too)."""
    return load("templates/common.glsl") + "\n"


def gather_body(shader, targets, index="r"):
    """`shader` with //@SAMPLERS declaring u_block0 .. u_block{targets - 1} and //@SELECT
    returning texel `at` of target `index`: the pass that reads back an MRT product's
    render targets (matmul, conv_direct, conv_filter_grad)."""
    samplers = "\n".join(f"uniform sampler2D u_block{r};" for r in range(targets))
    select = "\n".join(f"    if ({index} == {r}) return texelFetch(u_block{r}, at, 0);"
                       for r in range(targets - 1))
    select += f"\n    return texelFetch(u_block{targets - 1}, at, 0);"
    return load(shader).replace("//@SAMPLERS", samplers).replace("//@SELECT", select)


class Block(NamedTuple):
    """One tile's sub-problem: batches b0 .. b0 + bt, rows i0 .. i0 + mt, inner k0 .. k0 + kt
    and columns j0 .. j0 + nt of the [batches, m, k] x [batches, k, n] product."""
    b0: int
    bt: int
    i0: int
    mt: int
    k0: int
    kt: int
    j0: int
    nt: int


class Plan(NamedTuple):
    row_tiles: list   # [(b0, bt, i0, mt)]
    col_tiles: list   # [(j0, nt)]
    k_chunks: list    # [(k0, kt)]: partial sums when there are several
    width: int        # columns of the computed output: n, or n rounded up to 4 (see plan)

    def single(self):
        return len(self.row_tiles) == len(self.col_tiles) == len(self.k_chunks) == 1


@lru_cache(maxsize=512)  # eager code repeats a few shapes; a plan is never mutated
def plan(limit, rows, batches, m, k, n):
    """Tiles whose packed operands and targets stay within `limit` texels a side (limit >= 8):
    A packed is a_width(kt) wide and bt * mt (padded to ROWS) tall, B packed inner_padded(kt)
    wide and bt * nt / 4 tall, the targets nt / 4 wide and bt * mt / ROWS tall.

    A tile writes its part of the output straight in. With one column tile that part is one
    range of the flat output, whose first and last texels it may share with its neighbours
    (see _unpack). Column tiles split only at multiples of 4; when n % 4 != 0 as well, a row
    would end inside a texel of another tile, so the tiles fill a [batches, m, n rounded up
    to 4] result, copied into the output at the end (`width` says which)."""
    m_pad, n4 = -(-m // rows) * rows, -(-n // 4)
    if inner_padded(k) <= limit and batches * max(m_pad, n4) <= limit:  # one tile
        return Plan([(0, batches, 0, m)], [(0, n)], [(0, k)], n)
    turn = 4 * UNROLL  # chunks start on whole turns of the product loop
    k_chunks = spans(k, limit - limit % turn, turn)
    col_tiles = spans(n, 4 * limit, 4)
    n4 = -(-col_tiles[0][1] // 4)  # B's rows a batch in the widest column tile
    if m_pad <= limit:
        bt = max(1, min(batches, limit // m_pad, limit // n4))
        row_tiles = [(b0, min(bt, batches - b0), 0, m) for b0 in range(0, batches, bt)]
    else:
        row_tiles = [(b, 1, i0, mt) for b in range(batches)
                     for i0, mt in spans(m, limit - limit % rows, rows)]
    padded = len(col_tiles) > 1 and n % 4
    return Plan(row_tiles, col_tiles, k_chunks, -(-n // 4) * 4 if padded else n)


def _pack(backend, data, view, offset, batches, rows, cols, rows_padded, column_blocks=False):
    """Rows x cols of each of `batches` matrices of `view`, from element `offset` on, in A's
    layout (texel (col / 4, batch * rows_padded + row)) or, with column_blocks, B's (texel
    (row, batch * ceil(cols / 4) + col / 4), rows padded with zeros to `rows_padded`)."""
    aligned = view.aligned() and offset % 4 == 0
    variant = ("#define ALIGNED\n" if aligned else "") + ("#define COLUMN_BLOCKS\n"
                                                           if column_blocks else "")
    prog = backend.programs.get(variant + _common() + load("linalg/matmul_pack.frag"), ["u_x"])
    col_blocks = -(-cols // 4)
    for name, value in (("u_x_shift", data.layout.shift), ("u_offset", offset),
                        ("u_rows", rows), ("u_cols", cols),
                        ("u_rows_padded", col_blocks if column_blocks else rows_padded),
                        ("u_batch_stride", view.batch_stride), ("u_row_stride", view.row_stride),
                        ("u_col_stride", view.col_stride)):
        prog.set(name, value)
    if column_blocks:
        width, height = rows_padded, batches * col_blocks
    else:
        width, height = a_width(cols), batches * rows_padded
    packed = backend.pool.acquire(width, height)
    backend._draw(prog, packed, width, height, [data.texture.tex])
    return packed


def pack_b(backend, data, view, offset, batches, rows, cols, rows_padded):
    """B's layout (see _pack): what the product pass reads, and conv_direct's filters."""
    return _pack(backend, data, view, offset, batches, rows, cols, rows_padded,
                 column_blocks=True)


def kept_pack_b(backend, data, view, offset, batches, rows, cols, rows_padded):
    """pack_b, kept with B's data (GLData.derived) and reused while B lives: a model's
    weights are packed once instead of on every call (the MLP's predict: 6.0 -> 4.6 ms,
    benchmarks/README.md). The texture belongs to B: callers must not release it. Data that
    cannot keep it (graph mode's planned buffers) gets a fresh one: None is returned with it
    as the second value, the caller's to release."""
    if data.derived is False:
        return pack_b(backend, data, view, offset, batches, rows, cols, rows_padded), True
    key = ("pack_b", view.batch_stride, view.row_stride, view.col_stride, view.aligned(),
           offset, batches, rows, cols, rows_padded)
    if data.derived is None:
        data.derived = {}
    packed = data.derived.get(key)
    if packed is None:
        packed = data.derived[key] = pack_b(backend, data, view, offset, batches, rows, cols,
                                            rows_padded)
    return packed, False


def inner_padded(k):
    """The inner dimension padded with zeros to whole turns of the product loop."""
    return -(-k // (4 * UNROLL)) * 4 * UNROLL


def a_width(k):
    """Texels a row of packed A (or of conv's im2col patches) spans: the padded inner
    dimension / 4; the columns past k are zeros."""
    return inner_padded(k) // 4


def _pack_a(backend, data, view, blk, rows_padded):
    offset = blk.b0 * view.batch_stride + blk.i0 * view.row_stride + blk.k0 * view.col_stride
    return _pack(backend, data, view, offset, blk.bt, blk.mt, blk.kt, rows_padded)


def _product_source(rows, accumulate=False):
    """accumulate: each block starts from the previous chunk's targets u_prev0.. (partial
    sums over the inner dimension)."""
    outputs = "\n".join(f"layout(location = {r}) out vec4 o_row{r};" for r in range(rows))
    if accumulate:
        outputs += "\n" + "\n".join(f"uniform sampler2D u_prev{r};" for r in range(rows))
        accum = "\n".join(f"    vec4 c{r} = texelFetch(u_prev{r}, ivec2(gl_FragCoord.xy), 0);"
                          for r in range(rows))
    else:
        accum = "\n".join(f"    vec4 c{r} = vec4(0.0);" for r in range(rows))
    a_rows = "\n".join(f"    float a_v{r} = (a_row + {r}.0) * u_a_scale.y;" for r in range(rows))
    turn = "\n".join(f"        {{\n{_product_step(rows)}\n        }}" for _ in range(UNROLL))
    store = "\n".join(f"    o_row{r} = c{r};" for r in range(rows))
    body = (load("linalg/matmul.frag").replace("//@OUTPUTS", outputs)
            .replace("//@A_ROWS", a_rows).replace("//@ACCUMULATORS", accum)
            .replace("//@STEP", turn).replace("//@STORE", store))
    return f"#define ROWS {rows}\n" + _common() + body


def _product_step(rows):
    """One k4 step: 4 B texels (4 inner indices x 4 columns), one A texel per row."""
    fetch_b = ",\n".join(f"                          textureLod(u_b, vec2((k + {j}.0) * "
                         f"u_b_scale.x, b_v), 0.0)" for j in range(4))
    lines = ["            float a_u = k4 * u_a_scale.x;",
             f"            mat4 b = mat4({fetch_b.strip()});"]
    lines += [f"            c{r} += b * textureLod(u_a, vec2(a_u, a_v{r}), 0.0);"
              for r in range(rows)]
    lines += ["            k4 += 1.0;", "            k += 4.0;"]
    return "\n".join(lines)


def _unpack_source(rows, aligned, epilogue=None, tiled=False, float_div=False):
    """tiled: one tile's part of the output; texels outside it are discarded. float_div:
    element indices stay below FLOAT_DIV_LIMIT (shaders/linalg/matmul_unpack.frag)."""
    body = gather_body("linalg/matmul_unpack.frag", rows)
    defines = f"#define ROWS {rows}\n" + ("#define ALIGNED\n" if aligned else "")
    defines += "#define TILED\n" if tiled else ""
    defines += "#define FLOAT_DIV\n" if float_div else ""
    if epilogue is not None:  # fused_matmul: bias + activation inside this pass
        body = body.replace("//@EPILOGUE", epilogue.source)
        defines += "#define EPILOGUE\n"
    return defines + _common() + body


def _product(backend, pa, pb, blk, previous):
    """The MRT pass of one block (plus the previous chunk's partial sums): its ROWS targets
    and where block (0, 0) sits in them."""
    rows = backend.block_rows
    limit = backend.tile_limit
    n4 = -(-blk.nt // 4)
    grid_rows = blk.bt * -(-blk.mt // rows)
    x0, y0 = origin(n4, limit), origin(grid_rows, limit)
    targets = [backend.pool.acquire(x0 + n4, y0 + grid_rows) for _ in range(rows)]
    fbo = backend.mrt_framebuffers.get(targets)
    accumulate = previous is not None
    samplers = ["u_a", "u_b"] + ([f"u_prev{r}" for r in range(rows)] if accumulate else [])
    prog = backend.programs.get(_product_source(rows, accumulate), samplers)
    prog.set("u_k_steps", inner_padded(blk.kt) // (4 * UNROLL))
    prog.set("u_m_blocks", -(-blk.mt // rows))
    prog.set("u_n4", n4)
    prog.set("u_origin", (x0, y0))
    # the pool's textures may have more rows than asked for: scale by the real sizes
    prog.set("u_a_scale", (1.0 / pa.width, 1.0 / pa.rows))
    prog.set("u_b_scale", (1.0 / pb.width, 1.0 / pb.rows))
    textures = [pa.tex, pb.tex] + ([t.tex for t in previous] if accumulate else [])
    backend._draw(prog, fbo, n4, grid_rows, textures, x0, y0)
    if accumulate:
        for t in previous:
            backend.pool.release(t)
    return targets, (x0, y0)


def _unpack(backend, out, targets, at, m, width, blk, epilogue, tiled):
    """Targets -> the flat [batches, m, width] output; only this block's part when tiled.
    A part that starts or ends inside a texel (width % 4 != 0, one column tile) shares that
    texel with the next or previous tile: it is drawn on its own, its other elements masked
    off (a color mask), so each tile writes exactly its elements."""
    rows = backend.block_rows
    aligned = width % 4 == 0
    extra_samplers = epilogue.samplers if epilogue is not None else []
    extra_textures = epilogue.textures if epilogue is not None else []
    float_div = out.layout.size + 4 < FLOAT_DIV_LIMIT
    prog = backend.programs.get(_unpack_source(rows, aligned, epilogue, tiled, float_div),
                                [f"u_block{r}" for r in range(rows)] + extra_samplers)
    for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", out.layout.size),
                        ("u_m", m), ("u_n", width), ("u_m_blocks", -(-blk.mt // rows)),
                        ("u_origin", at)):
        prog.set(name, value)
    if epilogue is not None:
        for name, value in epilogue.uniforms.items():
            prog.set(name, value)
    textures = [t.tex for t in targets] + extra_textures
    if not tiled:
        backend._draw(prog, out.texture, out.layout.width, out.layout.rows, textures)
        return
    prog.set("u_tile_start", (blk.b0, blk.i0, blk.j0))
    prog.set("u_tile_size", (blk.bt, blk.mt, blk.nt))
    shift = out.layout.shift
    if aligned:  # whole texels: a tile's are those whose first element it holds
        first = ((blk.b0 * m + blk.i0) * width + blk.j0) // 4
        last = (((blk.b0 + blk.bt - 1) * m + blk.i0 + blk.mt - 1) * width
                + blk.j0 + blk.nt - 1) // 4
        y, height = texel_rows(first, last, shift)
        backend._draw(prog, out.texture, out.layout.width, height, textures, 0, y)
        return
    start = (blk.b0 * m + blk.i0) * width  # one column tile: elements start .. end - 1
    end = start + blk.bt * blk.mt * width
    prog.set("u_elements", (start, end))
    owned = (-(-start // 4), -(-end // 4) if end == out.layout.size else end // 4)
    if owned[0] < owned[1]:
        prog.set("u_texels", owned)
        y, height = texel_rows(owned[0], owned[1] - 1, shift)
        backend._draw(prog, out.texture, out.layout.width, height, textures, 0, y)
    for t in sorted({start // 4, (end - 1) // 4} - set(range(*owned))):
        prog.set("u_texels", (t, t + 1))
        mask = tuple(start <= 4 * t + c < end for c in range(4))
        fbo = out.texture.fbo(backend.ctx)
        fbo.color_mask = mask
        backend._draw(prog, out.texture, 1, 1, textures, t & ((1 << shift) - 1), t >> shift)
        fbo.color_mask = (True, True, True, True)


def run(backend, a, a_view, b, b_view, batches, m, k, n, epilogue=None, pack_a=None):
    """epilogue (fused_matmul, glflow/backends/gl/linalg.py): GLSL `source` defining
    `vec4 epilogue(vec4 v, int e0)`, applied in the unpack pass, with its own `samplers`,
    `textures` and `uniforms`; the op handles k == 0 itself when it passes one.
    pack_a (conv2d, glflow/backends/gl/conv.py): `pack_a(block, rows_padded)`
    returns the block's A already in the packed layout (im2col written straight into it);
    `a`, `a_view` unused."""
    rows = backend.block_rows
    if batches * m * n == 0:
        return backend._alloc(0)
    if k == 0:  # empty inner dimension: the product is all zeros
        out = backend._alloc(batches * m * n)
        prog = backend.programs.get(_common() + _fill_source(), [])
        prog.set("u_value", 0.0)
        backend._draw(prog, out.texture, out.layout.width, out.layout.rows, [])
        return out
    tiles = plan(backend.tile_limit, rows, batches, m, k, n)
    budget = backend.limit("max_elements")
    if batches * m * tiles.width > budget:  # before any GL work
        raise MemoryError(f"matmul: a [{batches}, {m}, {n}] result computed in column tiles "
                          f"padded to whole texels needs {4 * batches * m * tiles.width:,} "
                          f"bytes; the gl backend holds at most {4 * budget:,} bytes in one "
                          f"tensor")
    out = backend._alloc(batches * m * tiles.width)
    tiled = not tiles.single()
    one_chunk = len(tiles.k_chunks) == 1
    # packed operands a later tile reuses: A across column tiles, B across row tiles that
    # read the same batches (one inner chunk and one column tile)
    b_reused = one_chunk and len(tiles.col_tiles) == 1
    kept_b = kept_b_batches = None
    kept_b_fresh = True  # False: kept_b belongs to B's data (kept_pack_b), not released here
    for b0, bt, i0, mt in tiles.row_tiles:
        kept_a = None
        for j0, nt in tiles.col_tiles:
            targets = at = None
            for k0, kt in tiles.k_chunks:
                blk = Block(b0, bt, i0, mt, k0, kt, j0, nt)
                if kept_a is not None:
                    pa = kept_a
                elif pack_a is not None:
                    pa = pack_a(blk, -(-mt // rows) * rows)
                else:
                    pa = _pack_a(backend, a, a_view, blk, -(-mt // rows) * rows)
                if b_reused and kept_b_batches == (b0, bt):
                    pb = kept_b
                else:
                    args = (backend, b, b_view, b0 * b_view.batch_stride
                            + k0 * b_view.row_stride + j0 * b_view.col_stride, bt, kt, nt,
                            inner_padded(kt))
                    # one tile: B is packed whole, and kept with it for the next call
                    pb, kept_b_fresh = kept_pack_b(*args) if not tiled else (pack_b(*args),
                                                                             True)
                targets, at = _product(backend, pa, pb, blk, targets)
                if one_chunk:
                    kept_a = pa
                else:
                    backend.pool.release(pa)
                if b_reused:
                    if kept_b is not None and kept_b is not pb:
                        backend.pool.release(kept_b)
                    kept_b, kept_b_batches = pb, (b0, bt)
                else:
                    backend.pool.release(pb)
            _unpack(backend, out, targets, at, m, tiles.width, blk, epilogue, tiled)
            for t in targets:
                backend.pool.release(t)
        if kept_a is not None:
            backend.pool.release(kept_a)
    if kept_b is not None and kept_b_fresh:
        backend.pool.release(kept_b)
    if tiles.width == n:
        return out
    return _drop_padding(backend, out, batches, m, n, tiles.width)


def _drop_padding(backend, padded, batches, m, n, width):
    """[batches, m, width] -> [batches, m, n]: one strided identity pass."""
    view = StridedView((batches, m, n), (m * width, width, 1))
    out = backend.elementwise(call("identity", 1), [(padded, (batches, m, width))], (view,), {},
                              (batches, m, n))
    backend.free(padded)
    return out


def _fill_source():
    return "uniform float u_value;\nout vec4 o_result;\nvoid main() { o_result = vec4(u_value); }\n"
