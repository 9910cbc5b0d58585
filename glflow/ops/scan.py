"""Scans: cumsum and cumprod along one axis, inclusive or exclusive, forward or reversed.
Kernels: shaders/scan/cumsum.glsl, cumprod.glsl in shaders/templates/scan_block.frag
(glflow/backends/gl/scan.py); numpy twins in glflow/backends/numpy/scan.py."""
import numbers

from ..runtime import dtypes
from ..runtime.registry import OPAQUE
from . import _core
from ._primitive import Primitive
from .arithmetic import div, mul
from .creation import fill

__all__ = ["cumsum", "cumprod"]
TENSOR_METHODS = ["cumsum", "cumprod"]


def _reversed_scan(call, dy):
    """The same scan of dy in the other direction (attrs axis, exclusive, reverse)."""
    a = call.attrs
    return cumsum(dy, a["axis"], a["exclusive"], not a["reverse"])


CUMSUM = Primitive("cumsum", "scan", OPAQUE, grad=lambda call, dy: (_reversed_scan(call, dy),))
# The gradient divides by x, as TensorFlow's does, so it is not finite where x == 0.
CUMPROD = Primitive("cumprod", "scan", OPAQUE, grad=lambda call, dy: (
    div(_reversed_scan(call, mul(dy, call.output)), call.inputs[0]),))


def _scan(prim, x, axis, exclusive, reverse):
    op = prim.name
    (x,) = _core.tensors(op, x)
    if x.rank == 0:
        raise ValueError(f"{op}: x must have rank >= 1, got a scalar (shape [])")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    for name, flag in (("exclusive", exclusive), ("reverse", reverse)):
        if not isinstance(flag, bool):
            raise TypeError(f"{op}: {name} must be True or False, got {flag!r}")
    (axis,) = _core.normalize_axes(op, axis, x.rank)
    out_dtype = dtypes.FLOAT32 if x._dtype == dtypes.FLOAT32 else dtypes.INT32
    if x.size == 0:
        return fill(x._shape, 0, out_dtype)
    return prim.run((x,), x._shape, out_dtype,
                    {"axis": axis, "exclusive": exclusive, "reverse": reverse})


def cumsum(x, axis=0, exclusive=False, reverse=False):
    """Running sum along `axis`. exclusive: element i sums the elements before i (the first is
    0); reverse: sums run from the end of the axis. int32/bool give int32."""
    return _scan(CUMSUM, x, axis, exclusive, reverse)


def cumprod(x, axis=0, exclusive=False, reverse=False):
    """Running product along `axis` (exclusive: the first is 1). The gradient divides by x,
    as TensorFlow's does, so it is not finite where x == 0."""
    return _scan(CUMPROD, x, axis, exclusive, reverse)
