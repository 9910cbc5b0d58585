"""Arithmetic with numpy broadcasting: add, sub, mul, div, neg, maximum, minimum, floor_div
and mod with numpy's semantics (the remainder takes the divisor's sign; int32 exact,
x // 0 = x % 0 = 0 for int32), fmod (C semantics), squared_difference, atan2, and add_n over a
list of tensors. Kernels: shaders/arithmetic/<name>.glsl; numpy twins:
glflow/backends/numpy/arithmetic.py.
"""
from ..runtime import dtypes, state
from ..runtime.registry import ELEMENTWISE
from . import _core
from ._elementwise import binary_op, primitive, unary_op
from ._primitive import Primitive
from .logic import greater_equal, less_equal, where

__all__ = ["add", "sub", "mul", "div", "neg", "maximum", "minimum", "floor_div", "mod",
           "fmod", "squared_difference", "atan2", "add_n"]
TENSOR_METHODS = ["add", "sub", "mul", "div", "neg", "maximum", "minimum", "floor_div", "mod",
                  "fmod", "squared_difference", "atan2"]

add = binary_op(primitive("add", "arithmetic", grad=lambda call, dy: (dy, dy)),
                doc="a + b with broadcasting.")
sub = binary_op(primitive("sub", "arithmetic", grad=lambda call, dy: (dy, neg(dy))),
                doc="a - b with broadcasting.")


def _mul_grad(call, dy):
    a, b = call.inputs
    return mul(dy, b), mul(dy, a)


mul = binary_op(primitive("mul", "arithmetic", grad=_mul_grad), doc="a * b with broadcasting.")


def _div_grad(call, dy):
    b = call.inputs[1]
    da = div(dy, b)
    return da, neg(mul(da, call.output))


div = binary_op(primitive("div", "arithmetic", grad=_div_grad), out="float",
                doc="a / b with broadcasting; always float32 (true division, like numpy).")
neg = unary_op(primitive("neg", "arithmetic", grad=lambda call, dy: (neg(dy),)), out="same",
               doc="-x")


def _maximum_grad(call, dy):
    a, b = call.inputs
    first = greater_equal(a, b)  # ties go to a, as TensorFlow does
    return where(first, dy, 0.0), where(first, 0.0, dy)


def _minimum_grad(call, dy):
    a, b = call.inputs
    first = less_equal(a, b)
    return where(first, dy, 0.0), where(first, 0.0, dy)


maximum = binary_op(primitive("maximum", "arithmetic", grad=_maximum_grad),
                    doc="Elementwise max with broadcasting; the gradient goes to a where a >= b.")
minimum = binary_op(primitive("minimum", "arithmetic", grad=_minimum_grad),
                    doc="Elementwise min with broadcasting; the gradient goes to a where a <= b.")

FMOD = primitive("fmod", "arithmetic",
                 grad=lambda call, dy: (dy, neg(mul(dy, div(sub(call.inputs[0], call.output),
                                                            call.inputs[1])))))
FLOOR_DIV = primitive("floor_div", "arithmetic", requires=("fmod",),
                      grad=lambda call, dy: (mul(dy, 0.0), mul(dy, 0.0)))
MOD = primitive("mod", "arithmetic", requires=("fmod",),
                grad=lambda call, dy: (dy, neg(mul(dy, floor_div(*call.inputs)))))
FLOOR_DIV_INT = primitive("floor_div_int", "arithmetic", requires=("floor_div",))
MOD_INT = primitive("mod_int", "arithmetic", requires=("mod",))


def _integer_or_float(a, b, float_prim, int_prim):
    """int32 kernels when both are int32/bool (exact, like numpy's integer ops), else float."""
    dtype = dtypes.promote(a._dtype, b._dtype)
    return (int_prim if dtype == dtypes.INT32 else float_prim), dtype


def floor_div(a, b):
    """floor(a / b) with broadcasting, as numpy.floor_divide: int32 in, int32 out (exact;
    x // 0 = 0); floats follow numpy step for step (a / 0 = +-inf or nan). The gradient is zero
    (the function is piecewise constant)."""
    a, b = _core.tensors("floor_div", a, b)
    prim, dtype = _integer_or_float(a, b, FLOOR_DIV, FLOOR_DIV_INT)
    shape = _core.broadcast_shapes("floor_div", a._shape, b._shape)
    _core.check_size("floor_div", shape)
    return prim.run((a, b), shape, dtype)


def mod(a, b):
    """a - floor(a / b) * b with broadcasting, as numpy.remainder: the result has the sign of b;
    int32 exact (x % 0 = 0), float x % 0 = nan."""
    a, b = _core.tensors("mod", a, b)
    prim, dtype = _integer_or_float(a, b, MOD, MOD_INT)
    shape = _core.broadcast_shapes("mod", a._shape, b._shape)
    _core.check_size("mod", shape)
    return prim.run((a, b), shape, dtype)


fmod = binary_op(FMOD, out="float",
                 doc="The remainder of a / b truncated toward zero, with the sign of a (C fmod, "
                     "numpy.fmod), exact; always float32; nan for b = 0.")


def _squared_difference_grad(call, dy):
    a, b = call.inputs
    d2 = mul(mul(dy, sub(a, b)), 2.0)
    return d2, neg(d2)


squared_difference = binary_op(
    primitive("squared_difference", "arithmetic", grad=_squared_difference_grad),
    doc="(a - b)^2 with broadcasting.")


def _atan2_grad(call, dy):
    a, b = call.inputs
    scale = div(dy, add(mul(a, a), mul(b, b)))
    return mul(scale, b), neg(mul(scale, a))


atan2 = binary_op(primitive("atan2", "arithmetic", grad=_atan2_grad), out="float",
                  doc="The angle of the point (x=b, y=a) in [-pi, pi], with broadcasting and "
                      "numpy's results for signed zeros and infinities; always float32.")

# add_n sums its inputs in one generated pass: the `fused` kernel (an elementwise program, the
# kernel graph mode's fusion also emits) with a chain of adds.
FUSED = Primitive("fused", "fused", ELEMENTWISE)
ADD_N = Primitive("add_n", kernel="fused", grad=lambda call, dy: tuple(dy for _ in call.inputs))


def _sum_program(n):
    """The `fused` kernel's program (glflow/backends/gl/elementwise.py) summing inputs 0..n-1
    left to right (one input: copied)."""
    if n == 1:
        return ((("identity", (("in", 0),), (), None),), (("t", 0),))
    ops = [("add", (("in", 0), ("in", 1)), (), None)]
    ops += [("add", (("t", i - 2), ("in", i)), (), None) for i in range(2, n)]
    return tuple(ops), (("t", n - 2),)


def add_n(tensors):
    """The sum of a list of tensors of one shape and dtype, in one pass over all of them (in
    chunks when they outnumber the GPU's texture units). Sums left to right, like a + b + c."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"add_n: tensors must be a list of tensors, got {type(tensors).__name__}")
    if len(tensors) == 0:
        raise ValueError("add_n: tensors must hold at least one tensor, got an empty list")
    xs = _core.tensors("add_n", *tensors)
    for i, x in enumerate(xs[1:], 1):
        if x._shape != xs[0]._shape:
            raise ValueError(f"add_n: all tensors must have the same shape: tensors[0] is "
                             f"{xs[0].shape}, tensors[{i}] is {x.shape}")
        if x._dtype != xs[0]._dtype:
            raise TypeError(f"add_n: all tensors must have the same dtype: tensors[0] is "
                            f"{xs[0].dtype}, tensors[{i}] is {x.dtype} (shape {x.shape})")
    dtype = dtypes.promote(xs[0]._dtype)
    shape = xs[0]._shape
    # As many inputs per pass as the backend samples at once; a later pass reads the previous
    # partial sum as its first input.
    limit = max(state.backend().limit("max_inputs") or len(xs), 2)
    total, rest = None, list(xs)
    while rest:
        carried = [] if total is None else [total]
        room = limit - len(carried)
        group, rest = carried + rest[:room], rest[room:]
        total = ADD_N.run(tuple(group), shape, dtype, {"program": _sum_program(len(group))})
    return total
