"""Image resizing with TF's semantics (align_corners, half_pixel_centers), NHWC.

Both are separable and composed from gather along H then W (indices and weights computed on
the host from the sizes alone, so no sync): nearest is one gather per axis; bilinear gathers
the lower and upper neighbours and blends them. Gradients are those of gather (scatter-adds)
and the blend, so they run on either backend.
"""

__all__ = ["resize_bilinear", "resize_nearest"]
import numbers

import numpy as np

from ..runtime import dtypes
from . import _core
from .arithmetic import add, mul, sub
from .indexing import gather
from .shape import expand_dims, squeeze


def _scale(in_size, out_size, align_corners):
    """TF's float32 scale from output to input coordinates."""
    if align_corners and out_size > 1:
        return np.float32(in_size - 1) / np.float32(out_size - 1)
    return np.float32(in_size) / np.float32(out_size)


def _nearest_index(in_size, out_size, align_corners, half_pixel_centers):
    scale = _scale(in_size, out_size, align_corners)
    o = np.arange(out_size, dtype=np.float32)
    src = (o + np.float32(0.5)) * scale if half_pixel_centers else o * scale
    # TF rounds half away from zero with align_corners (roundf), else floors
    picked = np.floor(src + np.float32(0.5)) if align_corners else np.floor(src)
    return np.clip(picked.astype(np.int64), 0, in_size - 1)


def _bilinear_taps(in_size, out_size, align_corners, half_pixel_centers):
    """(lower index, upper index, weight of upper) per output position, as TF computes them."""
    scale = _scale(in_size, out_size, align_corners)
    o = np.arange(out_size, dtype=np.float32)
    src = ((o + np.float32(0.5)) * scale - np.float32(0.5)) if half_pixel_centers else o * scale
    floor = np.floor(src)
    lower = np.maximum(floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(src), in_size - 1).astype(np.int64)
    return lower, upper, (src - floor).astype(np.float32)


def _check(op, x, size, align_corners, half_pixel_centers):
    (x,) = _core.tensors(op, x)
    if x.dtype != dtypes.FLOAT32:
        raise TypeError(f"{op}: images must be float32, got {x.dtype}")
    if x.rank not in (3, 4):
        raise ValueError(f"{op}: images must have rank 4 (NHWC) or 3 (HWC), got shape {x.shape}")
    try:
        size = tuple(size)
    except TypeError:
        raise TypeError(f"{op}: size must be [new_height, new_width], got {size!r}") from None
    if len(size) != 2 or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                                 for s in size):
        raise ValueError(f"{op}: size must be 2 ints [new_height, new_width], got {size!r}")
    if min(size) < 1:
        raise ValueError(f"{op}: size must be positive, got {list(size)}")
    if align_corners and half_pixel_centers:
        raise ValueError(f"{op}: align_corners and half_pixel_centers cannot both be True")
    batched = x.rank == 4
    x = x if batched else expand_dims(x, 0)
    if min(x._shape[1:3]) < 1:
        raise ValueError(f"{op}: images have an empty spatial axis: shape {x.shape}")
    return x, (int(size[0]), int(size[1])), batched


def resize_nearest(x, size, align_corners=False, half_pixel_centers=False):
    """Nearest-neighbour resize of NHWC images to size [new_height, new_width] (TF rules)."""
    x, size, batched = _check("resize_nearest", x, size, align_corners, half_pixel_centers)
    for axis, out in ((1, size[0]), (2, size[1])):
        index = _nearest_index(x._shape[axis], out, align_corners, half_pixel_centers)
        x = gather(x, index.astype(np.int32), axis=axis)
    return x if batched else squeeze(x, 0)


def resize_bilinear(x, size, align_corners=False, half_pixel_centers=False):
    """Bilinear resize of NHWC images to size [new_height, new_width] (TF rules)."""
    op = "resize_bilinear"
    x, size, batched = _check(op, x, size, align_corners, half_pixel_centers)
    for axis, out in ((1, size[0]), (2, size[1])):
        lower, upper, weight = _bilinear_taps(x._shape[axis], out, align_corners,
                                              half_pixel_centers)
        shape = [1, 1, 1, 1]
        shape[axis] = out
        w = _core.from_numpy(weight.reshape(shape), op)
        low = gather(x, lower.astype(np.int32), axis=axis)
        high = gather(x, upper.astype(np.int32), axis=axis)
        x = add(low, mul(sub(high, low), w))
    return x if batched else squeeze(x, 0)
