"""Numpy twins of the scan kernels (shaders/cumsum.glsl, shaders/cumprod.glsl): floats in
float32 like GL, ints in int64 (the backend narrows to int32)."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype


def _scan(fn, identity, x, axis, exclusive, reverse):
    x = np.asarray(x)
    x = x.astype(numpy_dtype(FLOAT32) if x.dtype.kind == "f" else np.int64)
    if reverse:
        x = np.flip(x, axis)
    with np.errstate(all="ignore"):  # inf - inf, 0 * inf: nan, as on GL
        y = fn(x, axis=axis, dtype=x.dtype)
    if exclusive:
        first = np.full_like(np.take(y, [0], axis=axis), identity)
        y = np.concatenate([first, np.take(y, np.arange(y.shape[axis] - 1), axis=axis)], axis)
    return np.flip(y, axis) if reverse else y


def cumsum(x, axis, exclusive, reverse):
    return _scan(np.cumsum, 0, x, axis, exclusive, reverse)


def cumprod(x, axis, exclusive, reverse):
    return _scan(np.cumprod, 1, x, axis, exclusive, reverse)


KERNELS = {"cumsum": cumsum, "cumprod": cumprod}
