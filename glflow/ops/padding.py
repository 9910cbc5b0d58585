"""pad: constant, reflect and symmetric padding in one `pad` pass (shaders/padding/pad.frag,
glflow/backends/numpy/padding.py). Gradients: constant padding is undone by a slice of dy (the
dual); mirror padding also folds each margin of dy back onto the x positions it mirrored
(reversed slices, placed and added)."""
import numbers

from ..runtime import dtypes
from ..runtime.registry import INJECTIVE
from . import _core
from ._movement import full_picks, place, select
from ._primitive import Primitive
from .arithmetic import add

__all__ = ["pad"]
TENSOR_METHODS = ["pad"]

MODES = ("constant", "reflect", "symmetric")


def _check_paddings(x, paddings):
    try:
        pairs = [list(p) for p in paddings]
    except TypeError:
        raise TypeError(f"pad: paddings must be a list of [before, after] pairs, one per axis, "
                        f"got {paddings!r}") from None
    if len(pairs) != x.rank or any(len(p) != 2 for p in pairs):
        raise ValueError(f"pad: paddings {paddings!r} must have one [before, after] pair per "
                         f"axis of x {x.shape} ({x.rank} pairs)")
    for p in pairs:
        for v in p:
            if not isinstance(v, numbers.Integral) or isinstance(v, bool):
                raise TypeError(f"pad: paddings must hold ints, got {v!r} in {paddings!r}")
            if v < 0:
                raise ValueError(f"pad: paddings {paddings!r} must not be negative")
    return [(int(b), int(a)) for b, a in pairs]


def pad(x, paddings, mode="constant", constant_values=0):
    """Pad each axis d with paddings[d] = [before, after] elements:
    'constant' (constant_values), 'reflect' (mirror without the edge: [1,2,3] -> 3,2 | 1,2,3 |
    2,1; pads <= size - 1) or 'symmetric' (mirror with the edge: 2,1 | 1,2,3 | 3,2; pads <=
    size), like TensorFlow's pad / mirror_pad."""
    (x,) = _core.tensors("pad", x)
    pairs = _check_paddings(x, paddings)
    mode_name = mode.lower() if isinstance(mode, str) else mode
    if mode_name not in MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not isinstance(constant_values, numbers.Number):
        raise TypeError(f"pad: constant_values must be a number, got {constant_values!r}")
    if x.dtype != dtypes.FLOAT32 and float(constant_values) != int(constant_values):
        raise ValueError(f"pad: constant_values {constant_values} is not a whole number but x "
                         f"is {x.dtype}")
    limit = 1 if mode_name == "reflect" else 0
    if mode_name != "constant":
        for d, ((b, a), n) in enumerate(zip(pairs, x._shape)):
            if max(b, a) > n - limit:
                raise ValueError(f"pad: {mode_name} padding {[b, a]} of axis {d} must be at most "
                                 f"{n - limit} (axis size {n}{' - 1' if limit else ''}); "
                                 f"x is {x.shape}")
    shape = tuple(n + b + a for n, (b, a) in zip(x._shape, pairs))
    if all(b == 0 and a == 0 for b, a in pairs):
        return x
    base = [b for b, _ in pairs]
    if mode_name == "constant":
        return place("pad", x, shape, base, value=constant_values)
    _core.check_size("pad", shape)
    return MIRROR_PAD.run((x,), shape, x._dtype, {
        "base": tuple(base), "steps": (1,) * x.rank, "mode": mode_name, "value": 0.0,
        "in_dims": x._shape, "out_dims": shape, "pairs": tuple(pairs)})


def _fold(call, dy):
    """Gradient of mirror padding: per padded axis, dx = the centre of dy plus each margin
    reversed onto the positions it mirrored (reflect skips the edge, symmetric repeats it)."""
    shape, pairs = call.inputs[0]._shape, call.attrs["pairs"]
    skip = 1 if call.attrs["mode"] == "reflect" else 0
    for d, ((b, a), n) in enumerate(zip(pairs, shape)):
        if b == 0 and a == 0:
            continue

        def along(start, count):
            picks = full_picks(dy._shape)
            picks[d] = (start, 1, count)
            return select("pad", dy, picks)
        folded = along(b, n)
        out = folded._shape
        for start, count, first in ((0, b, skip + b - 1), (b + n, a, n - 1 - skip)):
            if count:
                base, steps = [0] * len(out), [1] * len(out)
                base[d], steps[d] = first, -1
                folded = add(folded, place("pad", along(start, count), out, base, steps))
        dy = folded
    return (dy,)


# reflect/symmetric padding: the pad kernel mirroring x into the margins
MIRROR_PAD = Primitive("mirror_pad", pattern=INJECTIVE, kernel="pad", grad=_fold, hidden=("pairs",))
