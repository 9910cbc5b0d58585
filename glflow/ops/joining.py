"""concat and stack: one `concat` pass reads every input (shaders/concat.frag on GL, numpy twin
in glflow/backends/numpy/joining.py), so joining N tensors costs one pass, not N. The
gradient hands each input its slice of dy."""
from ..runtime.registry import INJECTIVE
from ..tensor import Tensor
from . import _core
from ._movement import full_picks, select
from ._primitive import Primitive
from .creation import fill
from .shape import expand_dims

__all__ = ["concat", "stack"]


def _concat_grad(call, dy):
    axis = call.attrs["axis"]
    out, start = [], 0
    for t in call.inputs:
        picks = full_picks(dy._shape)
        picks[axis] = (start, 1, t._shape[axis])
        out.append(select("concat", dy, picks))
        start += t._shape[axis]
    return out


CONCAT = Primitive("concat", "joining", INJECTIVE, grad=_concat_grad)


def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: tensors must be a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    ts = [_core.convert(t, op) for t in tensors]
    kinds = sorted({t._dtype for t in ts})
    if len(kinds) > 1:
        raise TypeError(f"{op}: tensors have mixed dtypes ({', '.join(kinds)}); cast them to one "
                        "dtype first")
    return ts


def concat(tensors, axis=0):
    """Join tensors along an existing axis; all other dimensions (and dtypes) must match."""
    ts = _tensor_list("concat", tensors)
    first = ts[0]
    if first.rank == 0:
        raise ValueError("concat: cannot concatenate scalars (shape []); use stack")
    (axis,) = _core.normalize_axes("concat", axis, first.rank)
    for k, t in enumerate(ts[1:], 1):
        if t.rank != first.rank or any(a != b for d, (a, b) in
                                       enumerate(zip(t._shape, first._shape)) if d != axis):
            raise ValueError(f"concat: shapes differ outside axis {axis}: tensor 0 is "
                             f"{first.shape}, tensor {k} is {t.shape}")
    if len(ts) == 1:
        return first
    shape = list(first._shape)
    shape[axis] = sum(t._shape[axis] for t in ts)
    _core.check_size("concat", shape)
    parts = [t for t in ts if t.size]
    if not parts:
        return fill(shape, 0, first._dtype)
    if len(parts) == 1:
        return parts[0]
    return CONCAT.run(tuple(parts), shape, first._dtype, {"axis": axis})


def stack(tensors, axis=0):
    """Join same-shape tensors along a new axis (one concat pass)."""
    ts = _tensor_list("stack", tensors)
    rank = ts[0].rank + 1
    if not -rank <= axis < rank:
        raise ValueError(f"stack: axis {axis} is out of range for the result rank {rank}")
    axis %= rank
    for k, t in enumerate(ts[1:], 1):
        if t._shape != ts[0]._shape:
            raise ValueError(f"stack: tensors must have the same shape: tensor 0 is "
                             f"{ts[0].shape}, tensor {k} is {t.shape}")
    return concat([expand_dims(t, axis) for t in ts], axis)
