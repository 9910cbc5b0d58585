"""Linear algebra kernels in numpy: matmul, fused_matmul and band_part, reading their operands
through the same MatrixViews and strides the GL kernels get."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype
from ...runtime import registry
from . import activations, math


def matrix(data, mview, batches):
    """Batch of [rows, cols] matrices read through a matmul MatrixView's strides."""
    flat = np.asarray(data).reshape(-1)
    b = np.arange(batches)[:, None, None] * mview.batch_stride
    r = np.arange(mview.rows)[None, :, None] * mview.row_stride
    c = np.arange(mview.cols)[None, None, :] * mview.col_stride
    return flat[b + r + c]


def _product(a, b):
    """Batched [batches, m, k] @ [batches, k, n] in float32 (float64 in reference mode)."""
    return np.matmul(a.astype(numpy_dtype(FLOAT32)), b.astype(numpy_dtype(FLOAT32)))


def matmul(a, b, a_view, b_view, batches, m, k, n):
    return _product(matrix(a, a_view, batches), matrix(b, b_view, batches))


def fused_matmul(a, b, *bias, a_view, b_view, batches, m, k, n, activation, alpha,
                 bias_strides):
    """activation(a @ b + bias) on [batches, m, n]: operands read through their matmul
    MatrixViews, the bias through (batch, row, column) strides, the activation by the numpy
    twin of its kernel (so fused and unfused agree on nan, saturation, ...)."""
    z = _product(matrix(a, a_view, batches), matrix(b, b_view, batches))
    if bias:
        flat = np.asarray(bias[0]).reshape(-1)
        at = (np.arange(batches)[:, None, None] * bias_strides[0]
              + np.arange(m)[None, :, None] * bias_strides[1]
              + np.arange(n)[None, None, :] * bias_strides[2])
        z = z + flat[at].astype(z.dtype)
    if activation == "linear":
        return z
    fn = _ACTIVATIONS[activation]
    return fn(z, alpha) if registry.get(activation).params else fn(z)


_ACTIVATIONS = {**activations.KERNELS, **math.KERNELS}


def band_part(x, batches, rows, cols, lower, upper, strides):
    """[batches, rows, cols] read from x's flat buffer through (batch, row, col) strides,
    zero outside the band."""
    flat = np.asarray(x).reshape(-1)
    if batches * rows * cols == 0:
        return np.zeros((batches, rows, cols), flat.dtype)
    r = np.arange(rows)[None, :, None]
    c = np.arange(cols)[None, None, :]
    at = np.arange(batches)[:, None, None] * strides[0] + r * strides[1] + c * strides[2]
    inside = ((lower < 0) | (r - c <= lower)) & ((upper < 0) | (c - r <= upper))
    return np.where(inside, flat[at], 0)


KERNELS = {"matmul": matmul, "fused_matmul": fused_matmul, "band_part": band_part}
