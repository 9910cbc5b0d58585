"""concat in numpy (glflow/backends/gl/kernels/movement.py on GL)."""
import numpy as np


def concat(*arrays, axis):
    return np.concatenate(arrays, axis=axis)


KERNELS = {"concat": concat}
