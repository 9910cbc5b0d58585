"""Python operators on graph tensors and graph Variables: `x @ w + b`, `-x`, `x[0]`, `x < y`
record the glflow op they stand for, as the same operators run it on eager tensors.

`==` and `!=` stay identity tests (TF1's rule: graph tensors are dict keys in feed_dict); use
gf.equal for the elementwise comparison."""
from .. import ops
from . import recording
from .graph import GraphTensor
from .variables import Variable

BINARY = {"add": ops.add, "sub": ops.sub, "mul": ops.mul, "truediv": ops.div,
          "floordiv": ops.floor_div, "mod": ops.mod, "pow": ops.pow, "matmul": ops.matmul}
COMPARISONS = {"lt": ops.less, "le": ops.less_equal, "gt": ops.greater,
               "ge": ops.greater_equal}
LOGICAL = {"and": ops.logical_and, "or": ops.logical_or, "xor": ops.logical_xor}


def _binary(fn, reflected=False):
    def method(self, other):
        args = (other, self) if reflected else (self, other)
        return recording.record(self.graph, fn, args, {})
    method.__name__ = fn.__name__
    return method


def _unary(fn):
    def method(self):
        return recording.record(self.graph, fn, (self,), {})
    method.__name__ = fn.__name__
    return method


def _getitem(self, key):
    return recording.record(self.graph, ops.getitem, (self, key), {})


def install(cls):
    for dunder, fn in BINARY.items():
        setattr(cls, f"__{dunder}__", _binary(fn))
        setattr(cls, f"__r{dunder}__", _binary(fn, reflected=True))
    for dunder, fn in {**COMPARISONS, **LOGICAL}.items():
        setattr(cls, f"__{dunder}__", _binary(fn))
    for dunder, fn in LOGICAL.items():
        setattr(cls, f"__r{dunder}__", _binary(fn, reflected=True))
    cls.__neg__ = _unary(ops.neg)
    cls.__abs__ = _unary(ops.abs)
    cls.__invert__ = _unary(ops.logical_not)
    cls.__pos__ = lambda self: self
    cls.__getitem__ = _getitem


install(GraphTensor)
install(Variable)
