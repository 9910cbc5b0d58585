"""Shared by the elementwise families (creation, logic, arithmetic, math, activations): defining
an elementwise primitive, building unary/binary ops on it, result dtypes, scalar parameters.

An elementwise primitive is one GLSL function `shaders/<family>/<name>.glsl` (the templates
own main() and the index math, so graph mode fuses by composing functions) and its numpy twin
`glflow/backends/numpy/<family>.py:<name>`. Inputs broadcast by numpy rules; gradients may be
returned in the output's shape, and the tape sums them back to each input's shape.
Kernel parameters (alpha, clip bounds) are float attrs passed as uniforms: a new value reuses
the compiled program.
"""
import numbers

import numpy as np

from ..runtime import dtypes
from ..runtime.registry import ELEMENTWISE
from . import _core
from ._host import HostScalar
from ._primitive import Primitive


def primitive(name, family, grad=None, params=(), requires=()):
    """An elementwise primitive: kernel `name` of `family`, gradient `grad(call, dy)`."""
    return Primitive(name, family, ELEMENTWISE, grad=grad, params=params, requires=requires,
                     unbroadcast=True)


def run(prim, inputs, out_dtype, attrs=None):
    """Run an elementwise primitive over inputs broadcast together (numpy rules)."""
    shape = (inputs[0]._shape if len(inputs) == 1
             else _core.broadcast_shapes(prim.name, *[t._shape for t in inputs]))
    _core.check_size(prim.name, shape)
    if attrs is None:
        return prim.run(inputs, shape, out_dtype)
    return prim.run(inputs, shape, out_dtype, attrs)


def result_dtype(kind, x):
    """'float': always float32; 'same': the input's (bool counts as int32); 'bool'."""
    if kind == "float":
        return dtypes.FLOAT32
    if kind == "bool":
        return dtypes.BOOL
    return dtypes.INT32 if x._dtype == dtypes.BOOL else x._dtype


def unary_op(prim, out="float", doc=""):
    """The public op `prim.name(x)`."""
    name = prim.name

    def op(x):
        (x,) = _core.tensors(name, x)
        return prim.run((x,), x._shape, result_dtype(out, x))
    op.__name__ = name
    op.__doc__ = doc
    return op


def binary_op(prim, out="promote", doc=""):
    """The public op `prim.name(a, b)` with broadcasting; out is 'promote' (float32 wins, then
    int32; bool arithmetic gives int32), 'float' or 'bool'."""
    name = prim.name

    def op(a, b):
        a, b = _core.tensors(name, a, b)
        if out == "promote":
            dtype = dtypes.promote(a._dtype, b._dtype)
        else:
            dtype = dtypes.FLOAT32 if out == "float" else dtypes.BOOL
        if a._shape == b._shape:
            return prim.run((a, b), a._shape, dtype)
        shape = _core.broadcast_shapes(name, a._shape, b._shape)
        _core.check_size(name, shape)  # broadcasting can make an output larger than both
        return prim.run((a, b), shape, dtype)
    op.__name__ = name
    op.__doc__ = doc
    return op


def scalar_param(op, arg, value):
    """A float kernel parameter from a Python or numpy real number (or, inside gf.function,
    a HostScalar computed on each call), else a TypeError."""
    if isinstance(value, HostScalar):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
            return float(value)
        raise TypeError(f"{op}: {arg} must be a real number, got {type(value).__name__} "
                        f"{value!r}")
    return float(value)


def require_float_or_int(op, arg, x):
    if x._dtype == dtypes.BOOL:
        raise TypeError(f"{op}: {arg} must be float32 or int32, got bool (shape {x.shape})")
