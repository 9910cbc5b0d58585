"""QuantizeLinear and DequantizeLinear for the 8-, 16- and 32-bit integer types (computed in
float32, exact for these ranges); per-tensor or per-axis scales. Blocked quantisation and
the float8/int4 formats are refused at load time (the dtype checks refuse the latter)."""
import numpy as np

from ... import ops
from .. import types
from .table import mapping

_ATTRS = {"axis": 1, "block_size": 0, "output_dtype": 0, "saturate": 1, "precision": 0}


def _check(n):
    if n["block_size"]:
        n.refuse(f"attribute 'block_size' = {n['block_size']} (blocked quantisation)")


def _along(scale, axis, rank):
    """A per-axis [C] parameter shaped to broadcast along `axis`; scalars unchanged."""
    if scale.rank == 0 or rank == 0:
        return scale
    a = axis + rank if axis < 0 else axis
    return ops.reshape(scale, [-1 if d == a else 1 for d in range(rank)])


@mapping("DequantizeLinear", attrs=_ATTRS, check=_check)
def dequantize(n, x, scale, zero=None):
    y = ops.cast(x, "float32")
    if zero is not None:
        y = ops.sub(y, _along(ops.cast(zero, "float32"), n["axis"], x.rank))
    return ops.mul(y, _along(scale, n["axis"], x.rank))


@mapping("QuantizeLinear", attrs=_ATTRS, check=_check)
def quantize(n, x, scale, zero=None):
    elem = n.output_types[0]
    info = np.iinfo(types.numpy_dtype(elem)) if elem in types.INTS else np.iinfo(np.uint8)
    y = ops.round(ops.div(ops.cast(x, "float32"), _along(scale, n["axis"], x.rank)))
    if zero is not None:
        y = ops.add(y, _along(ops.cast(zero, "float32"), n["axis"], x.rank))
    lo, hi = max(float(info.min), -2.0 ** 24), min(float(info.max), 2.0 ** 24)
    return ops.cast(ops.clip_by_value(y, lo, hi), "int32")


def _centred(x, zero):
    """An integer tensor minus its zero point, in float32 (exact for 8- and 16-bit values)."""
    y = ops.cast(x, "float32")
    return ops.sub(y, ops.cast(zero, "float32")) if zero is not None else y


def _zero_along(zero, axis, rank):
    return None if zero is None else _along(zero, axis, rank)


@mapping("MatMulInteger")
def matmul_integer(n, a, b, a_zero=None, b_zero=None):
    # a's zero point is per row (its last-but-one axis), b's per column (its last axis)
    za = None if a_zero is None else (a_zero if a_zero.rank == 0 else
                                      ops.reshape(a_zero, [-1, 1]))
    y = ops.matmul(_centred(a, za), _centred(b, b_zero))
    return ops.cast(ops.round(y), "int32")


@mapping("QLinearMatMul")
def qlinear_matmul(n, a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero):
    za = a_zero if a_zero.rank == 0 else ops.reshape(a_zero, [-1, 1])
    sa = a_scale if a_scale.rank == 0 else ops.reshape(a_scale, [-1, 1])
    real = ops.matmul(ops.mul(_centred(a, za), sa), ops.mul(_centred(b, b_zero), b_scale))
    return _requantize(n, real, y_scale, y_zero, -1, real.rank)


def _requantize(n, real, scale, zero, axis, rank):
    elem = n.output_types[0]
    info = np.iinfo(types.numpy_dtype(elem)) if elem in types.INTS else np.iinfo(np.uint8)
    y = ops.round(ops.div(real, _along(scale, axis, rank)))
    y = ops.add(y, _along(ops.cast(zero, "float32"), axis, rank))
    return ops.cast(ops.clip_by_value(y, float(info.min), float(info.max)), "int32")
