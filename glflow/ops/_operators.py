"""Python operators, chainable methods and numpy ufunc support on Tensor, installed when
glflow.ops loads (glflow/tensor.py sits below the ops and cannot import them).

numpy: `np.add(t, 1)`, `np.exp(t)` and the other ufuncs with a glflow op run that op and return
a Tensor, as the operators do (`ndarray + Tensor` reaches numpy's add first); ufuncs without
one, and calls with `out=`/`where=`/`dtype=`, compute on the values read back and return numpy
arrays, as numpy functions (`np.sum(t)`, `np.mean(t, axis=0)`) do.
"""
import numbers

import numpy as np

from ..tensor import Tensor
from . import _core


def _binary(fn, reflected=False):
    def method(self, other):
        if other is None or not _operand(other):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)
    return method


def _operand(value):
    """What an operator accepts beside a Tensor: numbers, arrays, nested lists, tensors."""
    return isinstance(value, (Tensor, numbers.Number, np.ndarray, np.generic, list, tuple))


def install(ops, methods):
    """Set Tensor's operators and methods from the op namespace `ops` (a dict)."""
    table = {"add": "add", "sub": "sub", "mul": "mul", "truediv": "div", "floordiv": "floor_div",
             "mod": "mod", "pow": "pow", "matmul": "matmul"}
    for dunder, name in table.items():
        setattr(Tensor, f"__{dunder}__", _binary(ops[name]))
        setattr(Tensor, f"__r{dunder}__", _binary(ops[name], reflected=True))
    for dunder, name in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                         ("ge", "greater_equal"), ("eq", "equal"), ("ne", "not_equal")):
        setattr(Tensor, f"__{dunder}__", _binary(ops[name]))
    Tensor.__neg__ = lambda self: ops["neg"](self)
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = lambda self: ops["abs"](self)
    Tensor.__invert__ = lambda self: ops["logical_not"](self)
    Tensor.__and__ = _binary(ops["logical_and"])
    Tensor.__or__ = _binary(ops["logical_or"])
    Tensor.__xor__ = _binary(ops["logical_xor"])
    Tensor.__getitem__ = lambda self, key: ops["getitem"](self, key)
    Tensor.__hash__ = lambda self: object.__hash__(self)  # __eq__ is elementwise
    Tensor.__array_ufunc__ = _array_ufunc(ops)
    for name in methods:
        if not hasattr(Tensor, name) or name in ("cast", "clone"):
            setattr(Tensor, name, ops[name])
    Tensor._convert = staticmethod(_core.convert)


def _array_ufunc(ops):
    ufuncs = {np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div",
              np.floor_divide: "floor_div", np.remainder: "mod", np.power: "pow",
              np.maximum: "maximum", np.minimum: "minimum", np.negative: "neg",
              np.absolute: "abs", np.sign: "sign", np.square: "square", np.sqrt: "sqrt",
              np.exp: "exp", np.expm1: "expm1", np.log: "log", np.log1p: "log1p",
              np.sin: "sin", np.cos: "cos", np.tan: "tan", np.arcsin: "asin",
              np.arccos: "acos", np.arctan: "atan", np.arctan2: "atan2", np.sinh: "sinh",
              np.cosh: "cosh", np.tanh: "tanh", np.arcsinh: "asinh", np.arccosh: "acosh",
              np.arctanh: "atanh", np.floor: "floor", np.ceil: "ceil", np.rint: "round",
              np.reciprocal: "reciprocal", np.matmul: "matmul", np.equal: "equal",
              np.not_equal: "not_equal", np.less: "less", np.less_equal: "less_equal",
              np.greater: "greater", np.greater_equal: "greater_equal",
              np.logical_and: "logical_and", np.logical_or: "logical_or",
              np.logical_xor: "logical_xor", np.logical_not: "logical_not",
              np.isnan: "is_nan", np.isinf: "is_inf", np.isfinite: "is_finite"}

    def array_ufunc(self, ufunc, method, *inputs, **kwargs):
        name = ufuncs.get(ufunc)
        if method == "__call__" and name is not None and not kwargs:
            return ops[name](*inputs)
        values = [x.numpy() if isinstance(x, Tensor) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(x.numpy() if isinstance(x, Tensor) else x
                                  for x in kwargs["out"])
        return getattr(ufunc, method)(*values, **kwargs)
    return array_ufunc
