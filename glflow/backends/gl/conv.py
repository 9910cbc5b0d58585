"""conv2d on GL, two ways:
- direct (glflow/backends/gl/conv_direct.py), when the channel groups of x and of the output
  are whole texels (Cg % 4 == 0, Cout / groups % 4 == 0): no patch matrix at all;
- otherwise im2col written straight into matmul's packed A layout (shaders/conv2d.frag), then
  matmul's MRT product and unpack passes (glflow/backends/gl/matmul.py). The filters are B as
  they are: [KH, KW, Cg, Cout] is the [K, Cout] matrix row-major, one batch per group. The
  packed texture is the only copy of the patches, one tile of it at a time when the patch
  matrix exceeds a texture (matmul tiles rows, columns and the inner dimension).
Both split work that exceeds the device's textures themselves (glflow/backends/gl/tiling.py),
so every shape that fits in memory runs.
"""
from math import prod

from ...runtime.views import MatrixView
from . import conv_direct, conv_filter_grad, matmul
from .epilogue import build_epilogue
from .programs import program, set_all


def conv2d(backend, x, filters, out_shape, in_shape, filter_shape, out_hw, strides, dilations,
           lhs_dilations, pads, groups, epilogue=None):
    """out [groups, N*OH*OW, Cout/groups]; x NHWC, filters [KH, KW, Cin/groups, Cout].
    Geometry (pads top/left, lhs = input dilation): glflow/ops/nn_conv.py. `epilogue`
    (gl/epilogue.py) runs in the last pass of either path."""
    n, h, w, c = in_shape
    kh, kw, cg, cout = filter_shape
    _, m, cog = out_shape
    k = kh * kw * cg
    size = groups * m * cog
    if conv_direct.supports(cg, cout, groups):
        out = backend._alloc(size)
        if size == 0 or conv_direct.run(backend, x, filters, out, in_shape, filter_shape,
                                        out_hw, strides, dilations, lhs_dilations, pads,
                                        groups, size, epilogue):
            return out
        backend.free(out)  # an image row exceeds the direct kernel's grid: im2col + matmul
    # the largest quotient operands of shaders/conv2d.frag: group rows (y), patch columns,
    # rows, and positions in the dilated input (divided by lhs)
    reach = conv_direct.input_reach(out_hw, strides, (kh, kw), dilations, pads, lhs_dilations)

    def pack_patches(blk, rows_padded):
        """Block `blk` of the patch matrix (groups b0.., rows i0.., columns k0..)."""
        defines = ["ALIGNED"] if cg % 4 == 0 else []
        if 2 * max(blk.bt * rows_padded, k, m, reach) < conv_direct.FLOAT_DIV_LIMIT:
            defines.append("FLOAT_DIV")
        prog = program(backend, "conv/conv2d.frag", defines, ["u_x"])
        set_all(prog, {"u_x_shift": x.layout.shift, "u_in": (n, h, w, c),
                       "u_out": tuple(out_hw), "u_filter": (kh, kw, cg),
                       "u_stride": tuple(strides), "u_dilation": tuple(dilations),
                       "u_lhs": tuple(lhs_dilations), "u_pad": tuple(pads), "u_rows": blk.mt,
                       "u_rows_padded": rows_padded, "u_block": (blk.b0, blk.i0, blk.k0),
                       "u_k_end": blk.k0 + blk.kt})
        width, height = matmul.a_width(blk.kt), blk.bt * rows_padded  # zeros past kt
        packed = backend.pool.acquire(width, height)
        backend._draw(prog, packed, width, height, [x.texture.tex])
        return packed

    b_view = MatrixView(k, cog, cog, cout, 1)
    return matmul.run(backend, None, None, filters, b_view, groups, m, k, cog,
                      epilogue=epilogue, pack_a=pack_patches)


def fused_conv2d(backend, x, filters, *extras, out_shape, in_shape, filter_shape, out_hw,
                 strides, dilations, lhs_dilations, pads, groups, epilogue):
    """conv2d with the epilogue's program (gl/epilogue.py) over its [groups, N*OH*OW,
    Cout/groups] values and the extras, in the conv's last pass; out_shape is any shape of
    that size (graph mode: NHWC)."""
    raw = (groups, in_shape[0] * out_hw[0] * out_hw[1], filter_shape[3] // groups)
    return conv2d(backend, x, filters, raw, in_shape, filter_shape, out_hw, strides, dilations,
                  lhs_dilations, pads, groups, build_epilogue(backend, epilogue, extras, *raw))


def conv2d_filter_grad(backend, x, dy, out_shape, in_shape, filter_shape, out_hw, strides,
                       dilations, lhs_dilations, pads, groups):
    """dW [KH, KW, Cin/groups, Cout] of conv2d from x NHWC and dy [N, OH, OW, Cout], as a
    reduction over output pixels (glflow/backends/gl/conv_filter_grad.py)."""
    size = prod(out_shape)
    out = backend._alloc(size)
    if size == 0:
        return out
    if x.layout.size == 0 or dy.layout.size == 0:  # nothing to sum (an empty batch): zeros
        prog = backend.programs.get(matmul._common() + matmul._fill_source(), [])
        prog.set("u_value", 0.0)
        backend.draw(prog, out, [])
        return out
    conv_filter_grad.run(backend, x, dy, out, in_shape, filter_shape, out_hw, strides,
                         dilations, lhs_dilations, pads, groups)
    return out


def conv2d_filter_grad_limit(backend, out_shape, in_shape, filter_shape, out_hw, groups, **_):
    """The filter gradient draws at least one row block of dW (4 of its KH * KW * Cg rows,
    every output channel) in one grid of tile_limit^2 fragments, one per group and block of
    up to 8 output channels: 2^28 of them on a 16384 texture (2^28 output channels of a
    depthwise conv) would not fit."""
    if conv_filter_grad.fits(backend, in_shape, filter_shape, out_hw, groups):
        return None
    return (f"the filter gradient of {filter_shape[3]} output channels in {groups} groups "
            f"needs more than a {backend.tile_limit} x {backend.tile_limit} grid per row block")


KERNELS = {"conv2d": conv2d, "conv2d_filter_grad": conv2d_filter_grad,
           "fused_conv2d": fused_conv2d}
LIMITS = {"conv2d_filter_grad": conv2d_filter_grad_limit}
