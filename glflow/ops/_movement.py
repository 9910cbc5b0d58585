"""The two mechanisms every data-movement op is built from, each the gradient of the other:

- `select(x, picks)`: x[start + k * step] along every axis, an affine (strided) view copied in
  one `identity` pass (slice, strided_slice, getitem, reverse, split, unstack, ...); a view
  that is x's own layout costs nothing (storage shared, as reshape);
- `place(x, shape, base, steps)`: the inverse, x written at base + k * step of a zero (or
  constant) tensor in one `pad` pass (pad, concat's gradient, every strided read's gradient).
The pad kernel (padding family: shaders/padding/pad.frag, glflow/backends/numpy/padding.py)
also mirrors (reflect/symmetric), for pad.
"""
from ..runtime.registry import INJECTIVE
from ..runtime.views import StridedView, contiguous_strides
from . import _core
from ._primitive import Primitive
from .creation import fill
from .shape import reshape


def _select_grad(call, dy):
    picks = call.attrs["picks"]
    x = call.inputs[0]
    return (place("select", reshape(dy, tuple(c for _, _, c in picks)), x._shape,
                  [st for st, _, _ in picks], [sp for _, sp, _ in picks]),)


def _place_grad(call, dy):
    x = call.inputs[0]
    if x.size == 0:
        return (None,)
    attrs = call.attrs
    return (select("place", dy, list(zip(attrs["base"], attrs["steps"], x._shape))),)


# A strided read through the identity kernel; attrs: views (one StridedView), picks.
SELECT = Primitive("select", pattern=INJECTIVE, kernel="identity", grad=_select_grad)
# x written into a constant tensor (mode "constant") or mirrored (pad's reflect/symmetric);
# attrs: base, steps, mode, value, in_dims, out_dims.
PAD = Primitive("pad", "padding", INJECTIVE, grad=_place_grad)


def full_picks(shape):
    return [(0, 1, n) for n in shape]


def _is_layout(shape, strides, offset, x):
    """True when the view reads x's buffer in order: the copy would be x itself."""
    if offset or _core.size_of(shape) != x.size:
        return False
    kept = [(n, s) for n, s in zip(shape, strides) if n != 1]
    return [s for _, s in kept] == contiguous_strides([n for n, _ in kept])


def select(op, x, picks, out_shape=None):
    """x[start + k * step] for k < count along each axis (picks = one (start, step, count) per
    axis of x), as a tensor of out_shape (the picked shape with size-1 axes added or dropped).
    Its gradient places dy back where it was read from."""
    shape = tuple(c for _, _, c in picks)
    out_shape = shape if out_shape is None else tuple(out_shape)
    strides = contiguous_strides(x._shape)
    size = _core.size_of(shape)
    offset = sum(st * s for (st, _, _), s in zip(picks, strides)) if size else 0
    view_strides = [sp * s for (_, sp, _), s in zip(picks, strides)]
    if _is_layout(shape, view_strides, offset, x):
        return reshape(x, out_shape)
    picks = tuple((int(st), int(sp), int(c)) for st, sp, c in picks)
    view = StridedView.make(shape, view_strides, offset)
    y = SELECT.run((x,), shape, x._dtype, {"views": (view,), "picks": picks})
    return reshape(y, out_shape) if out_shape != shape else y


def pad_values(op, x, shape, base, steps, mode, value):
    """out[m] = x[(m - base) / steps] per axis, else value (constant) or x's mirror."""
    shape = tuple(shape)
    if x.size == 0:
        return fill(shape, value, x._dtype)
    _core.check_size(op, shape)
    return PAD.run((x,), shape, x._dtype, {
        "base": tuple(int(b) for b in base), "steps": tuple(int(s) for s in steps),
        "mode": mode, "value": float(value), "in_dims": x._shape, "out_dims": shape})


def place(op, x, shape, base, steps=None, value=0):
    """x written at base + k * steps (per axis) of a tensor of `shape` filled with `value`;
    its gradient reads those positions back (a strided view of dy)."""
    steps = [1] * x.rank if steps is None else list(steps)
    if tuple(shape) == x._shape and all(b == 0 for b in base) and all(s == 1 for s in steps):
        return x
    return pad_values(op, x, shape, base, steps, "constant", value)
