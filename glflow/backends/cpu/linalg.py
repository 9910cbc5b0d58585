"""Linear algebra kernels in numpy."""
import numpy as np

from ...dtypes import FLOAT32, numpy_dtype


def matmul(a, b):
    """Batched [batches, m, k] @ [batches, k, n] in float32 (float64 in reference mode)."""
    return np.matmul(a.astype(numpy_dtype(FLOAT32)), b.astype(numpy_dtype(FLOAT32)))


def fused_matmul(a, b, *bias, a_view, b_view, batches, m, k, n, activation, alpha,
                 bias_strides):
    """activation(a @ b + bias) on [batches, m, n]: operands read through their matmul
    MatrixViews, the bias through (batch, row, column) strides, the activation by the numpy
    twin of its kernel (so fused and unfused agree on nan, saturation, ...)."""
    from .backend import kernel_function, matrix
    z = matmul(matrix(a, a_view, batches), matrix(b, b_view, batches))
    if bias:
        flat = np.asarray(bias[0]).reshape(-1)
        at = (np.arange(batches)[:, None, None] * bias_strides[0]
              + np.arange(m)[None, :, None] * bias_strides[1]
              + np.arange(n)[None, None, :] * bias_strides[2])
        z = z + flat[at].astype(z.dtype)
    if activation == "linear":
        return z
    from ... import kernels
    fn = kernel_function(activation)
    return fn(z, alpha) if kernels.get(activation).params else fn(z)
