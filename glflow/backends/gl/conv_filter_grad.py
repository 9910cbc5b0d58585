"""conv2d's filter gradient on GL as a reduction over output pixels (no im2col, no swapped
conv, no transposes): shaders/conv2d_filter_grad.frag sums 4 dW rows x 4 * CO_TEXELS channels a
fragment over one chunk of image rows (n, oh), through 4 * CO_TEXELS render targets;
shaders/conv2d_filter_grad_sum.frag adds the chunks into the flat dW.

Why chunks (a split reduction): dW is small (3x3x32x32 is 288 blocks), so without them one
llvmpipe thread (one 64 x 64 tile) would do all the work; chunking the pixel sum spreads the
fragments over tiles, and a GPU over its cores.

Serves every shape (any channel counts, strides, dilations, input dilation, groups, pads); the
whole-texel variants (Cg % 4 == 0, Cout / groups % 4 == 0) fetch a texel where the others
fetch elements. A dW whose fragments exceed one grid of `backend.tile_limit` texels a side is
computed in pieces of whole row blocks (4 rows of KH * KW * Cg): a piece's dW texels are one
contiguous range, which its sum pass writes while leaving the rest alone.
"""
import math

from .conv_direct import GRID_WIDTH
from .matmul import _common, gather_body
from .programs import load
from .tiling import id_grid, origin, spans, texel_rows

# Fragments to aim for across all chunks: a few llvmpipe tiles (64 x 64) per thread. More
# chunks cost more in the sum pass (its target select diverges: ~8 fetches per chunk and dW
# texel); at 3x3, [1, 64, 64, 32] -> 32 the product pass ran as fast with 4096 as with 16384,
# and the whole gradient 14.4 ms vs 16.8 ms (65536: 21 ms).
TARGET_FRAGMENTS = 4096
# output pixels a fragment sums at least: below this, per-fragment set-up and the sum pass
# outweigh the spread (the digits CNN's 6-pixel rows would make 384 chunks)
MIN_CHUNK_PIXELS = 64


def _product_source(co_texels, x_aligned, dy_aligned):
    defines = f"#define CO_TEXELS {co_texels}\n"
    defines += "#define X_ALIGNED\n" if x_aligned else ""
    defines += "#define DY_ALIGNED\n" if dy_aligned else ""
    return defines + _common() + load("conv/conv2d_filter_grad.frag")


def _sum_source(co_texels, aligned, tiled=False):
    body = gather_body("conv/conv2d_filter_grad_sum.frag", 4 * co_texels, index="target")
    defines = f"#define CO_TEXELS {co_texels}\n" + ("#define ALIGNED\n" if aligned else "")
    defines += "#define TILED\n" if tiled else ""
    return defines + _common() + body


def chunk_rows(image_rows, row_pixels, fragments_per_chunk):
    """Image rows (n, oh) per chunk: enough chunks for about TARGET_FRAGMENTS fragments, each
    summing at least MIN_CHUNK_PIXELS pixels where there are that many."""
    chunks = max(1, min(image_rows, -(-TARGET_FRAGMENTS // fragments_per_chunk)))
    return max(1, -(-image_rows // chunks), -(-MIN_CHUNK_PIXELS // max(row_pixels, 1)))


class Plan:
    """How the fragments of one filter gradient are laid out: co_texels output-channel
    texels per fragment, row_blocks and co_blocks of dW, `rows` image rows (n, oh) per chunk
    of the pixel sum, `chunks` chunks, `per_block` fragments of one row block in one chunk,
    and `pieces` [(first row block, row blocks)] drawn one grid each."""

    def __init__(self, backend, in_shape, filter_shape, out_hw, groups):
        n = in_shape[0]
        kh, kw, cg, cout = filter_shape
        oh, ow = out_hw
        self.co_texels = 2 if backend.block_rows >= 8 else 1
        self.row_blocks = -(-kh * kw * cg // 4)
        self.co_blocks = -(-(cout // groups) // (4 * self.co_texels))
        self.per_block = groups * self.co_blocks
        capacity = backend.tile_limit ** 2
        self.rows = chunk_rows(n * oh, ow, self.per_block * self.row_blocks)
        if -(-(n * oh) // self.rows) * self.per_block > capacity:  # fewer chunks to fit
            self.rows = -(-(n * oh) // max(1, capacity // self.per_block))
        self.chunks = max(1, -(-(n * oh) // self.rows))  # one empty chunk when dy is empty
        per_piece = capacity // (self.chunks * self.per_block)
        self.pieces = spans(self.row_blocks, per_piece) if per_piece else None


def fits(backend, in_shape, filter_shape, out_hw, groups):
    """Whether one row block of this filter gradient fits a grid (always, but for channel
    counts near the grid's capacity: tile_limit ** 2 fragments)."""
    return Plan(backend, in_shape, filter_shape, out_hw, groups).pieces is not None


def run(backend, x, dy, out, in_shape, filter_shape, out_hw, strides, dilations,
        lhs_dilations, pads, groups):
    """Writes dW [KH, KW, Cg, Cout] into `out` (GLData); False (nothing drawn) when a row
    block does not fit a grid. x NHWC, dy [N, OH, OW, Cout]."""
    n, h, w, c = in_shape
    kh, kw, cg, cout = filter_shape
    oh, ow = out_hw
    cog = cout // groups
    p = Plan(backend, in_shape, filter_shape, out_hw, groups)
    if p.pieces is None:
        return False
    limit = backend.tile_limit
    tiled = len(p.pieces) > 1
    # output positions that land on an input pixel recur every lhs / gcd(stride, lhs)
    step = tuple(lhs // math.gcd(s, lhs) for s, lhs in zip(strides, lhs_dilations))
    targets_count = 4 * p.co_texels
    prog = backend.programs.get(_product_source(p.co_texels, cg % 4 == 0, cog % 4 == 0),
                                ["u_x", "u_dy"])
    summing = backend.programs.get(_sum_source(p.co_texels, cog % 4 == 0, tiled),
                                   [f"u_block{r}" for r in range(targets_count)])
    for block0, blocks in p.pieces:
        per_chunk = p.per_block * blocks
        fragments = p.chunks * per_chunk
        grid_w, grid_h = id_grid(fragments, limit, GRID_WIDTH)
        x0, y0 = origin(grid_w, limit), origin(grid_h, limit)
        targets = [backend.pool.acquire(x0 + grid_w, y0 + grid_h) for _ in range(targets_count)]
        fbo = backend.mrt_framebuffers.get(targets)
        for name, value in (("u_x_shift", x.layout.shift), ("u_dy_shift", dy.layout.shift),
                            ("u_in", (n, h, w, c)), ("u_out", (oh, ow)),
                            ("u_filter", (kh, kw, cg)), ("u_cout", cout), ("u_cog", cog),
                            ("u_groups", groups), ("u_row_blocks", blocks),
                            ("u_row_block0", block0), ("u_co_blocks", p.co_blocks),
                            ("u_chunk_rows", p.rows), ("u_fragments", fragments),
                            ("u_grid_w", grid_w), ("u_origin", (x0, y0)),
                            ("u_stride", tuple(strides)), ("u_dilation", tuple(dilations)),
                            ("u_lhs", tuple(lhs_dilations)), ("u_pad", tuple(pads)),
                            ("u_step", step), ("u_dy_last", dy.layout.size - 1)):
            prog.set(name, value)
        backend._draw(prog, fbo, grid_w, grid_h, [x.texture.tex, dy.texture.tex], x0, y0)
        for name, value in (("u_out_shift", out.layout.shift),
                            ("u_out_texels", -(-out.layout.size // 4)),
                            ("u_out_size", out.layout.size), ("u_cout", cout), ("u_cog", cog),
                            ("u_row_blocks", blocks), ("u_row_block0", block0),
                            ("u_co_blocks", p.co_blocks), ("u_chunks", p.chunks),
                            ("u_grid_w", grid_w),
                            ("u_chunk_step", (per_chunk % grid_w, per_chunk // grid_w)),
                            ("u_origin", (x0, y0))):
            summing.set(name, value)
        y, height = 0, out.layout.rows
        if tiled:  # dW rows 4 * block0 .. of all Cout channels: whole texels (4 rows each)
            end_row = min(4 * (block0 + blocks), kh * kw * cg)
            texels = (block0 * cout, -(-end_row * cout // 4))
            summing.set("u_texels", texels)
            y, height = texel_rows(texels[0], texels[1] - 1, out.layout.shift)
        backend._draw(summing, out.texture, out.layout.width, height,
                      [t.tex for t in targets], 0, y)
        for t in targets:
            backend.pool.release(t)
    return True
