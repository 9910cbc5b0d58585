"""Elementwise ops: math, activations, comparisons and logic, casts."""

from ... import ops
from .. import types
from .table import mapping

_UNARY = {
    "Abs": ops.abs, "Neg": ops.neg, "Exp": ops.exp, "Log": ops.log, "Sqrt": ops.sqrt,
    "Reciprocal": ops.reciprocal, "Sin": ops.sin, "Cos": ops.cos, "Tan": ops.tan,
    "Asin": ops.asin, "Acos": ops.acos, "Atan": ops.atan, "Sinh": ops.sinh, "Cosh": ops.cosh,
    "Asinh": ops.asinh, "Acosh": ops.acosh, "Atanh": ops.atanh, "Tanh": ops.tanh,
    "Sigmoid": ops.sigmoid, "Erf": ops.erf, "Floor": ops.floor, "Ceil": ops.ceil,
    "Round": ops.round, "Sign": ops.sign, "Relu": ops.relu, "Softplus": ops.softplus,
    "Softsign": ops.softsign, "IsNaN": ops.is_nan, "Not": ops.logical_not,
}


def _unary(fn):
    return lambda n, x: fn(x)


for _op, _fn in _UNARY.items():
    mapping(_op)(_unary(_fn))


@mapping("Identity")
def identity(n, x=None):
    # a sequence (a list) or an empty optional (None) passes as it is
    return x if isinstance(x, list) or x is None else ops.identity(x)


_BINARY = {
    "Add": ops.add, "Sub": ops.sub, "Mul": ops.mul, "Equal": ops.equal, "Less": ops.less,
    "LessOrEqual": ops.less_equal, "Greater": ops.greater, "GreaterOrEqual": ops.greater_equal,
    "And": ops.logical_and, "Or": ops.logical_or, "Xor": ops.logical_xor,
}


def _binary(fn):
    return lambda n, a, b: fn(a, b)


for _op, _fn in _BINARY.items():
    mapping(_op)(_binary(_fn))


@mapping("Div")
def div(n, a, b):
    if a.dtype != "int32":
        return ops.div(a, b)
    # ONNX integer division truncates toward zero (C); floor division rounds down
    q = ops.floor_div(a, b)
    inexact = ops.not_equal(ops.mod(a, b), 0)
    signs_differ = ops.logical_xor(ops.less(a, 0), ops.less(b, 0))
    return ops.where(ops.logical_and(inexact, signs_differ), ops.add(q, 1), q)


@mapping("Pow")
def pow_(n, a, b):
    y = ops.pow(ops.cast(a, "float32"), ops.cast(b, "float32"))
    return ops.cast(ops.round(y), "int32") if a.dtype == "int32" else y


@mapping("Mod", attrs={"fmod": 0})
def mod(n, a, b):
    if n["fmod"]:
        y = ops.fmod(a, b)
        return ops.cast(y, "int32") if a.dtype == "int32" else y
    return ops.mod(a, b)


def _variadic(fn):
    def run(n, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = fn(y, x)
        return ops.identity(y) if len(xs) == 1 else y
    return run


mapping("Max")(_variadic(ops.maximum))
mapping("Min")(_variadic(ops.minimum))
mapping("Sum")(_variadic(ops.add))


@mapping("Mean")
def mean(n, *xs):
    return ops.div(_variadic(ops.add)(n, *xs), float(len(xs)))


@mapping("Where")
def where(n, c, a, b):
    return ops.where(c, a, b)


@mapping("IsInf", attrs={"detect_negative": 1, "detect_positive": 1})
def is_inf(n, x):
    inf = ops.is_inf(x)
    if n["detect_negative"] and n["detect_positive"]:
        return inf
    if n["detect_negative"]:
        return ops.logical_and(inf, ops.less(x, 0.0))
    if n["detect_positive"]:
        return ops.logical_and(inf, ops.greater(x, 0.0))
    return ops.logical_and(inf, False)


# ---------------------------------------------------------------------------- activations

@mapping("Elu", attrs={"alpha": 1.0})
def elu(n, x):
    return ops.elu(x, n["alpha"])


@mapping("Selu", attrs={"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875})
def selu(n, x):
    neg = ops.mul(ops.expm1(ops.minimum(x, 0.0)), n["alpha"])
    return ops.mul(ops.where(ops.greater(x, 0.0), x, neg), n["gamma"])


@mapping("Celu", attrs={"alpha": 1.0})
def celu(n, x):
    a = n["alpha"]
    return ops.add(ops.relu(x), ops.minimum(ops.mul(ops.expm1(ops.div(x, a)), a), 0.0))


@mapping("LeakyRelu", attrs={"alpha": 0.01})
def leaky_relu(n, x):
    return ops.leaky_relu(x, n["alpha"])


@mapping("PRelu")
def prelu(n, x, slope):
    return ops.where(ops.less(x, 0.0), ops.mul(x, slope), x)


@mapping("ThresholdedRelu", attrs={"alpha": 1.0})
def thresholded_relu(n, x):
    return ops.where(ops.greater(x, n["alpha"]), x, 0.0)


@mapping("HardSigmoid", attrs={"alpha": 0.2, "beta": 0.5})
def hard_sigmoid(n, x):
    return ops.clip_by_value(ops.add(ops.mul(x, n["alpha"]), n["beta"]), 0.0, 1.0)


@mapping("HardSwish")
def hard_swish(n, x):
    return ops.mul(x, ops.clip_by_value(ops.add(ops.mul(x, 1.0 / 6.0), 0.5), 0.0, 1.0))


@mapping("Mish")
def mish(n, x):
    return ops.mul(x, ops.tanh(ops.softplus(x)))


@mapping("Swish", attrs={"alpha": 1.0})
def swish(n, x):
    return ops.mul(x, ops.sigmoid(ops.mul(x, n["alpha"])))


def _gelu_check(n):
    if n["approximate"] not in ("none", "tanh"):
        n.refuse(f"attribute 'approximate' = {n['approximate']!r}")


@mapping("Gelu", attrs={"approximate": "none"}, check=_gelu_check)
def gelu(n, x):
    return ops.gelu(x, approximate=n["approximate"] == "tanh")


@mapping("Shrink", attrs={"bias": 0.0, "lambd": 0.5})
def shrink(n, x):
    lambd, bias = n["lambd"], n["bias"]
    y = ops.where(ops.less(x, -lambd), ops.add(x, bias),
                  ops.where(ops.greater(x, lambd), ops.sub(x, bias), ops.zeros_like(x)))
    return ops.cast(y, x.dtype)


@mapping("Clip", host=(1, 2))
def clip(n, x, lo=None, hi=None):
    # min/max are scalars the op needs as Python numbers (uniforms of the clip kernel)
    y = x
    if lo is not None:
        y = ops.maximum(y, lo.item())
    if hi is not None:
        y = ops.minimum(y, hi.item())
    return ops.identity(y) if y is x else y


# ---------------------------------------------------------------------------- casts

def _cast_check(n):
    to = n["to"]
    if to not in types.SUPPORTED:
        n.refuse(f"attribute 'to' = {types.name(to)}")


def _cast_to(x, elem_type):
    target = types.glflow_dtype(elem_type)
    if x.dtype == "float32" and target == "int32":
        return ops.cast(x, "int32")  # truncates toward zero, as ONNX's Cast does
    return ops.cast(x, target) if x.dtype != target else ops.identity(x)


@mapping("Cast", attrs={"to": None, "saturate": 1, "round_mode": "up"}, check=_cast_check)
def cast(n, x):
    return _cast_to(x, n["to"])


@mapping("CastLike", attrs={"saturate": 1, "round_mode": "up"})
def cast_like(n, x, like):
    if n.input_types[1] is not None:
        return _cast_to(x, n.input_types[1])
    return ops.cast(x, like.dtype) if x.dtype != like.dtype else ops.identity(x)


@mapping("BitShift", attrs={"direction": None})
def bit_shift(n, x, y):
    # unsigned shifts as exact int32 arithmetic: x * 2**y or floor(x / 2**y)
    power = ops.cast(ops.pow(2.0, ops.cast(y, "float32")), "int32")
    if n["direction"] == "LEFT":
        return ops.mul(x, power)
    return ops.floor_div(x, power)
