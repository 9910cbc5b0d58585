"""conv2d's filter gradient on GL as a reduction over output pixels (no im2col, no swapped
conv, no transposes): shaders/conv2d_filter_grad.frag sums 4 dW rows x 4 * CO_TEXELS channels a
fragment over one chunk of image rows (n, oh), through 4 * CO_TEXELS render targets;
shaders/conv2d_filter_grad_sum.frag adds the chunks into the flat dW.

Why chunks (a split reduction): dW is small (3x3x32x32 is 288 blocks), so without them one
llvmpipe thread (one 64 x 64 tile) would do all the work; chunking the pixel sum spreads the
fragments over tiles, and a GPU over its cores.

Serves every shape (any channel counts, strides, dilations, input dilation, groups, pads); the
whole-texel variants (Cg % 4 == 0, Cout / groups % 4 == 0) fetch a texel where the others
fetch elements.
"""
import math

from .conv_direct import grid
from .matmul import _common, _origin, gather_body
from .programs import load

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
    return defines + _common() + load("conv2d_filter_grad.frag")


def _sum_source(co_texels, aligned):
    body = gather_body("conv2d_filter_grad_sum.frag", 4 * co_texels, index="target")
    defines = f"#define CO_TEXELS {co_texels}\n" + ("#define ALIGNED\n" if aligned else "")
    return defines + _common() + body


def chunk_rows(image_rows, row_pixels, fragments_per_chunk):
    """Image rows (n, oh) per chunk: enough chunks for about TARGET_FRAGMENTS fragments, each
    summing at least MIN_CHUNK_PIXELS pixels where there are that many."""
    chunks = max(1, min(image_rows, -(-TARGET_FRAGMENTS // fragments_per_chunk)))
    return max(1, -(-image_rows // chunks), -(-MIN_CHUNK_PIXELS // max(row_pixels, 1)))


def _plan(backend, in_shape, filter_shape, out_hw, groups):
    """(output-channel texels per fragment, dW row blocks, output-channel blocks, fragments
    per chunk, image rows per chunk, chunks)."""
    n = in_shape[0]
    kh, kw, cg, cout = filter_shape
    oh, ow = out_hw
    co_texels = 2 if backend.block_rows >= 8 else 1
    row_blocks = -(-kh * kw * cg // 4)
    co_blocks = -(-(cout // groups) // (4 * co_texels))
    per_chunk = groups * row_blocks * co_blocks
    rows = chunk_rows(n * oh, ow, per_chunk)
    chunks = max(1, -(-(n * oh) // rows))  # one empty chunk when dy is empty: dW = 0
    return co_texels, row_blocks, co_blocks, per_chunk, rows, chunks


def fits(backend, in_shape, filter_shape, out_hw, groups):
    """Whether the fragment grid of this filter gradient fits a texture."""
    *_, per_chunk, _, chunks = _plan(backend, in_shape, filter_shape, out_hw, groups)
    return grid(backend, chunks * per_chunk) is not None


def run(backend, x, dy, out, in_shape, filter_shape, out_hw, strides, dilations,
        lhs_dilations, pads, groups):
    """Writes dW [KH, KW, Cg, Cout] into `out` (GLData); False (nothing drawn) when the
    fragment grid does not fit a texture. x NHWC, dy [N, OH, OW, Cout]."""
    n, h, w, c = in_shape
    kh, kw, cg, cout = filter_shape
    oh, ow = out_hw
    cog = cout // groups
    co_texels, row_blocks, co_blocks, per_chunk, rows, chunks = _plan(
        backend, in_shape, filter_shape, out_hw, groups)
    image_rows = n * oh
    fragments = chunks * per_chunk
    dims = grid(backend, fragments)
    if dims is None:
        return False
    grid_w, grid_h = dims
    x0, y0 = _origin(grid_w), _origin(grid_h)
    # output positions that land on an input pixel recur every lhs / gcd(stride, lhs)
    step = tuple(lhs // math.gcd(s, lhs) for s, lhs in zip(strides, lhs_dilations))
    targets = [backend.pool.acquire(x0 + grid_w, y0 + grid_h) for _ in range(4 * co_texels)]
    fbo = backend.mrt_framebuffers.get(targets)
    prog = backend.programs.get(_product_source(co_texels, cg % 4 == 0, cog % 4 == 0),
                                ["u_x", "u_dy"])
    for name, value in (("u_x_shift", x.layout.shift), ("u_dy_shift", dy.layout.shift),
                        ("u_in", (n, h, w, c)), ("u_out", (oh, ow)),
                        ("u_filter", (kh, kw, cg)), ("u_cout", cout), ("u_cog", cog),
                        ("u_groups", groups), ("u_row_blocks", row_blocks),
                        ("u_co_blocks", co_blocks), ("u_chunk_rows", rows),
                        ("u_fragments", fragments), ("u_grid_w", grid_w),
                        ("u_origin", (x0, y0)), ("u_stride", tuple(strides)),
                        ("u_dilation", tuple(dilations)), ("u_lhs", tuple(lhs_dilations)),
                        ("u_pad", tuple(pads)), ("u_step", step),
                        ("u_dy_last", dy.layout.size - 1)):
        prog.set(name, value)
    backend._draw(prog, fbo, grid_w, grid_h, [x.texture.tex, dy.texture.tex], x0, y0)
    summing = backend.programs.get(_sum_source(co_texels, cog % 4 == 0),
                                   [f"u_block{r}" for r in range(len(targets))])
    for name, value in (("u_out_shift", out.layout.shift),
                        ("u_out_texels", -(-out.layout.size // 4)),
                        ("u_out_size", out.layout.size), ("u_cout", cout), ("u_cog", cog),
                        ("u_row_blocks", row_blocks),
                        ("u_co_blocks", co_blocks), ("u_chunks", chunks),
                        ("u_grid_w", grid_w),
                        ("u_chunk_step", (per_chunk % grid_w, per_chunk // grid_w)),
                        ("u_origin", (x0, y0))):
        summing.set(name, value)
    backend._draw(summing, out.texture, out.layout.width, out.layout.rows,
                  [t.tex for t in targets])
    for t in targets:
        backend.pool.release(t)
    return True
