"""numpy twin of the conv2d kernel (shaders/conv2d.frag + matmul on GL): the same general
convolution (strides, dilations, input dilation, top/left pads, groups), as patches @ filters."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype


def _source_index(out_len, kernel, stride, dilation, lhs, pad, in_len):
    """[out_len, kernel] indices into the input along one axis, and where they are valid."""
    p = (np.arange(out_len)[:, None] * stride + np.arange(kernel)[None, :] * dilation - pad)
    q = np.floor_divide(p, lhs)
    valid = (p >= 0) & (p % lhs == 0) & (q < in_len)
    return np.where(valid, q, 0), valid


def conv2d(x, filters, in_shape, filter_shape, out_hw, strides, dilations, lhs_dilations, pads,
           groups):
    """[groups, N*OH*OW, Cout/groups] from x NHWC and filters [KH, KW, Cin/groups, Cout]."""
    dtype = numpy_dtype(FLOAT32)
    x = np.asarray(x, dtype).reshape(in_shape)
    f = np.asarray(filters, dtype).reshape(filter_shape)
    n, h, w, c = in_shape
    kh, kw, cg, cout = filter_shape
    oh, ow = out_hw
    rows, row_ok = _source_index(oh, kh, strides[0], dilations[0], lhs_dilations[0], pads[0], h)
    cols, col_ok = _source_index(ow, kw, strides[1], dilations[1], lhs_dilations[1], pads[1], w)
    # patches[n, oh, ow, kh, kw, c]
    patches = x[:, rows[:, None, :, None], cols[None, :, None, :], :]
    valid = row_ok[:, None, :, None] & col_ok[None, :, None, :]
    patches = np.where(valid[None, :, :, :, :, None], patches, dtype(0))  # 0 * inf is nan
    patches = patches.reshape(n * oh * ow, kh * kw, groups, cg).transpose(2, 0, 1, 3)
    patches = patches.reshape(groups, n * oh * ow, kh * kw * cg)
    cog = cout // groups if groups else 0
    b = f.reshape(kh * kw * cg, groups, cog).transpose(1, 0, 2)
    return np.matmul(patches, b)


def conv2d_filter_grad(x, dy, in_shape, filter_shape, out_hw, strides, dilations,
                       lhs_dilations, pads, groups):
    """dW [KH, KW, Cin/groups, Cout] of conv2d (same geometry as conv2d above) from x NHWC and
    dy [N, OH, OW, Cout]: patchesᵀ @ dy per group."""
    dtype = numpy_dtype(FLOAT32)
    x = np.asarray(x, dtype).reshape(in_shape)
    n, h, w, c = in_shape
    kh, kw, cg, cout = filter_shape
    oh, ow = out_hw
    cog = cout // groups
    rows, row_ok = _source_index(oh, kh, strides[0], dilations[0], lhs_dilations[0], pads[0], h)
    cols, col_ok = _source_index(ow, kw, strides[1], dilations[1], lhs_dilations[1], pads[1], w)
    patches = x[:, rows[:, None, :, None], cols[None, :, None, :], :]
    valid = row_ok[:, None, :, None] & col_ok[None, :, None, :]
    patches = np.where(valid[None, :, :, :, :, None], patches, dtype(0))  # 0 * inf is nan
    patches = patches.reshape(n * oh * ow, kh * kw, groups, cg).transpose(2, 1, 3, 0)
    patches = patches.reshape(groups, kh * kw * cg, n * oh * ow)
    d = np.asarray(dy, dtype).reshape(n * oh * ow, groups, cog).transpose(1, 0, 2)
    dw = np.matmul(patches, d)                       # [groups, KH*KW*Cg, Cog]
    return dw.reshape(groups, kh, kw, cg, cog).transpose(1, 2, 3, 0, 4).reshape(filter_shape)


KERNELS = {"conv2d": conv2d, "conv2d_filter_grad": conv2d_filter_grad}
