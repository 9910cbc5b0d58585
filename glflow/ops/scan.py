"""Scans: cumsum and cumprod along one axis, inclusive or exclusive, forward or reversed.
Kernels: shaders/cumsum.glsl, shaders/cumprod.glsl in shaders/templates/scan.frag
(glflow/backends/gl/kernels/scan.py), numpy twins in glflow/backends/cpu/scan.py."""
import numbers

from .. import dtypes, engine, kernels
from . import _core

__all__ = ["cumsum", "cumprod"]
TENSOR_METHODS = ["cumsum", "cumprod"]

kernels.register("cumsum", "special")
kernels.register("cumprod", "special")


def _scan(op, x, axis, exclusive, reverse):
    """Validate and launch; returns (x as a tensor, scan result, normalized axis)."""
    (x,) = _core.tensors(op, x)
    if x.rank == 0:
        raise ValueError(f"{op}: x must have rank >= 1, got a scalar (shape [])")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    for name, flag in (("exclusive", exclusive), ("reverse", reverse)):
        if not isinstance(flag, bool):
            raise TypeError(f"{op}: {name} must be True or False, got {flag!r}")
    (axis,) = _core.normalize_axes(op, axis, x.rank)
    out_dtype = dtypes.FLOAT32 if x.dtype == dtypes.FLOAT32 else dtypes.INT32
    if x.size == 0:
        from .elementwise import fill
        return x, fill(x._shape, 0, out_dtype), axis
    y = _core.launch(op, op, [x], x._shape, out_dtype, axis=axis, exclusive=exclusive,
                     reverse=reverse)
    return x, y, axis


def cumsum(x, axis=0, exclusive=False, reverse=False):
    """Running sum along `axis`. exclusive: element i sums the elements before i (the first is
    0); reverse: sums run from the end of the axis. int32/bool give int32."""
    x, y, axis = _scan("cumsum", x, axis, exclusive, reverse)

    def grad(dy):
        return (cumsum(dy, axis, exclusive, not reverse),)
    return engine.record("cumsum", [x], y, grad)


def cumprod(x, axis=0, exclusive=False, reverse=False):
    """Running product along `axis` (exclusive: the first is 1). The gradient divides by x,
    as TensorFlow's does, so it is not finite where x == 0."""
    x, y, axis = _scan("cumprod", x, axis, exclusive, reverse)

    def grad(dy):
        from .elementwise import div, mul
        return (div(cumsum(mul(dy, y), axis, exclusive, not reverse), x),)
    return engine.record("cumprod", [x], y, grad)
