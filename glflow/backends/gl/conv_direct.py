"""conv2d on GL without im2col (shaders/conv2d_direct.frag): one MRT pass where a fragment
computes ROWS adjacent output pixels x 4 output channels straight from x and the filters,
then one pass gathering the ROWS targets into the flat output. Serves every conv whose input
and output channel groups are whole texels (Cg % 4 == 0, Cout / groups % 4 == 0); the others
take im2col + matmul (glflow/backends/gl/conv.py).

Why not im2col + matmul here: on llvmpipe at 3x3, [1, 64, 64, 32] -> 32 the im2col pass was
about a quarter of the time and the whole conv ran at ~0.6x a 512^3 matmul's GFLOP/s measured
in the same rounds. Raw moderngl, same rounds: this block on an 8 x 512 grid 0.6x, on a
128 x 32 grid 0.75-0.8x, and 0.9-1.1x with WINDOW (5 fetches per 128 multiply-adds, not 12).

More ids than one grid of `backend.tile_limit` texels a side holds are drawn in chunks of
whole image rows (group, n, oh): a chunk's output texels are one contiguous range, which its
gather pass writes while leaving the rest of the output alone.
"""
from ...runtime.views import MatrixView
from .matmul import _common, gather_body, kept_pack_b
from .programs import load
from .tiling import id_grid, origin, spans, texel_rows

# id rows of the block grid: a wide grid keeps llvmpipe's 64 x 64 tiles full (8 x 512
# arranged the same fragments ran 0.75x as fast as 128 x 32 or 64 x 64)
GRID_WIDTH = 128
# quotients computed in float are exact while dividend + divisor < 2^20 (shaders/conv2d.frag);
# im2col (glflow/backends/gl/conv.py) uses the same limit
FLOAT_DIV_LIMIT = 1 << 20


def input_reach(out_hw, strides, kernel_hw, dilations, pads, lhs_dilations):
    """Largest position in the dilated input a window reaches (the furthest window end plus
    the pad): one of the quotient operands FLOAT_DIV must keep exact."""
    return max((o - 1) * s + (f - 1) * d + abs(p) + lhs
               for o, s, f, d, p, lhs in zip(out_hw, strides, kernel_hw, dilations, pads,
                                             lhs_dilations))


def supports(cg, cout, groups):
    return cg % 4 == 0 and (cout // groups) % 4 == 0


def _product_source(rows, window, float_div, packed_filters):
    pixels = range(rows)
    code = {
        "//@OUTPUTS": [f"layout(location = {j}) out vec4 o_pixel{j};" for j in pixels],
        "//@ACCUMULATORS": [f"    vec4 c{j} = vec4(0.0);" for j in pixels],
        "//@STORE": [f"    o_pixel{j} = c{j};" for j in pixels],
        # WINDOW: pixel j's texel at tap 0; after each tap every pixel takes its right
        # neighbour's texel, and the last one fetches the column one further right
        "//@WINDOW_LOAD": [f"                vec4 a{j} = x_texel(column_texel(row_pixel, "
                           f"window_column(first + {j}), channel4), ci4);" for j in pixels],
        "//@WINDOW_MULTIPLY_ADD": [f"                    c{j} += b * a{j};" for j in pixels],
        "//@WINDOW_SLIDE": ([f"                    a{j} = a{j + 1};" for j in pixels[:-1]]
                            + [f"                    a{rows - 1} = x_texel(column_texel("
                               f"row_pixel, window_column(first + {rows} + kw), channel4), "
                               f"ci4);"]),
        # general: each pixel's column for this tap, then one texel of it per ci4
        "//@COLUMNS": [f"                int t{j} = column_texel(row_pixel, source_index("
                       f"(ow0 + {j}) * u_stride.y + shift, u_lhs.y, u_in.z), channel4);"
                       for j in pixels],
        "//@MULTIPLY_ADD": [f"                    c{j} += b * x_texel(t{j}, ci4);"
                            for j in pixels],
    }
    body = load("conv/conv2d_direct.frag")
    for marker, lines in code.items():
        body = body.replace(marker, "\n".join(lines))
    defines = f"#define ROWS {rows}\n"
    defines += "#define WINDOW\n" if window else ""
    defines += "#define FLOAT_DIV\n" if float_div else ""
    defines += "#define PACKED_FILTERS\n" if packed_filters else ""
    return defines + _common() + body


def _unpack_source(rows, float_div, tiled=False, epilogue=None):
    body = gather_body("conv/conv2d_direct_unpack.frag", rows)
    defines = f"#define ROWS {rows}\n" + ("#define FLOAT_DIV\n" if float_div else "")
    defines += "#define TILED\n" if tiled else ""
    if epilogue is not None:  # fused_conv2d: gl/epilogue.py's hook
        body = body.replace("//@EPILOGUE", epilogue.source)
        defines += "#define EPILOGUE\n"
    return defines + _common() + body


def row_fragments(backend, filter_shape, out_hw, groups):
    """Fragments of one image row (group, n, oh): blocks of ROWS output pixels x texels of
    output channels."""
    return -(-out_hw[1] // backend.block_rows) * (filter_shape[3] // groups // 4)


def chunks(backend, in_shape, filter_shape, out_hw, groups):
    """[(first image row, image rows)] drawn one grid each, or None when a single image row
    has more fragments than a grid holds."""
    per_row = row_fragments(backend, filter_shape, out_hw, groups)
    rows_per_grid = backend.tile_limit ** 2 // max(per_row, 1)
    if rows_per_grid == 0:
        return None
    return spans(groups * in_shape[0] * out_hw[0], rows_per_grid)


def fits(backend, in_shape, filter_shape, out_hw, groups):
    """Whether this conv can take the direct path (whole-texel channels, image rows that fit
    a grid)."""
    return supports(filter_shape[2], filter_shape[3], groups) and chunks(
        backend, in_shape, filter_shape, out_hw, groups) is not None


def run(backend, x, filters, out, in_shape, filter_shape, out_hw, strides, dilations,
        lhs_dilations, pads, groups, size, epilogue=None):
    """Writes conv2d into `out` (GLData of [groups, N * OH * OW, Cout / groups]), through
    `epilogue` (gl/epilogue.py) when given; returns False (nothing drawn) when an image row
    does not fit a grid."""
    rows = backend.block_rows
    limit = backend.tile_limit
    n, h, w, c = in_shape
    kh, kw, cg, cout = filter_shape
    oh, ow = out_hw
    cog4 = cout // groups // 4
    ow_blocks = -(-ow // rows)
    per_row = row_fragments(backend, filter_shape, out_hw, groups)
    parts = chunks(backend, in_shape, filter_shape, out_hw, groups)
    if parts is None:
        return False
    tiled = len(parts) > 1
    window = strides[1] == 1 and dilations[1] == 1 and lhs_dilations[1] == 1
    # largest quotient operands: ids, texels of the output, and positions in the dilated input
    reach = input_reach(out_hw, strides, (kh, kw), dilations, pads, lhs_dilations)
    widest = id_grid(parts[0][1] * per_row, limit, GRID_WIDTH)[0]
    float_div = 2 * max(groups * n * oh * per_row + widest, size // 4, reach) < FLOAT_DIV_LIMIT
    # The filters as matmul's B ([K, Cout / groups] a group, K = KH * KW * Cg): the product
    # loop then reads them in order with float coordinates (1.2-1.3x the conv's speed on
    # llvmpipe, benchmarks/README.md). Filters too long or wide for one texture are read flat.
    k = kh * kw * cg
    packed, packed_fresh = None, False
    if k <= limit and groups * cog4 <= limit:  # kept with the filters for the next call
        packed, packed_fresh = kept_pack_b(backend, filters,
                                           MatrixView(k, cout // groups, cout // groups, cout,
                                                      1), 0, groups, k, cout // groups, k)
    prog = backend.programs.get(_product_source(rows, window, float_div, packed is not None),
                                ["u_x", "u_f"])
    f_texture = packed.tex if packed is not None else filters.texture.tex
    f_scale = (1.0 / packed.width, 1.0 / packed.rows) if packed is not None else _scale(filters)
    extra_samplers = epilogue.samplers if epilogue is not None else []
    extra_textures = epilogue.textures if epilogue is not None else []
    unpack = backend.programs.get(_unpack_source(rows, float_div, tiled, epilogue),
                                  [f"u_block{r}" for r in range(rows)] + extra_samplers)
    if epilogue is not None:
        cog = cout // groups
        for name, value in (("u_out_size", size), ("u_m", size // groups // cog),
                            ("u_n", cog), *epilogue.uniforms.items()):
            unpack.set(name, value)
    for first_row, image_rows in parts:
        grid_w, grid_h = id_grid(image_rows * per_row, limit, GRID_WIDTH)
        x0, y0 = origin(grid_w, limit), origin(grid_h, limit)
        id0 = first_row * per_row
        blocks = [backend.pool.acquire(x0 + grid_w, y0 + grid_h) for _ in range(rows)]
        fbo = backend.mrt_framebuffers.get(blocks)
        for name, value in (("u_x_shift", x.layout.shift), ("u_f_shift", filters.layout.shift),
                            ("u_in", (n, h, w, c)), ("u_out", (oh, ow)),
                            ("u_filter", (kh, kw, cg)), ("u_cout", cout), ("u_cog4", cog4),
                            ("u_ow_blocks", ow_blocks), ("u_id0", id0),
                            ("u_fragments", id0 + image_rows * per_row),
                            ("u_grid_w", grid_w), ("u_origin", (x0, y0)),
                            ("u_stride", tuple(strides)), ("u_dilation", tuple(dilations)),
                            ("u_lhs", tuple(lhs_dilations)), ("u_pad", tuple(pads)),
                            ("u_x_scale", _scale(x)), ("u_f_scale", f_scale)):
            prog.set(name, value)
        backend._draw(prog, fbo, grid_w, grid_h, [x.texture.tex, f_texture], x0, y0)
        for name, value in (("u_out_shift", out.layout.shift), ("u_out_texels", size // 4),
                            ("u_out", (oh, ow)), ("u_cog4", cog4), ("u_ow_blocks", ow_blocks),
                            ("u_grid_w", grid_w), ("u_origin", (x0, y0)), ("u_id0", id0)):
            unpack.set(name, value)
        y, height = 0, out.layout.rows
        if tiled:
            texels = (first_row * ow * cog4, (first_row + image_rows) * ow * cog4)
            unpack.set("u_texels", texels)
            y, height = texel_rows(texels[0], texels[1] - 1, out.layout.shift)
        backend._draw(unpack, out.texture, out.layout.width, height,
                      [blk.tex for blk in blocks] + extra_textures, 0, y)
        for blk in blocks:
            backend.pool.release(blk)
    if packed_fresh:
        backend.pool.release(packed)
    return True


def _scale(data):
    """1 / the size of a tensor's texture (the pool's may have more rows than its layout)."""
    return (1.0 / data.texture.width, 1.0 / data.texture.rows)
