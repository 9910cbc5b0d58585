"""Convolutions: conv2d (strides, dilations, groups, NHWC/NCHW), conv1d, depthwise_conv2d,
separable_conv2d and conv2d_transpose, all on one general `conv2d` kernel.

The kernel computes y[n, o, co] = sum over k, ci of xd[n, o * stride + k * dilation - pad, ci]
* w[k, ci, co] per group, where xd is x with its pixels spread `lhs` apart (input dilation,
zeros between). Input dilation makes the input gradient and conv2d_transpose ordinary convs
of this kernel. The filter gradient has a kernel of its own, conv2d_filter_grad (a
reduction over output pixels), whose gradient is conv2d again, so gradients of any order
run on these two kernels, on either backend.
GL: glflow/backends/gl/conv.py (direct MRT kernel, im2col + matmul otherwise);
numpy twins: glflow/backends/numpy/conv.py.
"""
import numbers
from typing import NamedTuple

from ..runtime import dtypes
from ..runtime.registry import OPAQUE, OUTPUT_FUSABLE
from . import _core
from ._nn_args import check_format, check_rank, explicit_pads, positive_ints, window_geometry
from ._primitive import Primitive
from .shape import int_list, reshape, transpose
from .slicing import reverse

__all__ = ["conv1d", "conv2d", "depthwise_conv2d", "separable_conv2d", "conv2d_transpose"]


class Geometry(NamedTuple):
    strides: tuple
    dilations: tuple
    lhs: tuple        # input dilation
    pads: tuple       # top, left (bottom/right follow from out_hw)
    out_hw: tuple
    groups: int


def _transposed_filters(f, groups):
    """[KH, KW, Cg, Cout] -> [KH, KW, Cout/groups, Cin] flipped in space: the filters of
    the convolution that maps dy back onto x."""
    kh, kw, cg, cout = f._shape
    cog = cout // groups
    t = reshape(f, (kh, kw, cg, groups, cog))
    t = reshape(transpose(t, [0, 1, 4, 3, 2]), (kh, kw, cog, groups * cg))
    return reverse(t, [0, 1])


def _geometry(call):
    a = call.attrs
    return Geometry(a["strides"], a["dilations"], a["lhs_dilations"], a["pads"], a["out_hw"],
                    a["groups"])


def _attrs(x_shape, f_shape, geo):
    return {"in_shape": x_shape, "filter_shape": tuple(f_shape), "out_hw": tuple(geo.out_hw),
            "strides": geo.strides, "dilations": geo.dilations, "lhs_dilations": geo.lhs,
            "pads": geo.pads, "groups": geo.groups}


def _conv_grad(call, d_raw):
    """The raw [groups, N*OH*OW, Cout/groups] output's gradient: dx is a conv of dy with the
    flipped filters, dW the filter-gradient kernel; each only when the tape needs it."""
    x, f = call.inputs
    geo = _geometry(call)
    n = x._shape[0]
    oh, ow = geo.out_hw
    cout = f._shape[3]
    dy = reshape(d_raw if geo.groups == 1 else transpose(d_raw, [1, 0, 2]), (n, oh, ow, cout))
    needs = call.needs or (True, True)
    return (_input_grad(dy, f, x._shape, geo) if needs[0] else None,
            _filter_grad(x, dy, f._shape, geo) if needs[1] else None)


def _filter_grad_grad(call, ddw):
    """dW is bilinear in x and dy, so its gradient is conv2d's two other products: the input
    gradient with ddW as the filters, and the forward conv of x with ddW."""
    x, dy = call.inputs
    geo = _geometry(call)
    needs = call.needs or (True, True)
    return (_input_grad(dy, ddw, x._shape, geo) if needs[0] else None,
            _conv(x, ddw, geo) if needs[1] else None)


# attrs (both): in_shape, filter_shape, out_hw, strides, dilations, lhs_dilations, pads, groups
CONV2D = Primitive("conv2d", "conv", OUTPUT_FUSABLE, grad=_conv_grad, takes_needs=True)
CONV2D_FILTER_GRAD = Primitive("conv2d_filter_grad", "conv", OPAQUE, grad=_filter_grad_grad,
                               takes_needs=True)


def _filter_grad(x, dy, f_shape, geo):
    """dW[kh, kw, ci, co] = sum over n, o of xd[n, o*s + kh*d - pad, ci] * dy[n, o, co] per
    group: its own kernel, a reduction over output pixels (on GL, no im2col)."""
    return CONV2D_FILTER_GRAD.run((x, dy), tuple(f_shape), dtypes.FLOAT32,
                                  _attrs(x._shape, f_shape, geo))


def _input_grad(dy, f, x_shape, geo):
    """dx of conv2d: a conv of dy with the filters flipped and transposed, the strides
    becoming input dilation."""
    _, h, w, _ = x_shape
    kh, kw = f._shape[:2]
    back = Geometry(geo.lhs, geo.dilations, geo.strides,
                    ((kh - 1) * geo.dilations[0] - geo.pads[0],
                     (kw - 1) * geo.dilations[1] - geo.pads[1]), (h, w), geo.groups)
    return _conv(dy, _transposed_filters(f, geo.groups), back)


def _conv(x, f, geo):
    """The conv2d primitive on NHWC x and [KH, KW, Cg, Cout] filters -> NHWC. The kernel
    writes [groups, N*OH*OW, Cout/groups]: a reshape for one group, a transpose for more."""
    n = x._shape[0]
    cout = f._shape[3]
    g = geo.groups
    oh, ow = geo.out_hw
    out_shape = (g, n * oh * ow, cout // g)
    _core.check_size("conv2d", out_shape)
    raw = CONV2D.run((x, f), out_shape, dtypes.FLOAT32, _attrs(x._shape, f._shape, geo))
    if g == 1:
        return reshape(raw, (n, oh, ow, cout))
    return reshape(transpose(raw, [1, 0, 2]), (n, oh, ow, cout))


def _float_inputs(op, **named):
    out = []
    for name, value in named.items():
        (t,) = _core.tensors(op, value)
        if t._dtype != dtypes.FLOAT32:
            raise TypeError(f"{op}: {name} must be float32, got {t.dtype}")
        out.append(t)
    return out


def _to_nhwc(x, data_format):
    return transpose(x, [0, 2, 3, 1]) if data_format == "NCHW" else x


def _from_nhwc(y, data_format):
    return transpose(y, [0, 3, 1, 2]) if data_format == "NCHW" else y


def _groups(op, groups):
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be an int >= 1, got {groups!r}")
    return int(groups)


def conv2d(x, filters, strides=1, padding="valid", data_format="NHWC", dilations=1, groups=1):
    """2-D convolution (cross-correlation, as TF). x [N, H, W, Cin] (NCHW: [N, Cin, H, W]),
    filters [KH, KW, Cin / groups, Cout]; padding 'valid', 'same' (TF: output
    ceil(in / stride), the extra pad at the bottom/right) or [[top, bottom], [left, right]]."""
    op = "conv2d"
    x, filters = _float_inputs(op, x=x, filters=filters)
    check_format(op, data_format, ("NHWC", "NCHW"))
    check_rank(op, "x", x, 4, data_format)
    check_rank(op, "filters", filters, 4, "[KH, KW, Cin / groups, Cout]")
    strides = positive_ints(op, "strides", strides, 2)
    dilations = positive_ints(op, "dilations", dilations, 2)
    groups = _groups(op, groups)
    cin = x._shape[3] if data_format == "NHWC" else x._shape[1]
    kh, kw, cg, cout = filters._shape
    if cin % groups or cout % groups:
        raise ValueError(f"{op}: groups ({groups}) must divide the input channels ({cin}) and "
                         f"the output channels ({cout}); x is {x.shape}, filters are "
                         f"{filters.shape}")
    if cg * groups != cin:
        raise ValueError(f"{op}: filters have {cg} input channels but x has {cin} channels "
                         f"in {groups} group(s) (needs {cin // groups}); x is {x.shape}, "
                         f"filters are {filters.shape}")
    x = _to_nhwc(x, data_format)
    outs, pads = window_geometry(op, padding, x._shape[1:3], (kh, kw), strides, dilations,
                                 data_format, "filter")
    geo = Geometry(strides, dilations, (1, 1), (pads[0][0], pads[1][0]), tuple(outs), groups)
    return _from_nhwc(_conv(x, filters, geo), data_format)


def conv1d(x, filters, stride=1, padding="valid", data_format="NWC", dilation=1, groups=1):
    """1-D convolution: x [N, W, Cin] (NCW: [N, Cin, W]), filters [K, Cin / groups, Cout]; a
    conv2d over a height of 1."""
    op = "conv1d"
    x, filters = _float_inputs(op, x=x, filters=filters)
    check_format(op, data_format, ("NWC", "NCW"))
    check_rank(op, "x", x, 3, data_format)
    check_rank(op, "filters", filters, 3, "[K, Cin, Cout]")
    (stride,) = positive_ints(op, "stride", stride, 1)
    (dilation,) = positive_ints(op, "dilation", dilation, 1)
    groups = _groups(op, groups)
    if data_format == "NCW":
        x = transpose(x, [0, 2, 1])
    n, w, cin = x._shape
    k, fin, cout = filters._shape
    if cin % groups or cout % groups:
        raise ValueError(f"{op}: groups ({groups}) must divide the input channels ({cin}) and "
                         f"the output channels ({cout}); x is {x.shape}, filters are "
                         f"{filters.shape}")
    if fin * groups != cin:
        per_group = f" in {groups} groups (needs {cin // groups})" if groups > 1 else ""
        raise ValueError(f"{op}: filters have {fin} input channels but x has {cin}{per_group}; "
                         f"x is {x.shape}, filters are {filters.shape}")
    if not isinstance(padding, str):
        padding = [(0, 0)] + explicit_pads(op, padding, 1, data_format)
    y = conv2d(reshape(x, (n, 1, w, cin)), reshape(filters, (1, k, fin, cout)), (1, stride),
               padding, "NHWC", (1, dilation), groups)
    y = reshape(y, (n, y._shape[2], cout))
    return transpose(y, [0, 2, 1]) if data_format == "NCW" else y


def depthwise_conv2d(x, filters, strides=1, padding="valid", data_format="NHWC", dilations=1):
    """Each input channel convolved with its own `multiplier` filters: filters
    [KH, KW, Cin, multiplier] -> Cin * multiplier channels (channel c * multiplier + m)."""
    op = "depthwise_conv2d"
    x, filters = _float_inputs(op, x=x, filters=filters)
    check_format(op, data_format, ("NHWC", "NCHW"))
    check_rank(op, "x", x, 4, data_format)
    check_rank(op, "filters", filters, 4, "[KH, KW, Cin, multiplier]")
    cin = x._shape[3] if data_format == "NHWC" else x._shape[1]
    kh, kw, fin, mult = filters._shape
    if fin != cin:
        raise ValueError(f"{op}: filters have {fin} input channels but x has {cin}; x is "
                         f"{x.shape}, filters are {filters.shape}")
    if cin == 0:
        raise ValueError(f"{op}: x has no channels; x is {x.shape}")
    return conv2d(x, reshape(filters, (kh, kw, 1, cin * mult)), strides, padding, data_format,
                  dilations, groups=cin)


def separable_conv2d(x, depthwise_filters, pointwise_filters, strides=1, padding="valid",
                     data_format="NHWC", dilations=1):
    """depthwise_conv2d, then a 1x1 conv2d with pointwise_filters [1, 1, Cin * mult, Cout]."""
    op = "separable_conv2d"
    x, dw, pw = _float_inputs(op, x=x, depthwise_filters=depthwise_filters,
                              pointwise_filters=pointwise_filters)
    check_rank(op, "depthwise_filters", dw, 4, "[KH, KW, Cin, multiplier]")
    check_rank(op, "pointwise_filters", pw, 4, "[1, 1, Cin * multiplier, Cout]")
    channels = dw._shape[2] * dw._shape[3]
    if pw._shape[:3] != (1, 1, channels):
        raise ValueError(f"{op}: pointwise_filters must be [1, 1, {channels}, Cout] for "
                         f"depthwise_filters {dw.shape}, got {pw.shape}")
    y = depthwise_conv2d(x, dw, strides, padding, data_format, dilations)
    return conv2d(y, pw, 1, "valid", data_format)


def conv2d_transpose(x, filters, output_shape=None, strides=1, padding="valid",
                     data_format="NHWC"):
    """The gradient of conv2d with respect to its input, as an op: x [N, H, W, Cin], filters
    [KH, KW, Cout, Cin] (TF). output_shape (4 dims in data_format order, or [OH, OW]) picks
    among the sizes whose conv2d is H x W; None: (H - 1) * stride + K (valid),
    H * stride (same), or (H - 1) * stride + K - pads (explicit)."""
    op = "conv2d_transpose"
    x, filters = _float_inputs(op, x=x, filters=filters)
    check_format(op, data_format, ("NHWC", "NCHW"))
    check_rank(op, "x", x, 4, data_format)
    check_rank(op, "filters", filters, 4, "[KH, KW, Cout, Cin]")
    strides = positive_ints(op, "strides", strides, 2)
    x = _to_nhwc(x, data_format)
    n, h, w, cin = x._shape
    kh, kw, cout, fin = filters._shape
    if fin != cin:
        raise ValueError(f"{op}: filters [KH, KW, Cout, Cin] have Cin = {fin} but x has {cin} "
                         f"channels; x is {x.shape}, filters are {filters.shape}")
    size = _transpose_output_size(op, output_shape, padding, (h, w), (kh, kw), strides,
                                  data_format, n, cout)
    outs, pads = window_geometry(op, padding, size, (kh, kw), strides, (1, 1), data_format,
                                 "filter")
    if tuple(outs) != (h, w):
        raise ValueError(f"{op}: output_shape {output_shape!r} does not give x's spatial size "
                         f"{[h, w]} under conv2d with strides {list(strides)} and padding "
                         f"{padding!r} (it gives {outs})")
    geo = Geometry((1, 1), (1, 1), strides, (kh - 1 - pads[0][0], kw - 1 - pads[1][0]),
                   tuple(size), 1)
    return _from_nhwc(_conv(x, _transposed_filters(filters, 1), geo), data_format)


def _transpose_output_size(op, output_shape, padding, in_hw, k, strides, data_format, n, cout):
    if output_shape is None:
        if isinstance(padding, str) and padding.lower() == "same":
            return [i * s for i, s in zip(in_hw, strides)]
        pads = ([(0, 0)] * 2 if isinstance(padding, str)
                else explicit_pads(op, padding, 2, data_format))
        return [(i - 1) * s + kk - a - b for i, s, kk, (a, b) in zip(in_hw, strides, k, pads)]
    shape = int_list(op, "output_shape", output_shape)
    if len(shape) == 4:
        want_n, want_c = shape[0], shape[3] if data_format == "NHWC" else shape[1]
        if (want_n, want_c) != (n, cout):
            raise ValueError(f"{op}: output_shape {shape} needs batch {n} and {cout} channels "
                             f"(from x and filters)")
        shape = shape[1:3] if data_format == "NHWC" else shape[2:]
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"{op}: output_shape must be 4 dims or [OH, OW] of positive sizes, "
                         f"got {output_shape!r}")
    return list(shape)
