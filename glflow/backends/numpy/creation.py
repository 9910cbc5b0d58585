"""Creation kernels in numpy (shaders/creation/<name>.glsl)."""
from ...runtime.dtypes import FLOAT32, numpy_dtype


def fill(value):
    return numpy_dtype(FLOAT32)(value)


KERNELS = {"fill": fill}
