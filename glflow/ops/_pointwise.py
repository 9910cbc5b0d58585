"""Shared by the elementwise op families (math, activations, arithmetic, logic): launching a
registered elementwise kernel, building unary ops, and checking scalar parameters.

Kernel parameters (alpha, clip bounds) travel as float uniforms: a new value reuses the
compiled program.
"""
import numbers

import numpy as np

from .. import dtypes, engine
from . import _core


def launch(name, inputs, out_shape, out_dtype, params=()):
    """Run kernel `name` over `inputs` (broadcast to out_shape) with float params in order."""
    expr = _core.call(name, len(inputs), len(params))
    return _core.elementwise(name, expr, inputs, out_shape, out_dtype,
                             params=dict(enumerate(params)))


def result_dtype(kind, x):
    """'float': always float32; 'same': the input's (bool counts as int32); 'bool'."""
    if kind == "float":
        return dtypes.FLOAT32
    if kind == "bool":
        return dtypes.BOOL
    return dtypes.INT32 if x.dtype == dtypes.BOOL else x.dtype


def unary_op(name, grad_of, out="float", doc=""):
    """Build the op `name(x)`; grad_of(x, y, dy) is its vector-Jacobian product, None when the
    op is not differentiable."""
    def op(x):
        (x,) = _core.tensors(name, x)
        y = launch(name, [x], x._shape, result_dtype(out, x))
        if grad_of is None:
            return engine.record(name, [x], y, None)
        return engine.record(name, [x], y, lambda dy: (grad_of(x, y, dy),))
    op.__name__ = name
    op.__doc__ = doc
    return op


def scalar_param(op, arg, value):
    """A float kernel parameter from a Python or numpy real number, else a TypeError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
            return float(value)
        raise TypeError(f"{op}: {arg} must be a real number, got {type(value).__name__} "
                        f"{value!r}")
    return float(value)


def require_float_or_int(op, arg, x):
    if x.dtype == dtypes.BOOL:
        raise TypeError(f"{op}: {arg} must be float32 or int32, got bool (shape {x.shape})")
