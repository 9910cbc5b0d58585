"""Comparisons (equal ... greater_equal, numpy broadcasting, bool out), logical_not/and/or/xor
(bool in, bool out), where(condition, a, b), the ternary select, and the nan/inf tests.
Kernels: shaders/logic/<name>.glsl; numpy twins: glflow/backends/numpy/logic.py.
"""
from ..runtime import dtypes
from . import _core
from ._elementwise import binary_op, primitive, unary_op

__all__ = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
           "logical_not", "logical_and", "logical_or", "logical_xor", "where", "is_nan",
           "is_inf", "is_finite"]
TENSOR_METHODS = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
                  "logical_not", "logical_and", "logical_or", "logical_xor", "is_nan", "is_inf",
                  "is_finite"]


def _comparison(name):
    return binary_op(primitive(name, "logic"), out="bool",
                     doc=f"Elementwise {name.replace('_', ' ')} with broadcasting; returns bool "
                         "(not differentiable).")


equal = _comparison("equal")
not_equal = _comparison("not_equal")
less = _comparison("less")
less_equal = _comparison("less_equal")
greater = _comparison("greater")
greater_equal = _comparison("greater_equal")

is_nan = unary_op(primitive("is_nan", "logic"), out="bool", doc="True where x is nan")
is_inf = unary_op(primitive("is_inf", "logic"), out="bool", doc="True where x is +-inf")
is_finite = unary_op(primitive("is_finite", "logic"), out="bool",
                     doc="True where x is neither nan nor inf")


def _require_bool(op, **named):
    for arg, t in named.items():
        if t._dtype != dtypes.BOOL:
            raise TypeError(f"{op}: {arg} must be bool, got {t.dtype} (shape {t.shape}); "
                            f"compare or cast first, e.g. cast(x, 'bool')")


LOGICAL_NOT = primitive("logical_not", "logic")


def logical_not(x):
    """True where x is False (x must be bool; not differentiable)."""
    (x,) = _core.tensors("logical_not", x)
    _require_bool("logical_not", x=x)
    return LOGICAL_NOT.run((x,), x._shape, dtypes.BOOL)


def _logical(name):
    prim = primitive(name, "logic")

    def op(a, b):
        a, b = _core.tensors(name, a, b)
        _require_bool(name, a=a, b=b)
        shape = _core.broadcast_shapes(name, a._shape, b._shape)
        _core.check_size(name, shape)
        return prim.run((a, b), shape, dtypes.BOOL)
    op.__name__ = name
    op.__doc__ = (f"Elementwise {name.split('_')[1]} of two bool tensors with broadcasting; "
                  "returns bool (not differentiable).")
    return op


logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
logical_xor = _logical("logical_xor")


def _where_grad(call, dy):
    condition = call.inputs[0]
    return None, where(condition, dy, 0.0), where(condition, 0.0, dy)


WHERE = primitive("where", "logic", grad=_where_grad)


def where(condition, a, b):
    """a where condition is True, else b; the three broadcast together (numpy rules).
    condition must be bool; a and b of different dtypes promote (float32 wins). The gradient
    flows to a where the condition holds and to b elsewhere."""
    condition, a, b = _core.tensors("where", condition, a, b)
    _require_bool("where", condition=condition)
    shape = _core.broadcast_shapes("where", condition._shape, a._shape, b._shape,
                                   names=("condition", "a", "b"))
    _core.check_size("where", shape)
    dtype = a._dtype if a._dtype == b._dtype else dtypes.promote(a._dtype, b._dtype)
    return WHERE.run((condition, a, b), shape, dtype)
