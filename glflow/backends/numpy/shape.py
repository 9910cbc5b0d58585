"""Cast kernels in numpy (shaders/shape/<name>.glsl)."""
import numpy as np

from ._common import _n


def cast_int(x):
    with np.errstate(invalid="ignore"):
        return np.trunc(_n(x))


def cast_bool(x):
    return _n(x) != 0


KERNELS = {"cast_int": cast_int, "cast_bool": cast_bool}
