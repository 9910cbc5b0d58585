"""Creating tensors: from values (shape-checked), constant fills (the `fill` kernel,
shaders/creation/fill.glsl), ranges and eye."""
import math

import numpy as np

from ..runtime import dtypes
from ..tensor import Tensor, Variable
from . import _core
from ._elementwise import primitive

__all__ = ["tensor", "scalar", "tensor1d", "tensor2d", "tensor3d", "tensor4d", "fill", "zeros",
           "ones", "zeros_like", "ones_like", "range", "linspace", "eye", "variable"]

FILL = primitive("fill", "creation", params=("value",))


def fill(shape, value, dtype=None):
    """A tensor of `shape` with every element `value` (drawn, not uploaded)."""
    shape = _core.check_shape(shape, "fill")
    if dtype is None:
        dtype = dtypes.infer(_core.to_numpy(value, "fill"))
    dtype = dtypes.normalize(dtype, "fill")
    value = _core.to_numpy(value, "fill", dtype)
    if value.ndim:
        raise ValueError(f"fill: value must be a scalar, got shape {list(value.shape)}")
    _core.check_size("fill", shape)
    if dtype == dtypes.INT32:
        _core.check_exact_ints("fill", abs(int(value)))
    return FILL.run((), shape, dtype, {"value": float(value)})


def tensor(values, shape=None, dtype=None):
    """A tensor from (nested) lists, numpy arrays, scalars or another tensor."""
    if isinstance(values, Tensor):
        values = values.numpy()
    return _core.from_numpy(values, "tensor", dtype, shape)


def scalar(value, dtype=None):
    array = _core.to_numpy(value, "scalar", dtype)
    if array.ndim:
        raise ValueError(f"scalar: value must be a single number, got shape {list(array.shape)}")
    return _core.from_numpy(array, "scalar")


def _ranked(rank):
    name = f"tensor{rank}d"

    def make(values, shape=None, dtype=None):
        array = _core.to_numpy(values, name, dtype)
        if shape is not None:
            array = _core.reshape_values(array, shape, name)
        if array.ndim != rank:
            raise ValueError(f"{name}: expected rank {rank} values, got rank {array.ndim} "
                             f"(shape {list(array.shape)})")
        return _core.from_numpy(array, name)
    make.__name__ = name
    make.__doc__ = f"A rank-{rank} tensor; raises if the values have another rank."
    return make


tensor2d, tensor3d, tensor4d = (_ranked(r) for r in (2, 3, 4))


def tensor1d(values, dtype=None):
    """A rank-1 tensor; raises if the values have another rank. The second argument is the
    dtype, as in TF.js's tensor1d(values, dtype)."""
    array = _core.to_numpy(values, "tensor1d", dtype)
    if array.ndim != 1:
        raise ValueError(f"tensor1d: expected rank 1 values, got rank {array.ndim} "
                         f"(shape {list(array.shape)})")
    return _core.from_numpy(array, "tensor1d")


def zeros(shape, dtype="float32"):
    return fill(shape, 0, dtype)


def ones(shape, dtype="float32"):
    return fill(shape, 1, dtype)


def zeros_like(x):
    (x,) = _core.tensors("zeros_like", x)
    return fill(x._shape, 0, x.dtype)


def ones_like(x):
    (x,) = _core.tensors("ones_like", x)
    return fill(x._shape, 1, x.dtype)


def range(start, stop=None, step=1, dtype="float32"):  # noqa: A001 - tfjs name
    """Numbers from start (inclusive) to stop (exclusive) by step."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("range: step must not be 0")
    _core.check_size("range", (max(0, math.ceil((stop - start) / step)),))  # before numpy
    return _core.from_numpy(np.arange(start, stop, step), "range", dtype)


def linspace(start, stop, num):
    if int(num) < 0:
        raise ValueError(f"linspace: num must be >= 0, got {num}")
    _core.check_size("linspace", (int(num),))  # before numpy allocates the values
    return _core.from_numpy(np.linspace(start, stop, int(num), dtype=np.float64), "linspace",
                            "float32")


def eye(num_rows, num_columns=None, dtype="float32"):
    num_columns = num_rows if num_columns is None else num_columns
    _core.check_size("eye", _core.check_shape((num_rows, num_columns), "eye"))
    return _core.from_numpy(np.eye(num_rows, num_columns), "eye", dtype)


def variable(initial_value, trainable=True, name=None, dtype=None):
    return Variable(initial_value, trainable=trainable, name=name, dtype=dtype)
