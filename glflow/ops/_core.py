"""What every op shares: converting arguments, shape rules with clear errors, and launching
kernels on the active backend. Validation happens here, before any GL work."""
import functools
import numbers
from math import prod

import numpy as np

from .. import dtypes, engine
from ..tensor import Tensor


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
    if target == dtypes.INT32 and array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{op}: cannot store nan/inf as int32")
    if target == dtypes.INT32:
        limit = np.iinfo(np.int32)
        if array.size and (array.min() < limit.min or array.max() > limit.max):
            raise ValueError(f"{op}: values outside the int32 range")
    return array.astype(dtypes.numpy_dtype(target), copy=False)


def _short(value):
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def from_numpy(array, op, dtype=None, shape=None):
    """Upload a numpy array as a Tensor on the active backend, checking device limits first."""
    array = to_numpy(array, op, dtype)
    if shape is not None:
        array = reshape_values(array, shape, op)
    b = engine.backend()
    dt = dtypes.infer(array)
    check_size(op, array.shape, b)
    if b.name == "gl" and dt == dtypes.INT32 and array.size:
        big = int(np.max(np.abs(array.astype(np.int64))))
        if big > dtypes.GL_EXACT_INT_LIMIT:
            raise ValueError(f"{op}: int32 value {big} exceeds +-{dtypes.GL_EXACT_INT_LIMIT}, the "
                             "largest the GL backend stores exactly (float32 textures); "
                             "use float32 or the cpu backend")
    return engine.wrap(b.upload(array), array.shape, dt, b)


def reshape_values(array, shape, op):
    shape = check_shape(shape, op)
    if int(np.prod(shape)) != array.size:
        raise ValueError(f"{op}: {array.size} values cannot fill shape {list(shape)} "
                         f"({int(np.prod(shape))} elements)")
    return array.reshape(shape)


def convert(value, op, dtype=None):
    """A Tensor (as is), or any array-like uploaded as one."""
    if isinstance(value, Tensor):
        value._live_storage(op)
        if dtype is not None and value.dtype != dtypes.normalize(dtype, op):
            from .shape import cast
            return cast(value, dtype)
        return value
    if dtype is None and isinstance(value, (bool, numbers.Number)) and not isinstance(value, np.ndarray):
        return scalar_constant(value, None, op)
    return from_numpy(value, op, dtype)


_constants = {}


def scalar_constant(value, dtype, op):
    """Python scalars used in ops (x * 2) are cached per backend: no upload per use."""
    array = to_numpy(value, op, dtype)
    b = engine.backend()
    key = (b.name, array.dtype.str, array.tobytes())
    t = _constants.get(key)
    if t is None or t.is_disposed:
        scopes, engine.state.scopes = engine.state.scopes, []  # not owned by any tidy
        try:
            t = engine.keep(from_numpy(array, op))
        finally:
            engine.state.scopes = scopes
        if len(_constants) > 1024:
            _constants.clear()
        _constants[key] = t
    return t


def tensors(op, *values):
    """Convert several op arguments; Python scalars take the dtype of a tensor argument."""
    out = []
    for v in values:  # the common case, tensors only: check they are alive (1.0 -> 0.4 us)
        if not isinstance(v, Tensor):
            break
        if v._disposed:  # the flag inline, _live_storage only to raise its error
            v._live_storage(op)
        out.append(v)
    else:
        return out
    anchor = next((v.dtype for v in values if isinstance(v, Tensor)), None)
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(convert(v, op))
        elif isinstance(v, (bool, numbers.Number)) and anchor is not None:
            out.append(scalar_constant(v, _scalar_dtype(v, anchor), op))
        else:
            out.append(convert(v, op))
    return out


def _scalar_dtype(value, anchor):
    if isinstance(value, (bool, np.bool_)):
        return anchor if anchor != dtypes.BOOL else dtypes.BOOL
    if isinstance(value, numbers.Integral):
        return anchor if anchor != dtypes.BOOL else dtypes.INT32
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
    b = b or engine.backend()
    size = int(prod(shape))  # exact Python ints (np.prod cost ~4 us per op in the hot path)
    if size > b.max_elements():
        raise ValueError(f"{op}: shape {list(shape)} has {size} elements, more than the "
                         f"{b.name} backend holds in one tensor ({b.max_elements()})")
    return size


def broadcast_shapes(op, *shapes, names=("a", "b", "c")):
    if shapes and shapes.count(shapes[0]) == len(shapes):  # all equal: 1.9 -> 0.2 us
        return tuple(shapes[0])
    rank = max((len(s) for s in shapes), default=0)
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
    # A scalar accepts axis 0/-1 (validated above) but has no dimension to reduce: returning
    # (0,) made every reduction index shape[0] of a rank-0 tensor (IndexError).
    return tuple(sorted(out)) if rank else ()


# --------------------------------------------------------------------------- launching

def data_on(t, b):
    """The tensor's data handle on backend b (copying across backends if needed)."""
    storage = t._storage  # None once disposed
    if storage is not None and storage.backend is b:  # the common case, checked inline
        return storage.handle
    storage = t._live_storage("op")
    if storage.backend is b:
        return storage.handle
    moved = from_numpy(t.numpy(), "op")
    t._storage = moved._storage  # keep the copy with the tensor so it moves once
    return moved._storage.handle


def elementwise(op, expr, inputs, out_shape, out_dtype, params=None, views=None):
    """Launch an elementwise expression over tensors (broadcast by numpy rules)."""
    b = engine.backend()
    check_size(op, out_shape, b)
    if views is None:
        args = [(data_on(t, b), t._shape, None) for t in inputs]
    else:
        args = [(data_on(t, b), t._shape, v) for t, v in zip(inputs, views)]
    handle = b.elementwise(expr, args, params or _NO_PARAMS, tuple(out_shape), out_dtype)
    return engine.wrap(handle, out_shape, out_dtype, b)


_NO_PARAMS = {}  # shared and never written: saves a dict per launch


def launch(op, kernel, inputs, out_shape, out_dtype, **attrs):
    """Run a kernel with a shader of its own (conv2d, gather, ...) on the active backend.
    gl: glflow/backends/gl/kernels/*.py:<kernel>(backend, *data, out_shape, **attrs)
    cpu: glflow/backends/cpu/*.py:<kernel>(*arrays, **attrs)"""
    b = engine.backend()
    out_shape = tuple(out_shape)
    check_size(op, out_shape, b)
    reason = b.limit(kernel, out_shape, attrs)
    if reason:
        shapes = ", ".join(str(list(t._shape)) for t in inputs)
        raise ValueError(f"{op}: inputs {shapes}: {reason}")
    args = [(data_on(t, b), t._shape) for t in inputs]
    handle = b.call(kernel, args, out_shape, out_dtype, attrs)
    return engine.wrap(handle, out_shape, out_dtype, b)


def launch_outputs(op, kernel, inputs, out_shape, out_dtype, **attrs):
    """launch() for a kernel with several outputs, all of out_shape (fused optimizer updates
    write a variable and its slots in one pass); the backends return a tuple of handles."""
    b = engine.backend()
    out_shape = tuple(out_shape)
    check_size(op, out_shape, b)
    args = [(data_on(t, b), t._shape) for t in inputs]
    handles = b.call(kernel, args, out_shape, out_dtype, attrs)
    return [engine.wrap(h, out_shape, out_dtype, b) for h in handles]


@functools.lru_cache(maxsize=1024)
def call(kernel, n_inputs, n_params=0):
    """The expression tree of one kernel applied to inputs 0..n-1 with param slots 0..p-1.
    Tuples all the way down: hashable, so the GL backend finds its cached program in one
    lookup; cached, since the same few trees are asked for on every op."""
    return ("call", kernel, tuple(("in", i) for i in range(n_inputs)), tuple(range(n_params)))


def size_of(shape):
    return int(prod(shape))
