"""The two mechanisms every data-movement op is built from, each the gradient of the other:

- `read(x, picks)`: x[start + k * step] along every axis, an affine (strided) view copied in
  one `identity` pass (slice, strided_slice, getitem, reverse, split, unstack, tile, ...);
  a view that is x's own layout costs nothing (storage shared, as reshape).
- `place(x, shape, base, steps)`: the inverse, x written at base + k * step of a zero (or
  constant) tensor in one `pad` pass (pad, and the gradient of every strided read).
"""
from .. import engine, kernels
from ..backends.views import StridedView, contiguous_strides
from . import _core

kernels.register("pad", "special")


def view_copy(op, x, view):
    """Materialise a strided view of x as a new contiguous tensor (one identity pass)."""
    return _core.elementwise(op, _core.call("identity", 1), [x], view.shape, x.dtype,
                             views=[view])


def full_picks(shape):
    return [(0, 1, n) for n in shape]


def _is_layout(shape, strides, offset, x):
    """True when the view reads x's buffer in order: the copy would be x itself."""
    if offset or _core.size_of(shape) != x.size:
        return False
    kept = [(n, s) for n, s in zip(shape, strides) if n != 1]
    return [s for _, s in kept] == contiguous_strides([n for n, _ in kept])


def read(op, x, picks, out_shape=None):
    """Unrecorded: x[start + k * step] for k < count along each axis (picks = one
    (start, step, count) per axis of x), as a tensor of out_shape (the picked shape with
    size-1 axes added or dropped)."""
    shape = tuple(c for _, _, c in picks)
    out_shape = shape if out_shape is None else tuple(out_shape)
    strides = contiguous_strides(x._shape)
    size = _core.size_of(shape)
    offset = sum(st * s for (st, _, _), s in zip(picks, strides)) if size else 0
    view_strides = [sp * s for (_, sp, _), s in zip(picks, strides)]
    if _is_layout(shape, view_strides, offset, x):
        return x._with_shape(out_shape)
    y = view_copy(op, x, StridedView(shape, view_strides, offset))
    return y._with_shape(out_shape) if out_shape != shape else y


def select(op, x, picks, out_shape=None):
    """`read`, recorded: its gradient places dy back where it was read from."""
    y = read(op, x, picks, out_shape)
    shape = tuple(c for _, _, c in picks)

    def grad(dy):
        return (place(op, dy._with_shape(shape), x._shape,
                      [st for st, _, _ in picks], [sp for _, sp, _ in picks]),)
    return engine.record(op, [x], y, grad)


def launch_pad(op, x, shape, base, steps, mode, value):
    """Unrecorded pad pass: out[m] = x[(m - base) / steps] per axis, else value / mirror."""
    shape = tuple(shape)
    if x.size == 0:
        from .elementwise import fill
        return fill(shape, value, x.dtype)
    return _core.launch(op, "pad", [x], shape, x.dtype, base=tuple(base), steps=tuple(steps),
                        mode=mode, value=float(value), in_dims=x._shape, out_dims=shape)


def place(op, x, shape, base, steps=None, value=0):
    """x written at base + k * steps (per axis) of a tensor of `shape` filled with `value`;
    recorded, its gradient reads those positions back (a strided view of dy)."""
    steps = [1] * x.rank if steps is None else list(steps)
    if tuple(shape) == x._shape and all(b == 0 for b in base) and all(s == 1 for s in steps):
        return x
    y = launch_pad(op, x, shape, base, steps, "constant", value)

    def grad(dy):
        if x.size == 0:
            return (None,)
        return (select(op, dy, list(zip(base, steps, x._shape))),)
    return engine.record(op, [x], y, grad)
