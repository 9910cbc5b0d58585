"""Linear algebra kernels in numpy."""
import numpy as np

from ...dtypes import FLOAT32, numpy_dtype


def matmul(a, b):
    """Batched [batches, m, k] @ [batches, k, n] in float32 (float64 in reference mode)."""
    return np.matmul(a.astype(numpy_dtype(FLOAT32)), b.astype(numpy_dtype(FLOAT32)))
