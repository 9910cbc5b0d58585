"""Numpy twins of the search kernels: argmax, argmin (shaders/argmax.glsl, argmin.glsl) and
top_k (shaders/top_k.frag). nan counts as the largest value for argmax/top_k and the smallest
for argmin (numpy's argmax/argmin return the first nan); ties keep the lower index."""
import numpy as np


def argmax(x, outer, length, inner):
    return np.argmax(np.asarray(x).reshape(outer, length, inner), axis=1)


def argmin(x, outer, length, inner):
    return np.argmin(np.asarray(x).reshape(outer, length, inner), axis=1)


def top_k(x, k):
    """Indices of the k first elements of each line of the last axis: nan first, then larger
    values, equal values by lower index (np.lexsort is stable; last key sorts first)."""
    x = np.asarray(x)
    lines = x.reshape(-1, x.shape[-1]).astype(np.float64)  # exact for int32 and float32
    nan = np.isnan(lines)
    index = np.broadcast_to(np.arange(lines.shape[-1]), lines.shape)
    order = np.lexsort((index, -np.where(nan, 0.0, lines), ~nan), axis=-1)
    return order[:, :k].reshape(x.shape[:-1] + (k,))


KERNELS = {"argmax": argmax, "argmin": argmin, "top_k": top_k}
