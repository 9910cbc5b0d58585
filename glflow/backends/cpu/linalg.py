"""Linear algebra kernels in numpy."""
import numpy as np


def matmul(a, b):
    """Batched [batches, m, k] @ [batches, k, n] in float32."""
    return np.matmul(a.astype(np.float32), b.astype(np.float32))
