"""What the numpy twins share: the computing dtypes and quiet IEEE arithmetic."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype


def _f(x):
    """Float kernels compute in float32, as the GL path does (float64 in reference mode)."""
    return np.asarray(x, dtype=numpy_dtype(FLOAT32))


def _n(x):
    """Arithmetic kernels keep int32 exact (bool counts as int, like glflow's promotion)."""
    x = np.asarray(x)
    return x.astype(np.int32) if x.dtype == np.bool_ else x


def _quiet():
    """Overflow to inf, log of 0, nan inputs: IEEE results like the GL path, without warnings."""
    return np.errstate(all="ignore")


def float_dtype():
    return numpy_dtype(FLOAT32)


def view(data, shape, strided):
    """The input as a numpy array of its logical shape, read through a StridedView if given."""
    if strided is None:
        return np.asarray(data).reshape(shape)
    flat = np.asarray(data).reshape(-1)
    index = np.full(strided.shape, strided.offset, dtype=np.int64)
    for d, stride in enumerate(strided.strides):
        axis = np.arange(strided.shape[d], dtype=np.int64) * stride
        index = index + axis.reshape([-1 if i == d else 1 for i in range(len(strided.shape))])
    return flat[index]
