"""Resize (and opset-9 Upsample's successor semantics) as separable per-axis resampling: for
each resized axis the host works out, from the ONNX formulas, which input positions feed each
output position and with which weights; the device gathers those positions and sums them with
the weights (nearest: one gather). Any rank, every coordinate mode, linear/cubic/nearest."""
import builtins

import numpy as np

from ... import ops
from .table import mapping

_MODES = ("nearest", "linear", "cubic")
_COORDS = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
           "asymmetric", "tf_crop_and_resize")
_NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _check(n):
    if n["mode"] not in _MODES:
        n.refuse(f"attribute 'mode' = {n['mode']!r}")
    if n["coordinate_transformation_mode"] not in _COORDS:
        n.refuse(f"attribute 'coordinate_transformation_mode' = "
                 f"{n['coordinate_transformation_mode']!r}")
    if n["nearest_mode"] not in _NEAREST:
        n.refuse(f"attribute 'nearest_mode' = {n['nearest_mode']!r}")
    if n["antialias"]:
        n.refuse("attribute 'antialias' = 1")
    if n["keep_aspect_ratio_policy"] not in ("stretch", "not_larger", "not_smaller"):
        n.refuse(f"attribute 'keep_aspect_ratio_policy' = {n['keep_aspect_ratio_policy']!r}")


_ATTRS = {"antialias": 0, "axes": None, "coordinate_transformation_mode": "half_pixel",
          "cubic_coeff_a": -0.75, "exclude_outside": 0, "extrapolation_value": 0.0,
          "keep_aspect_ratio_policy": "stretch", "mode": "nearest",
          "nearest_mode": "round_prefer_floor"}


@mapping("Resize", attrs=_ATTRS, host=(1, 2, 3), check=_check)
def resize(n, x, roi=None, scales=None, sizes=None):
    rank = x.rank
    axes = [a + rank if a < 0 else a for a in (n["axes"] or builtins.range(rank))]
    factors, out = _geometry(n, x.shape, axes, scales, sizes)
    roi = _full_roi(roi, axes, rank)
    y = x if x.dtype == "float32" else ops.cast(x, "float32")
    for a in axes:
        if out[a] == x.shape[a] and np.isclose(factors[a], 1.0) and (
                roi is None or (np.isclose(roi[a], 0) and np.isclose(roi[a + rank], 1))):
            continue
        y = _resample(n, y, a, factors[a], out[a], roi, rank)
    if x.dtype != "float32":
        y = ops.cast(ops.round(y), x.dtype)
    return ops.identity(y) if y is x else y


def _geometry(n, shape, axes, scales, sizes):
    """(scale per axis, output size per axis) from scales or sizes, as ONNX defines them."""
    rank = len(shape)
    factors, out = [1.0] * rank, list(shape)
    if sizes is not None and np.asarray(sizes).size:
        sizes = [int(v) for v in np.asarray(sizes).reshape(-1)]
        for a, s in zip(axes, sizes):
            out[a] = s
            factors[a] = s / shape[a]
        policy = n["keep_aspect_ratio_policy"]
        if policy != "stretch":
            pick = min if policy == "not_larger" else max
            scale = pick(factors[a] for a in axes)
            for a in axes:
                factors[a] = scale
                out[a] = int(scale * shape[a] + 0.5)
    else:
        values = [float(v) for v in np.asarray(scales).reshape(-1)]
        for a, s in zip(axes, values):
            factors[a] = s
            out[a] = int(s * shape[a])
    return factors, out


def _full_roi(roi, axes, rank):
    if roi is None or np.asarray(roi).size == 0:
        return None
    roi = [float(v) for v in np.asarray(roi).reshape(-1)]
    full = [0.0] * rank + [1.0] * rank
    k = len(axes)
    for i, a in enumerate(axes):
        full[a], full[a + rank] = roi[i], roi[k + i]
    return full


def _source_coords(mode, out_size, scale, size, roi, a, rank):
    y = np.arange(out_size, dtype=np.float64)
    length = scale * size
    if mode == "align_corners":
        return np.zeros(out_size) if length == 1 else y * (size - 1) / (length - 1)
    if mode == "asymmetric":
        return y / scale
    if mode == "tf_crop_and_resize":
        lo, hi = roi[a], roi[a + rank]
        if length == 1:
            x = np.full(out_size, (hi - lo) * (size - 1) / 2)
        else:
            x = y * (hi - lo) * (size - 1) / (length - 1)
        return x + lo * (size - 1)
    if mode == "pytorch_half_pixel":
        return np.full(out_size, -0.5) if length == 1 else (y + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        offset = size / 2 * (1 - out_size / length)
        return offset + (y + 0.5) / scale - 0.5
    return (y + 0.5) / scale - 0.5


def _weights(n, ratio):
    """Interpolation weights for the taps around a source coordinate (ratio in (0, 1])."""
    mode = n["mode"]
    if mode == "linear":
        return np.stack([1 - ratio, ratio], -1)
    if mode == "cubic":
        A = n["cubic_coeff_a"]
        r, s = ratio, 1 - ratio
        return np.stack([((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
                         ((A + 2) * r - (A + 3)) * r * r + 1,
                         ((A + 2) * s - (A + 3)) * s * s + 1,
                         ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A], -1)
    near = n["nearest_mode"]
    whole = ratio == 1
    if near == "round_prefer_floor":
        second = ratio > 0.5
    elif near == "round_prefer_ceil":
        second = ratio >= 0.5
    elif near == "floor":
        second = np.zeros_like(ratio, bool)
    else:
        second = np.ones_like(ratio, bool)
    second = second | whole
    return np.stack([~second, second], -1).astype(np.float64)


def _resample(n, x, a, scale, out_size, roi, rank):
    size = x.shape[a]
    mode = n["coordinate_transformation_mode"]
    src = _source_coords(mode, out_size, scale, size, roi, a, rank)
    base = np.floor(src)
    ratio = np.where(src == base, 1.0, src - base)
    w = _weights(n, ratio)
    taps = w.shape[1]
    # the taps nearest the source coordinate, ties to the smaller index (ONNX's rule)
    half = int(np.ceil(taps / 2))
    padded = src + half
    p = np.floor(padded)
    if taps % 2 == 0:
        start = p + np.where(padded - p == 0, -(taps // 2), -(taps // 2) + 1)
    else:
        start = p + np.where(padded - p <= 0.5, -((taps - 1) // 2), -((taps - 1) // 2) + 1)
    idx = start[:, None].astype(np.int64) + np.arange(taps)[None, :] - half
    if n["exclude_outside"]:
        w = np.where((idx < 0) | (idx >= size), 0.0, w)
        total = w.sum(-1, keepdims=True)
        w = w / np.where(total == 0, 1.0, total)
    idx = np.clip(idx, 0, size - 1)
    if n["mode"] == "nearest":
        y = ops.gather(x, idx[np.arange(out_size), np.argmax(w, -1)], axis=a)
    else:
        gathered = ops.gather(x, idx.reshape(-1), axis=a)
        shape = list(x.shape)
        shape[a:a + 1] = [out_size, taps]
        wshape = [1] * (rank + 1)
        wshape[a], wshape[a + 1] = out_size, taps
        weights = ops.tensor(w.astype(np.float32).reshape(wshape))
        y = ops.sum(ops.mul(ops.reshape(gathered, shape), weights), a + 1)
    if mode == "tf_crop_and_resize":
        outside = (src < 0) | (src > size - 1)
        if outside.any():
            mshape = [1] * rank
            mshape[a] = out_size
            y = ops.where(ops.tensor(outside.reshape(mshape)), n["extrapolation_value"], y)
    return y
