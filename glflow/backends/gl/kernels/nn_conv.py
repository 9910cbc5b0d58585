"""conv2d on GL, two ways:
- direct (glflow/backends/gl/conv_direct.py), when the channel groups of x and of the output
  are whole texels (Cg % 4 == 0, Cout / groups % 4 == 0): no patch matrix at all;
- otherwise im2col written straight into matmul's packed A layout (shaders/conv2d.frag), then
  matmul's MRT product and unpack passes (glflow/backends/gl/matmul.py). The filters are B as
  they are: [KH, KW, Cg, Cout] is the [K, Cout] matrix row-major, one batch per group. The
  packed texture is the only copy of the patches.
"""
from math import prod

from ....runtime.views import MatrixView
from .. import conv_direct, conv_filter_grad, matmul
from .movement import program, set_all


def conv2d(backend, x, filters, out_shape, in_shape, filter_shape, out_hw, strides, dilations,
           lhs_dilations, pads, groups):
    """out [groups, N*OH*OW, Cout/groups]; x NHWC, filters [KH, KW, Cin/groups, Cout].
    Geometry (pads top/left, lhs = input dilation): glflow/ops/nn_conv.py."""
    n, h, w, c = in_shape
    kh, kw, cg, cout = filter_shape
    _, m, cog = out_shape
    k = kh * kw * cg
    size = groups * m * cog
    if conv_direct.supports(cg, cout, groups):
        out = backend._alloc(size)
        if size == 0 or conv_direct.run(backend, x, filters, out, in_shape, filter_shape,
                                        out_hw, strides, dilations, lhs_dilations, pads,
                                        groups, size):
            return out
        backend.free(out)  # the block grid does not fit a texture: im2col + matmul

    def pack_patches(rows_padded):
        defines = ["ALIGNED"] if cg % 4 == 0 else []
        # the largest quotient operands: group rows (y), patch columns, rows, and positions
        # in the dilated input (divided by lhs)
        reach = conv_direct.input_reach(out_hw, strides, (kh, kw), dilations, pads,
                                        lhs_dilations)
        largest = max(groups * rows_padded, k, m, reach)
        if 2 * largest < conv_direct.FLOAT_DIV_LIMIT:
            defines.append("FLOAT_DIV")
        prog = program(backend, "conv2d.frag", defines, ["u_x"])
        set_all(prog, {"u_x_shift": x.layout.shift, "u_in": (n, h, w, c),
                       "u_out": tuple(out_hw), "u_filter": (kh, kw, cg),
                       "u_stride": tuple(strides), "u_dilation": tuple(dilations),
                       "u_lhs": tuple(lhs_dilations), "u_pad": tuple(pads), "u_rows": m,
                       "u_rows_padded": rows_padded})
        width, height = -(-k // 4), groups * rows_padded
        packed = backend.pool.acquire(width, height)
        backend._draw(prog, packed, width, height, [x.texture.tex])
        return packed

    b_view = MatrixView(k, cog, cog, cout, 1)
    return matmul.run(backend, None, None, filters, b_view, groups, m, k, cog,
                      pack_a=pack_patches)


def conv2d_limit(backend, out_shape, in_shape, filter_shape, out_hw, groups, **_):
    """Why conv2d cannot run here (see the kernels package docstring), or None."""
    if conv_direct.fits(backend, in_shape, filter_shape, out_hw, groups):
        return None
    _, m, cog = out_shape
    kh, kw, cg, _ = filter_shape
    if not (m and cog and kh * kw * cg):
        return None  # nothing to pack: the product is empty or all zeros
    return matmul.check_fits(backend.max_size, groups, m, kh * kw * cg, cog,
                             backend.block_rows)


def conv2d_filter_grad_limit(backend, out_shape, in_shape, filter_shape, out_hw, groups, **_):
    if conv_filter_grad.fits(backend, in_shape, filter_shape, out_hw, groups):
        return None
    return (f"the filter gradient of x {list(in_shape)} and filters {list(filter_shape)} "
            f"needs a grid larger than the GL texture size {backend.max_size}")


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
    if not conv_filter_grad.run(backend, x, dy, out, in_shape, filter_shape, out_hw, strides,
                                dilations, lhs_dilations, pads, groups):
        backend.free(out)  # conv2d_filter_grad_limit refuses this before any GL work
        raise RuntimeError("conv2d_filter_grad: grid does not fit (a bug in its _limit)")
    return out


KERNELS = {"conv2d": conv2d, "conv2d_filter_grad": conv2d_filter_grad}
LIMITS = {"conv2d": conv2d_limit, "conv2d_filter_grad": conv2d_filter_grad_limit}
