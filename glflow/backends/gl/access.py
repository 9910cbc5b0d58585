"""How a generated shader reads one input of an elementwise pass: the cheapest correct pattern.

Specialising on the pattern (never on sizes) keeps index arithmetic out of the common cases:
  same     input has the output's element count: the same texel, no index math at all
  scalar   one element, broadcast everywhere
  tile     input = trailing dims of the output, size % 4 == 0: texel t % texels
  block    input = one contiguous run of output dims (bias, row/column broadcast):
           element (e / inner) % extent; `block4` when inner % 4 == 0 (one fetch per texel)
  strided  anything else (transposes, slices, general broadcasts): per-element unravel
Sizes travel as uniforms, so one compiled program serves every shape with the same pattern.
"""
from math import prod

from ...runtime.views import contiguous_strides


class Access:
    """Read-only once made (SAME and SCALAR are shared by every launch)."""
    __slots__ = ("mode", "rank", "uniforms", "key")

    def __init__(self, mode, rank=0, uniforms=None):
        self.mode = mode
        self.rank = rank
        self.uniforms = uniforms or {}
        self.key = (mode, rank)


SAME = Access("same")
SCALAR = Access("scalar")


def classify(in_shape, out_shape, in_size, out_size=None):
    """Access pattern of a contiguous input broadcast (numpy rules) to out_shape."""
    if out_size is None:
        out_size = prod(out_shape)
    if in_size == out_size:
        return SAME
    if in_size == 1:
        return SCALAR
    rank = len(out_shape)
    padded = [1] * (rank - len(in_shape)) + list(in_shape)
    kept = [d for d in range(rank) if padded[d] != 1 and out_shape[d] != 1]
    lo, hi = kept[0], kept[-1]
    if all(padded[d] == out_shape[d] for d in range(lo, hi + 1)):
        extent = int(prod(out_shape[lo:hi + 1]))
        inner = int(prod(out_shape[hi + 1:]))
        if inner == 1 and extent % 4 == 0:
            return Access("tile", uniforms={"texels": extent // 4})
        if inner % 4 == 0:
            return Access("block4", uniforms={"inner": inner, "extent": extent})
        return Access("block", uniforms={"inner": inner, "extent": extent})
    strides = contiguous_strides(padded)
    strides = [0 if padded[d] == 1 else strides[d] for d in range(rank)]
    return strided(out_shape, strides, 0)


def strided(out_shape, strides, offset):
    """A view: element at multi-index m of the output reads input[offset + sum(m * strides)]."""
    return Access("strided", rank=len(out_shape),
                  uniforms={"strides": tuple(int(s) for s in strides) or (0,),
                            "offset": int(offset)})


def from_view(view, out_shape):
    """Access for a StridedView input (shape == out_shape, checked by the op)."""
    return strided(out_shape, view.strides, view.offset)


def for_inputs(in_shapes, in_sizes, views, out_shape, out_size):
    """The access of every input of one elementwise launch (views: a StridedView or None per
    input, or None): a view reads strided, the output's element count reads the same texel,
    anything else as `classify` finds."""
    accesses = []
    for i, (shape, size) in enumerate(zip(in_shapes, in_sizes)):
        v = views[i] if views is not None else None
        if v is not None:
            accesses.append(from_view(v, out_shape))
        elif size == out_size:  # same element count: no index math (classify's rule)
            accesses.append(SAME)
        else:
            accesses.append(classify(shape, out_shape, size, out_size))
    return accesses
