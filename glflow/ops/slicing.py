"""Slicing ops: every one is an affine read of x (`_movement.select`: one identity pass through
a strided view, free when it is x's own layout) whose gradient places dy back (one pad pass).
split and unstack read all their pieces in one `split` call (a view per piece) whose gradient
is one concat pass."""
import builtins
import numbers

from ..runtime.registry import INJECTIVE
from ..runtime.views import StridedView, contiguous_strides
from ..tensor import Tensor
from . import _core
from ._movement import select
from ._primitive import Primitive
from .creation import zeros
from .joining import concat
from .shape import int_list, reshape

__all__ = ["slice", "strided_slice", "reverse", "split", "unstack", "getitem"]
TENSOR_METHODS = ["reverse", "split", "unstack"]


def slice(x, begin, size=None):  # noqa: A001 - public name follows tfjs
    """x[begin[d] : begin[d] + size[d]] along each axis; size -1 means to the end. begin/size
    may be shorter than the rank (the rest: 0 / -1) or an int for the first axis."""
    op = "slice"
    (x,) = _core.tensors(op, x)
    begin = int_list(op, "begin", begin)
    size = [-1] * len(begin) if size is None else int_list(op, "size", size)
    if len(begin) > x.rank or len(size) > x.rank:
        raise ValueError(f"slice: begin {begin} / size {size} longer than the rank of x {x.shape}")
    begin += [0] * (x.rank - len(begin))
    size += [-1] * (x.rank - len(size))
    picks = []
    for d, (b, s, n) in enumerate(zip(begin, size, x._shape)):
        if not 0 <= b <= n:
            raise ValueError(f"slice: begin[{d}] = {b} is out of range [0, {n}] for axis {d} "
                             f"of x {x.shape}")
        if s < -1:
            raise ValueError(f"slice: size[{d}] = {s} is negative (only -1, 'to the end', is "
                             f"allowed); x is {x.shape}")
        s = n - b if s == -1 else s
        if b + s > n:
            raise ValueError(f"slice: begin[{d}] + size[{d}] = {b} + {s} exceeds axis {d} of "
                             f"size {n}; x is {x.shape}")
        picks.append((b, 1, s))
    return select(op, x, picks)


def strided_slice(x, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0):
    """TensorFlow/tfjs strided_slice: per spec entry i, x[begin[i]:end[i]:strides[i]] with
    Python clamping; bit i of begin_mask/end_mask ignores begin[i]/end[i]; of ellipsis_mask
    stands for all the axes not otherwise named; of new_axis_mask inserts an axis of size 1;
    of shrink_axis_mask takes the single index begin[i] and drops the axis (precedence:
    ellipsis, new axis, shrink). Axes past the spec are taken whole."""
    op = "strided_slice"
    (x,) = _core.tensors(op, x)
    begin, end = int_list(op, "begin", begin), int_list(op, "end", end)
    strides = [1] * len(begin) if strides is None else int_list(op, "strides", strides)
    if not len(begin) == len(end) == len(strides):
        raise ValueError(f"strided_slice: begin {begin}, end {end} and strides {strides} must "
                         "have the same length")
    if any(s == 0 for s in strides):
        raise ValueError(f"strided_slice: strides {strides} must be non-zero")
    if bin(ellipsis_mask).count("1") > 1:
        raise ValueError(f"strided_slice: ellipsis_mask {ellipsis_mask} has more than one bit set")
    picks, out_shape, axis = [], [], 0
    for i in range(len(begin)):
        bit = 1 << i
        if ellipsis_mask & bit:
            later = sum(1 for j in range(i + 1, len(begin)) if not new_axis_mask & (1 << j))
            for _ in range(max(0, x.rank - axis - later)):
                picks.append((0, 1, x._shape[axis]))
                out_shape.append(x._shape[axis])
                axis += 1
            continue
        if new_axis_mask & bit:
            out_shape.append(1)
            continue
        if axis >= x.rank:
            raise ValueError(f"strided_slice: spec of {len(begin)} entries indexes more axes "
                             f"than x {x.shape} has")
        n = x._shape[axis]
        if shrink_axis_mask & bit:
            k = begin[i] + n if begin[i] < 0 else begin[i]
            if not 0 <= k < n:
                raise IndexError(f"strided_slice: shrink index {begin[i]} is out of range for "
                                 f"axis {axis} of size {n}; x is {x.shape}")
            picks.append((k, 1, 1))
        else:
            start, stop, step = _py_slice(begin[i], end[i], strides[i], begin_mask & bit,
                                          end_mask & bit).indices(n)
            count = len(range(start, stop, step))
            picks.append((start, step, count))
            out_shape.append(count)
        axis += 1
    for d in range(axis, x.rank):
        picks.append((0, 1, x._shape[d]))
        out_shape.append(x._shape[d])
    return select(op, x, picks, out_shape)


def _py_slice(b, e, s, no_begin, no_end):
    return builtins.slice(None if no_begin else b, None if no_end else e, s)


def reverse(x, axis=None):
    """x with the order of elements reversed along `axis` (an int, a list, or None: all)."""
    (x,) = _core.tensors("reverse", x)
    axes = _core.normalize_axes("reverse", axis, x.rank)
    picks = [(n - 1, -1, n) if d in axes and n else (0, 1, n) for d, n in enumerate(x._shape)]
    return select("reverse", x, picks)


def _split_sizes(x, spec, axis):
    n = x._shape[axis]
    if isinstance(spec, numbers.Integral) and not isinstance(spec, bool):
        if spec <= 0 or n % spec:
            raise ValueError(f"split: cannot split axis {axis} of size {n} (x is {x.shape}) into "
                             f"{spec} equal pieces")
        return [n // spec] * int(spec)
    sizes = int_list("split", "num_or_size_splits", spec)
    if any(s < -1 for s in sizes) or sizes.count(-1) > 1:
        raise ValueError(f"split: sizes {sizes} must be >= 0, with at most one -1")
    if -1 in sizes:
        rest = n - sum(s for s in sizes if s != -1)
        if rest < 0:
            raise ValueError(f"split: sizes {sizes} exceed axis {axis} of size {n}; x is {x.shape}")
        sizes[sizes.index(-1)] = rest
    if sum(sizes) != n:
        raise ValueError(f"split: sizes {sizes} sum to {sum(sizes)}, not to the size {n} of "
                         f"axis {axis}; x is {x.shape}")
    return sizes


def _split_grad(call, dys):
    """One concat of the pieces' gradients (zeros for pieces the target did not use)."""
    axis = call.attrs["axis"]
    parts = []
    for dy, shape in zip(dys if isinstance(dys, list) else [dys], call.attrs["pieces"]):
        parts.append(zeros(shape) if dy is None else reshape(dy, shape))
    return (concat(parts, axis),)


# attrs: views (one StridedView per output), axis, pieces (each output's shape with the axis)
SPLIT = Primitive("split", "slicing", INJECTIVE, grad=_split_grad, outputs=None,
                  hidden=("axis", "pieces"))


def _pieces(x, axis, sizes):
    """Run SPLIT: the pieces of `sizes` along axis, each read through its own view."""
    strides = contiguous_strides(x._shape)
    views, start = [], 0
    for s in sizes:
        shape = x._shape[:axis] + (s,) + x._shape[axis + 1:]
        views.append(StridedView.make(shape, strides, start * strides[axis]))
        start += s
    if not views:
        return []
    shapes = tuple(v.shape for v in views)
    return SPLIT.run((x,), shapes, x._dtype,
                     {"views": tuple(views), "axis": axis, "pieces": shapes})


def split(x, num_or_size_splits, axis=0):
    """Pieces of x along `axis`: an int k gives k equal pieces, a list gives pieces of those
    sizes (one may be -1: the rest). One pass per piece; the gradient is one concat."""
    (x,) = _core.tensors("split", x)
    (axis,) = _core.normalize_axes("split", axis, x.rank) if x.rank else _no_axes("split", x)
    return _pieces(x, axis, _split_sizes(x, num_or_size_splits, axis))


def unstack(x, axis=0):
    """The slices of x along `axis`, each without that axis. Gradient: one concat pass."""
    (x,) = _core.tensors("unstack", x)
    (axis,) = _core.normalize_axes("unstack", axis, x.rank) if x.rank else _no_axes("unstack", x)
    shape = x._shape[:axis] + x._shape[axis + 1:]
    return [reshape(piece, shape) for piece in _pieces(x, axis, [1] * x._shape[axis])]


def _no_axes(op, x):
    raise ValueError(f"{op}: x is a scalar (shape []); it has no axis to split")


def getitem(x, key):
    """Basic numpy indexing: ints, slices (any step), None and Ellipsis, as one strided view.
    For index tensors use gf.gather / gf.gather_nd."""
    (x,) = _core.tensors("getitem", x)
    key = key if isinstance(key, tuple) else (key,)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("getitem: an index can only have a single ellipsis (...)")
    if any(k is Ellipsis for k in key):
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        fill = x.rank - (len(key) - 1 - sum(1 for k in key if k is None))
        key = key[:i] + (builtins.slice(None),) * max(fill, 0) + key[i + 1:]
    picks, out_shape, dim = [], [], 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        if dim >= x.rank:
            raise IndexError(f"getitem: too many indices for a tensor of shape {x.shape}")
        n = x._shape[dim]
        if isinstance(k, numbers.Integral) and not isinstance(k, bool):
            if not -n <= k < n:
                raise IndexError(f"getitem: index {k} out of range for axis {dim} of size {n}")
            picks.append((int(k) % n, 1, 1))
        elif isinstance(k, builtins.slice):
            start, stop, step = k.indices(n)
            picks.append((start, step, len(range(start, stop, step))))
            out_shape.append(picks[-1][2])
        else:
            hint = " (use gf.gather)" if isinstance(k, (Tensor, list)) else ""
            raise TypeError(f"getitem: unsupported index {k!r}{hint}; use ints, slices, None "
                            "or ...")
        dim += 1
    for d in range(dim, x.rank):
        picks.append((0, 1, x._shape[d]))
        out_shape.append(x._shape[d])
    return select("getitem", x, picks, out_shape)

