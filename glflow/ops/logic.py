"""Logic ops: logical_not/and/or/xor (bool in, bool out, numpy broadcasting) and where(condition,
a, b), the ternary select. Kernels: `shaders/<name>.glsl`, numpy twins in
`glflow/backends/cpu/logic.py`.
"""
from .. import dtypes, engine, kernels
from . import _core
from ._pointwise import launch
from .reduction import sum_to_shape

__all__ = ["logical_not", "logical_and", "logical_or", "logical_xor", "where"]
TENSOR_METHODS = ["logical_not", "logical_and", "logical_or", "logical_xor"]

for _name in ("logical_not", "logical_and", "logical_or", "logical_xor"):
    kernels.register(_name, "binary" if _name != "logical_not" else "unary",
                     differentiable=False)
kernels.register("where", "ternary")


def _require_bool(op, **named):
    for arg, t in named.items():
        if t.dtype != dtypes.BOOL:
            raise TypeError(f"{op}: {arg} must be bool, got {t.dtype} (shape {t.shape}); "
                            f"compare or cast first, e.g. cast(x, 'bool')")


def logical_not(x):
    """True where x is False (x must be bool; not differentiable)."""
    (x,) = _core.tensors("logical_not", x)
    _require_bool("logical_not", x=x)
    return engine.record("logical_not", [x], launch("logical_not", [x], x._shape, dtypes.BOOL),
                         None)


def _logical(name):
    def op(a, b):
        a, b = _core.tensors(name, a, b)
        _require_bool(name, a=a, b=b)
        shape = _core.broadcast_shapes(name, a._shape, b._shape)
        return engine.record(name, [a, b], launch(name, [a, b], shape, dtypes.BOOL), None)
    op.__name__ = name
    op.__doc__ = (f"Elementwise {name.split('_')[1]} of two bool tensors with broadcasting; "
                  "returns bool (not differentiable).")
    return op


logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
logical_xor = _logical("logical_xor")


def where(condition, a, b):
    """a where condition is True, else b; the three broadcast together (numpy rules).
    condition must be bool; a and b of different dtypes promote (float32 wins). The gradient
    flows to a where the condition holds and to b elsewhere."""
    condition, a, b = _core.tensors("where", condition, a, b)
    _require_bool("where", condition=condition)
    shape = _core.broadcast_shapes("where", condition._shape, a._shape, b._shape,
                                   names=("condition", "a", "b"))
    dtype = a.dtype if a.dtype == b.dtype else dtypes.promote(a.dtype, b.dtype)
    y = launch("where", [condition, a, b], shape, dtype)

    def grad(dy):
        return (None, sum_to_shape(where(condition, dy, 0.0), a._shape),
                sum_to_shape(where(condition, 0.0, dy), b._shape))
    return engine.record("where", [condition, a, b], y, grad)
