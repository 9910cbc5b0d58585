"""Pooling (NCHW, any number of spatial axes): MaxPool, AveragePool, LpPool and the global
pools. A 2-D window without dilation runs glflow's pooling kernels; other ranks and dilated
windows run as the max or sum over the window's taps, each tap one strided slice of the padded
input (elementwise work, any rank)."""
import builtins
import functools
import itertools

import numpy as np

from ... import ops
from .table import mapping

_ATTRS = {"auto_pad": "NOTSET", "ceil_mode": 0, "dilations": None, "kernel_shape": None,
          "pads": None, "strides": None}


def _check(n):
    if n.attrs.get("auto_pad") not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        n.refuse(f"attribute 'auto_pad' = {n['auto_pad']!r}")
    if n.attrs.get("storage_order"):
        n.refuse("attribute 'storage_order' = 1")
    if n.n_outputs > 1 and n.proto.output[1]:
        n.refuse("the Indices output")


class Axis:
    """One spatial axis of a pooling window: kernel, stride, dilation, explicit pads, the
    ceil-mode overhang past them, and the output size (ONNX's rules)."""

    def __init__(self, size, k, s, d, before, after, ceil):
        self.k, self.s, self.d = k, s, d
        self.span = (k - 1) * d + 1
        total = size + before + after - self.span
        out = (-(-total // s) if ceil else total // s) + 1
        if ceil and (out - 1) * s >= size + before:  # a window must start inside the input
            out -= 1
        self.out, self.before, self.after = out, before, after
        self.extra = max(0, (out - 1) * s + self.span - (size + before + after))


def _axes(n, x):
    sizes = list(x.shape[2:])
    rank = len(sizes)
    kernel = list(n["kernel_shape"])
    strides = list(n["strides"] or [1] * rank)
    dilations = list(n["dilations"] or [1] * rank)
    mode = n["auto_pad"]
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in zip(sizes, kernel, strides, dilations):
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if mode == "SAME_UPPER" else (big, small))
    elif mode == "VALID" or not n["pads"]:
        pads = [(0, 0)] * rank
    else:
        pads = [(n["pads"][i], n["pads"][i + rank]) for i in builtins.range(rank)]
    return [Axis(size, k, s, d, b, a, n["ceil_mode"])
            for size, k, s, d, (b, a) in zip(sizes, kernel, strides, dilations, pads)]


def _pad(x, axes, value, overhang=True):
    pairs = [[0, 0], [0, 0]] + [[a.before, a.after + (a.extra if overhang else 0)] for a in axes]
    if not any(v for p in pairs for v in p):
        return x
    return ops.pad(x, pairs, constant_values=value)


def _fast(axes):
    """glflow's 2-D pooling kernels serve it (two spatial axes, no dilation)."""
    return len(axes) == 2 and all(a.d == 1 for a in axes)


def _taps(x, axes):
    """The strided slices of padded x, one per position in the window."""
    for offsets in itertools.product(*[builtins.range(a.k) for a in axes]):
        key = (builtins.slice(None), builtins.slice(None)) + tuple(
            builtins.slice(i * a.d, i * a.d + (a.out - 1) * a.s + 1, a.s)
            for i, a in zip(offsets, axes))
        yield ops.getitem(x, key)


def _window_sum(x, axes):
    if _fast(axes):
        kernel = [a.k for a in axes]
        mean = ops.avg_pool(x, kernel, [a.s for a in axes], "valid", "NCHW")
        return ops.mul(mean, float(np.prod(kernel)))
    return ops.add_n(list(_taps(x, axes))) if np.prod([a.k for a in axes]) > 1 else \
        next(_taps(x, axes))


@mapping("MaxPool", attrs=dict(_ATTRS, storage_order=0), check=_check)
def max_pool(n, x):
    axes = _axes(n, x)
    low = float(np.finfo(np.float32).min) if x.dtype == "float32" else -(1 << 24)
    xp = _pad(ops.cast(x, "float32") if x.dtype == "int32" and _fast(axes) else x, axes, low)
    if _fast(axes):
        y = ops.max_pool(xp, [a.k for a in axes], [a.s for a in axes], "valid", "NCHW")
        return ops.cast(y, x.dtype) if x.dtype != "float32" else y
    return functools.reduce(ops.maximum, _taps(xp, axes))


@mapping("AveragePool", attrs=dict(_ATTRS, count_include_pad=0), check=_check)
def avg_pool(n, x):
    axes = _axes(n, x)
    sums = _window_sum(_pad(x, axes, 0.0), axes)
    # each window's count: input positions, and the explicit pads with count_include_pad,
    # never the ceil-mode overhang
    ones = ops.ones([1, 1] + list(x.shape[2:]))
    if n["count_include_pad"]:
        ones = _pad(ones, axes, 1.0, overhang=False)
        grow = [[0, 0], [0, 0]] + [[0, a.extra] for a in axes]
        counted = ops.pad(ones, grow) if any(a.extra for a in axes) else ones
    else:
        counted = _pad(ones, axes, 0.0)
    return ops.div(sums, _window_sum(counted, axes))


@mapping("LpPool", attrs=dict(_ATTRS, p=2), check=_check)
def lp_pool(n, x):
    axes = _axes(n, x)
    p = float(n["p"])
    sums = _window_sum(_pad(ops.pow(ops.abs(x), p), axes, 0.0), axes)
    return ops.pow(sums, 1.0 / p)


@mapping("GlobalAveragePool")
def global_avg_pool(n, x):
    return ops.mean(x, list(builtins.range(2, x.rank)), keepdims=True)


@mapping("GlobalMaxPool")
def global_max_pool(n, x):
    return ops.max(x, list(builtins.range(2, x.rank)), keepdims=True)
