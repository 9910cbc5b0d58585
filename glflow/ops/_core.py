"""What every op shares: converting arguments into tensors and checking shapes, with errors that
name the op, the argument and the shapes. Validation happens here, before any GL work."""
import math
import numbers
from math import prod

import numpy as np

from ..runtime import dtypes, state
from ..tensor import Tensor, keep


# --------------------------------------------------------------------------- conversion

def to_numpy(value, op, dtype=None):
    """A Python/numpy value as a numpy array in a glflow dtype, with clear errors."""
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{op}: cannot make a tensor from a string {value!r}")
    try:
        array = np.asarray(value)
    except ValueError as exc:
        raise ValueError(f"{op}: values form a ragged nested sequence (rows of different "
                         f"lengths); every row must have the same length") from exc
    if array.dtype == object:
        raise ValueError(f"{op}: values form a ragged nested sequence or hold non-numbers; "
                         f"got {_short(value)}")
    if array.dtype.kind in "USV":
        raise TypeError(f"{op}: cannot make a tensor from strings")
    if array.dtype.kind == "c":
        raise TypeError(f"{op}: complex values are not supported")
    target = dtypes.normalize(dtype, op) if dtype is not None else dtypes.infer(array)
    if target == dtypes.INT32:
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise ValueError(f"{op}: cannot store nan/inf as int32")
        limit = np.iinfo(np.int32)
        if array.size and (array.min() < limit.min or array.max() > limit.max):
            raise ValueError(f"{op}: values outside the int32 range")
    return array.astype(dtypes.numpy_dtype(target), copy=False)


def _short(value):
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def from_numpy(array, op, dtype=None, shape=None):
    """Upload values as a Tensor on the active backend, checking what it can hold first."""
    array = to_numpy(array, op, dtype)
    if shape is not None:
        array = reshape_values(array, shape, op)
    b = state.backend()
    dt = dtypes.infer(array)
    check_size(op, array.shape, b)
    if dt == dtypes.INT32 and array.size:
        check_exact_ints(op, int(np.max(np.abs(array.astype(np.int64)))), b)
    return Tensor.wrap(b.upload(array), array.shape, dt, b)


def check_exact_ints(op, magnitude, b=None):
    """Refuse an int32 value the backend cannot store exactly (GL: float32 texels, 2^24)."""
    limit = (b or state.backend()).limit("exact_int")
    if limit is not None and magnitude > limit:
        raise ValueError(f"{op}: int32 value {magnitude} exceeds +-{limit}, the largest the "
                         f"{state.current_name} backend stores exactly; use float32 or the cpu "
                         "backend")


def reshape_values(array, shape, op):
    shape = check_shape(shape, op)
    if prod(shape) != array.size:
        raise ValueError(f"{op}: {array.size} values cannot fill shape {list(shape)} "
                         f"({prod(shape)} elements)")
    return array.reshape(shape)


def convert(value, op, dtype=None):
    """A Tensor (cast when a dtype is asked and differs), or any array-like uploaded as one."""
    if isinstance(value, Tensor):
        value._live_storage(op)
        if dtype is not None and value._dtype != dtypes.normalize(dtype, op):
            return value.cast(dtype)
        return value
    if dtype is None and isinstance(value, (bool, numbers.Number)) and not isinstance(value, np.generic):
        return scalar(value, _python_dtype(value), op)
    return from_numpy(value, op, dtype)


def _python_dtype(value):
    if isinstance(value, bool):
        return dtypes.BOOL
    if isinstance(value, numbers.Integral):
        return dtypes.INT32
    return dtypes.FLOAT32


# Python scalars in ops (x * 2, y + 1.0) are uploaded once per backend, dtype and value, then
# shared: kept (no tidy owns them) and bounded by starting afresh.
_scalars = {}
SCALAR_CAPACITY = 1024


def scalar(value, dtype, op):
    """The cached one-element tensor for a Python number in `dtype`."""
    b = state.current or state.backend()
    # -0.0 == 0.0 and nan != nan: both take the keyed-by-text path (rare), so the common
    # case is one tuple and one dict lookup.
    key = (b, dtype, value) if value and value == value else (b, dtype, repr(value))
    t = _scalars.get(key)
    if t is not None and not t._disposed:
        return t
    array = to_numpy(value, op, dtype).reshape(())
    if dtype == dtypes.INT32:
        check_exact_ints(op, abs(int(array)), b)
    scopes, state.thread.scopes = state.thread.scopes, []  # owned by no tidy
    try:
        t = keep(Tensor.wrap(b.upload(array), (), dtype, b))
    finally:
        state.thread.scopes = scopes
    if len(_scalars) >= SCALAR_CAPACITY:
        _scalars.clear()
    _scalars[key] = t
    return t


def tensors(op, *values):
    """Convert an op's arguments; Python scalars take their dtype from a tensor argument
    (int32 tensor * 2 stays int32, * 2.5 becomes float32, as TF.js does)."""
    for v in values:  # the common case, tensors only: check they are alive
        if not isinstance(v, Tensor):
            break
        if v._disposed:
            v._live_storage(op)
    else:
        return values
    anchor = next((v._dtype for v in values if isinstance(v, Tensor)), None)
    out = []
    for v in values:
        if isinstance(v, Tensor):
            v._live_storage(op)
            out.append(v)
        elif _is_scalar(v):
            out.append(scalar(v, _scalar_dtype(v, anchor), op))
        else:
            out.append(convert(v, op))
    return out


def _is_scalar(v):
    return isinstance(v, (bool, numbers.Number)) and not isinstance(v, np.ndarray)


def _scalar_dtype(value, anchor):
    if isinstance(value, (bool, np.bool_)):
        return dtypes.BOOL if anchor in (None, dtypes.BOOL) else anchor
    if isinstance(value, numbers.Integral):
        return dtypes.INT32 if anchor in (None, dtypes.BOOL) else anchor
    return dtypes.FLOAT32


# --------------------------------------------------------------------------- shapes

def check_shape(shape, op):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: shape must be a sequence of ints, got {shape!r}") from None
    out = []
    for d in shape:
        if not isinstance(d, numbers.Integral) or isinstance(d, bool):
            raise TypeError(f"{op}: shape {list(shape)} must hold ints, got {d!r}")
        if d < 0:
            raise ValueError(f"{op}: shape {list(shape)} has a negative dimension")
        out.append(int(d))
    return tuple(out)


def check_size(op, shape, b=None):
    """The only refusal left for a shape: more elements than one tensor of the backend holds
    (on GL one max-size RGBA32F texture), named in bytes."""
    b = b or state.backend()
    size = prod(shape)  # exact Python ints (np.prod is far slower on a short tuple)
    limit = b.limit("max_elements")
    if size > limit:
        raise MemoryError(f"{op}: a tensor of shape {list(shape)} needs {size * 4:,} bytes; the "
                          f"{b.name} backend holds at most {limit * 4:,} bytes in one tensor")
    return size


def broadcast_shapes(op, *shapes, names=("a", "b", "c")):
    if shapes.count(shapes[0]) == len(shapes):  # all equal: the common case, cheaply
        return tuple(shapes[0])
    if len(shapes) == 2 and () in shapes:  # a tensor and a scalar (x + 1.0), cheaply
        return tuple(shapes[0] or shapes[1])
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        sizes = dims - {1}
        if len(sizes) > 1:
            desc = ", ".join(f"{n} is {list(s)}" for n, s in zip(names, shapes))
            raise ValueError(f"{op}: shapes cannot be broadcast together: {desc}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def normalize_axes(op, axis, rank):
    """Sorted unique non-negative axes; None means all."""
    if axis is None:
        return tuple(range(rank))
    try:
        axes = [axis] if isinstance(axis, numbers.Integral) else list(axis)
    except TypeError:  # a float or another non-sequence: say which op and argument
        raise TypeError(f"{op}: axis must be an int or a sequence of ints, got {axis!r}") from None
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral):
            raise TypeError(f"{op}: axis must be an int or a sequence of ints, got {axis!r}")
        if not -rank <= a < max(rank, 1) or (rank == 0 and a not in (0, -1)):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of rank {rank}")
        a = a % rank if rank else 0
        if a in out:
            raise ValueError(f"{op}: axis {a} repeated in {axis!r}")
        out.append(a)
    # A scalar accepts axis 0/-1 (validated above) but has no dimension to reduce.
    return tuple(sorted(out)) if rank else ()


def size_of(shape):
    return prod(shape)


def is_finite_number(value):
    return isinstance(value, numbers.Real) and math.isfinite(value)
