"""Public ops: argument checks, shape rules and gradients, the same for every backend.

Each family module defines plain functions; every public function (no leading underscore,
listed in the module's PUBLIC or defined in it) is exported here and from `glflow`.
"""
import types as _types

from . import creation, elementwise, linalg, random, reduction, shape
from ._core import convert, tensors

FAMILIES = [creation, elementwise, linalg, random, reduction, shape]

# Names exported from glflow.ops / glflow (Python-callable, defined in a family module).
__all__ = ["convert"]
for _module in FAMILIES:
    for _name, _value in vars(_module).items():
        if (_name.startswith("_") or not callable(_value) or isinstance(_value, _types.ModuleType)
                or getattr(_value, "__module__", None) != _module.__name__
                or isinstance(_value, type)):
            continue
        if _name in ("binary", "unary", "reduce", "where_positive", "broadcast_back",
                     "sum_to_shape"):
            continue  # internal building blocks of the family modules
        globals()[_name] = _value
        __all__.append(_name)

# Ops that are also chainable Tensor methods: x.square().sum(axis=1)
TENSOR_METHODS = [
    "add", "sub", "mul", "div", "pow", "maximum", "minimum", "equal", "not_equal", "less",
    "less_equal", "greater", "greater_equal", "neg", "abs", "sign", "square", "sqrt", "exp",
    "log", "sin", "cos", "tanh", "sigmoid", "relu", "reciprocal", "sum", "mean", "matmul",
    "reshape", "flatten", "transpose", "broadcast_to", "expand_dims", "squeeze",
]
