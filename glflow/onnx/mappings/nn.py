"""Convolutions and normalisation (NCHW, as ONNX). 1-D convolutions run as 2-D ones with a
height of 1; 3-D and larger spatial ranks are refused at load time where shapes are known.
(Pooling: pool.py.)"""
import builtins

import numpy as np

from ... import ops
from .table import mapping

_CONV_ATTRS = {"auto_pad": "NOTSET", "dilations": None, "group": 1, "kernel_shape": None,
               "pads": None, "strides": None}


def _spatial_check(n):
    shape = n.input_shapes[0]
    if shape is not None and len(shape) not in (3, 4):
        n.refuse(f"{len(shape) - 2}-D input (glflow runs 1-D and 2-D {n.op_type})")
    if n.attrs.get("auto_pad") not in (None, "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        n.refuse(f"attribute 'auto_pad' = {n['auto_pad']!r}")


def _as_2d(x):
    """[N, C, W] -> [N, C, 1, W]; 2-D inputs unchanged."""
    return ops.reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]) if x.rank == 3 else x


def _pairs(n, sizes, kernel, strides, dilations):
    """(before, after) padding per spatial axis from pads / auto_pad."""
    k = len(sizes)
    mode = n.attrs.get("auto_pad", "NOTSET")
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        pairs = []
        for size, kk, s, d in zip(sizes, kernel, strides, dilations):
            out = -(-size // s)
            total = max((out - 1) * s + (kk - 1) * d + 1 - size, 0)
            small, big = total // 2, total - total // 2
            pairs.append((small, big) if mode == "SAME_UPPER" else (big, small))
        return pairs
    if mode == "VALID" or not n.attrs.get("pads"):
        return [(0, 0)] * k
    pads = n["pads"]
    return [(pads[i], pads[i + k]) for i in builtins.range(k)]


def _geometry(n, x_shape, kernel):
    k = len(kernel)
    strides = list(n.attrs.get("strides") or [1] * k)
    dilations = list(n.attrs.get("dilations") or [1] * k)
    pairs = _pairs(n, list(x_shape[2:]), kernel, strides, dilations)
    if k == 1:
        return [1] + strides, [1] + dilations, [(0, 0)] + pairs
    return strides, dilations, pairs


@mapping("Conv", attrs=_CONV_ATTRS, check=_spatial_check)
def conv(n, x, w, b=None):
    kernel = list(w.shape[2:])
    strides, dilations, pairs = _geometry(n, x.shape, kernel)
    out = w.shape[0]
    x2, w2 = _as_2d(x), _as_2d(w)
    filters = ops.transpose(w2, [2, 3, 1, 0])  # [O, I/g, kh, kw] -> [kh, kw, I/g, O]
    y = ops.conv2d(x2, filters, strides, pairs, "NCHW", dilations, n["group"])
    if b is not None:
        y = ops.add(y, ops.reshape(b, [1, out, 1, 1]))
    return ops.reshape(y, [y.shape[0], out, y.shape[3]]) if x.rank == 3 else y


_CONV_T_ATTRS = dict(_CONV_ATTRS, output_padding=None, output_shape=None)


@mapping("ConvTranspose", attrs=_CONV_T_ATTRS, check=_spatial_check)
def conv_transpose(n, x, w, b=None):
    """The gradient of a convolution as a convolution: x spread out by the strides (zeros
    between), padded by the flipped kernel's reach, convolved with the kernel flipped and its
    channel axes swapped (per group)."""
    k = w.rank - 2
    g = n["group"]
    kernel = list(w.shape[2:])
    strides = list(n["strides"] or [1] * k)
    dilations = list(n["dilations"] or [1] * k)
    out_pad = list(n["output_padding"] or [0] * k)
    sizes = list(x.shape[2:])
    full = [(s - 1) * st + (kk - 1) * d + 1 + op
            for s, st, kk, d, op in zip(sizes, strides, kernel, dilations, out_pad)]
    mode = n["auto_pad"]
    if n["output_shape"] and not n["pads"]:
        total = [f - o for f, o in zip(full, list(n["output_shape"])[-k:])]
    elif mode in ("SAME_UPPER", "SAME_LOWER"):
        total = [f - s * st for f, s, st in zip(full, sizes, strides)]
    else:
        total = None
    if total is None:
        pads = ([(n["pads"][i], n["pads"][i + k]) for i in builtins.range(k)] if n["pads"]
                else [(0, 0)] * k)
    elif mode == "SAME_UPPER":
        pads = [(t // 2, t - t // 2) for t in total]
    elif mode == "SAME_LOWER":
        pads = [(t - t // 2, t // 2) for t in total]
    else:  # an output_shape alone: the output is the full one cut at the end
        pads = [(0, t) for t in total]
    x2, w2 = _as_2d(x), _as_2d(w)
    if k == 1:
        strides, dilations, pads = [1] + strides, [1] + dilations, [(0, 0)] + pads
        out_pad, kernel = [0] + out_pad, [1] + kernel
    spread = _spread(x2, strides)
    reach = [(kk - 1) * d for kk, d in zip(kernel, dilations)]
    pairs = [(r - p0, r - p1 + op) for r, (p0, p1), op in zip(reach, pads, out_pad)]
    spread = _pad_or_crop(spread, pairs)
    cin, cout_g = w2.shape[0], w2.shape[1]
    # [Cin, Cout/g, kh, kw] -> per group [kh, kw, Cin/g, Cout/g], flipped in space
    wg = ops.reshape(w2, [g, cin // g, cout_g] + kernel[-2:])
    wg = ops.reverse(wg, [3, 4])
    filters = ops.reshape(ops.transpose(wg, [3, 4, 1, 0, 2]), kernel[-2:] + [cin // g, g * cout_g])
    y = ops.conv2d(spread, filters, 1, "valid", "NCHW", dilations, g)
    if b is not None:
        y = ops.add(y, ops.reshape(b, [1, g * cout_g, 1, 1]))
    return ops.reshape(y, [y.shape[0], y.shape[1], y.shape[3]]) if k == 1 else y


def _spread(x, strides):
    """x [N, C, H, W] with strides - 1 zeros between neighbours along H and W."""
    sh, sw = strides
    if sh == 1 and sw == 1:
        return x
    N, C, H, W = x.shape
    y = ops.reshape(x, [N, C, H, 1, W, 1])
    y = ops.pad(y, [[0, 0], [0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1]])
    y = ops.reshape(y, [N, C, H * sh, W * sw])
    keep = (builtins.slice(None), builtins.slice(None), builtins.slice(0, (H - 1) * sh + 1),
            builtins.slice(0, (W - 1) * sw + 1))
    return ops.getitem(y, keep)


def _pad_or_crop(x, pairs):
    """Pad the spatial axes by (before, after); negative amounts crop."""
    crop = tuple([builtins.slice(None)] * 2 + [builtins.slice(-min(b, 0), d + min(a, 0))
                                               for (b, a), d in zip(pairs, x.shape[2:])])
    x = ops.getitem(x, crop)
    grow = [[0, 0], [0, 0]] + [[max(b, 0), max(a, 0)] for b, a in pairs]
    return ops.pad(x, grow) if any(v for p in grow for v in p) else x


# ---------------------------------------------------------------------------- normalisation

def _channels(t, rank):
    """A [C] parameter shaped to broadcast over axis 1 of a rank-`rank` tensor."""
    return ops.reshape(t, [1, -1] + [1] * (rank - 2))


def _bn_check(n):
    if n.attrs.get("training_mode"):
        n.refuse("attribute 'training_mode' = 1 (glflow runs inference graphs)")


@mapping("BatchNormalization", attrs={"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0},
         check=_bn_check)
def batch_norm(n, x, scale, bias, mean, var):
    r = x.rank
    return ops.batch_norm(x, _channels(mean, r), _channels(var, r), _channels(bias, r),
                          _channels(scale, r), n["epsilon"])


@mapping("InstanceNormalization", attrs={"epsilon": 1e-5})
def instance_norm(n, x, scale, bias):
    axes = list(builtins.range(2, x.rank))
    mean, var = ops.moments(x, axes, keepdims=True)
    return ops.batch_norm(x, mean, var, _channels(bias, x.rank), _channels(scale, x.rank),
                          n["epsilon"])


@mapping("LayerNormalization", attrs={"axis": -1, "epsilon": 1e-5, "stash_type": 1})
def layer_norm(n, x, scale, bias=None):
    a = n["axis"] + x.rank if n["axis"] < 0 else n["axis"]
    axes = list(builtins.range(a, x.rank))
    mean, var = ops.moments(x, axes, keepdims=True)
    inv = ops.rsqrt(ops.add(var, n["epsilon"]))
    y = ops.mul(ops.mul(ops.sub(x, mean), inv), scale)
    if bias is not None:
        y = ops.add(y, bias)
    return (y, mean, inv)[:max(n.n_outputs, 1)]


@mapping("RMSNormalization", attrs={"axis": -1, "epsilon": 1e-5, "stash_type": 1})
def rms_norm(n, x, scale):
    a = n["axis"] + x.rank if n["axis"] < 0 else n["axis"]
    axes = list(builtins.range(a, x.rank))
    ms = ops.mean(ops.square(x), axes, keepdims=True)
    return ops.mul(ops.mul(x, ops.rsqrt(ops.add(ms, n["epsilon"]))), scale)


@mapping("GroupNormalization", attrs={"epsilon": 1e-5, "num_groups": None, "stash_type": 1})
def group_norm(n, x, scale, bias):
    g = n["num_groups"]
    shape = list(x.shape)
    grouped = ops.reshape(x, [shape[0], g, -1])
    mean, var = ops.moments(grouped, [2], keepdims=True)
    y = ops.reshape(ops.batch_norm(grouped, mean, var, variance_epsilon=n["epsilon"]), shape)
    if scale.shape[0] != shape[1]:  # opset 18: one scale and bias per group
        per = shape[1] // g
        scale = ops.reshape(ops.broadcast_to(ops.reshape(scale, [g, 1]), [g, per]), [-1])
        bias = ops.reshape(ops.broadcast_to(ops.reshape(bias, [g, 1]), [g, per]), [-1])
    return ops.add(ops.mul(y, _channels(scale, x.rank)), _channels(bias, x.rank))


@mapping("LRN", attrs={"alpha": 1e-4, "beta": 0.75, "bias": 1.0, "size": None})
def lrn(n, x):
    size = n["size"]
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = ops.square(x)
    padded = ops.pad(sq, [[0, 0], [lo, hi]] + [[0, 0]] * (x.rank - 2))
    c = x.shape[1]
    window = ops.add_n([ops.getitem(padded, (builtins.slice(None), builtins.slice(i, i + c)))
                        for i in builtins.range(size)])
    scale = ops.pow(ops.add(ops.mul(window, n["alpha"] / size), n["bias"]), n["beta"])
    return ops.div(x, scale)


@mapping("LpNormalization", attrs={"axis": -1, "p": 2})
def lp_norm(n, x):
    a = n["axis"]
    if n["p"] == 1:
        norm = ops.sum(ops.abs(x), a, keepdims=True)
    else:
        norm = ops.sqrt(ops.sum(ops.square(x), a, keepdims=True))
    return ops.where(ops.equal(norm, 0.0), 0.0, ops.div(x, norm))  # 0 / 0 is 0 here


@mapping("MeanVarianceNormalization", attrs={"axes": [0, 2, 3]})
def mvn(n, x):
    mean, var = ops.moments(x, list(n["axes"]), keepdims=True)
    return ops.div(ops.sub(x, mean), ops.sqrt(ops.add(var, 1e-9)))


@mapping("ConvInteger", attrs=_CONV_ATTRS, check=_spatial_check)
def conv_integer(n, x, w, x_zero=None, w_zero=None):
    xf = ops.cast(x, "float32")
    if x_zero is not None:
        xf = ops.sub(xf, ops.cast(x_zero, "float32"))
    wf = ops.cast(w, "float32")
    if w_zero is not None:
        wz = ops.cast(w_zero, "float32")
        wf = ops.sub(wf, wz if wz.rank == 0 else ops.reshape(wz, [-1] + [1] * (w.rank - 1)))
    return ops.cast(ops.round(conv(n, xf, wf)), "int32")


@mapping("QLinearConv", attrs=_CONV_ATTRS, check=_spatial_check)
def qlinear_conv(n, x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero, b=None):
    xf = ops.mul(ops.sub(ops.cast(x, "float32"), ops.cast(x_zero, "float32")), x_scale)
    wz, ws = ops.cast(w_zero, "float32"), w_scale
    shape = [-1] + [1] * (w.rank - 1)
    wf = ops.mul(ops.sub(ops.cast(w, "float32"), wz if wz.rank == 0 else ops.reshape(wz, shape)),
                 ws if ws.rank == 0 else ops.reshape(ws, shape))
    bias = None
    if b is not None:  # int32 bias in units of x_scale * w_scale
        bias = ops.mul(ops.cast(b, "float32"), ops.mul(x_scale, ws))
    real = conv(n, xf, wf, bias)
    info = np.iinfo(np.int8 if n.output_types[0] == 3 else np.uint8)
    y = ops.add(ops.round(ops.div(real, y_scale)), ops.cast(y_zero, "float32"))
    return ops.cast(ops.clip_by_value(y, float(info.min), float(info.max)), "int32")
