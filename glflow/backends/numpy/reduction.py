"""Reduction kernels in numpy over the middle axis of an [outer, length, inner] view of x, one
per shaders/reduction/<name>.glsl. Floats compute in float32 like GL; ints in int64, then int32."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype


def _accumulator(x):
    return numpy_dtype(FLOAT32) if x.dtype.kind == "f" else np.int64


def reduce_sum(x, outer, length, inner):
    x = np.asarray(x).reshape(outer, length, inner)
    if x.dtype.kind == "f" and x.shape[2] > 1:
        # numpy sums a strided axis one element after another (error ~ n roundings: 2e-5
        # relative for 333,334 float32 values) but a contiguous one pairwise (~log n, like
        # GL's chunked passes); the reference must not be the less accurate side.
        return np.sum(np.ascontiguousarray(np.moveaxis(x, 1, 2)), axis=2, dtype=_accumulator(x))
    return np.sum(x, axis=1, dtype=_accumulator(x))


def reduce_prod(x, outer, length, inner):
    x = np.asarray(x).reshape(outer, length, inner)
    return np.prod(x, axis=1, dtype=_accumulator(x))


def reduce_max(x, outer, length, inner):
    x = np.asarray(x).reshape(outer, length, inner)
    return np.max(x, axis=1)


def reduce_min(x, outer, length, inner):
    x = np.asarray(x).reshape(outer, length, inner)
    return np.min(x, axis=1)


def reduce_any(x, outer, length, inner):
    x = np.asarray(x).reshape(outer, length, inner)
    return np.any(x, axis=1)


def reduce_all(x, outer, length, inner):
    x = np.asarray(x).reshape(outer, length, inner)
    return np.all(x, axis=1)


KERNELS = {"reduce_sum": reduce_sum, "reduce_prod": reduce_prod, "reduce_max": reduce_max,
           "reduce_min": reduce_min, "reduce_any": reduce_any, "reduce_all": reduce_all}
