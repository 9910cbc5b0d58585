"""Index ops: gather, gather_nd, scatter_nd, one_hot, embedding_lookup.

Out-of-range indices raise IndexError on both backends: the indices are checked on the host
before any GL work (reading an index tensor back costs one sync; indices built from Python
lists or numpy arrays are checked before upload). gather's gradient is `scatter_add`, the same
kernel as scatter_nd, and scatter_nd's gradient is a gather: each is the other's dual. Both run
on host-prepared index tables, so they need no atomics and give the same sums every run.
Inside gf.function the indices are symbolic: the checks and tables become HOST nodes
(glflow/ops/_host.py) that run with each call's indices.
Kernels: glflow/backends/gl/indexing.py (shaders/indexing/gather.frag, scatter_add.frag,
one_hot.frag) and glflow/backends/numpy/indexing.py.
"""
import numbers

import numpy as np

from ..runtime import dtypes
from ..runtime.registry import INJECTIVE, OPAQUE
from ..tensor import Tensor
from . import _core
from ._host import host_call
from ._primitive import Primitive
from .creation import fill
from .shape import reshape

__all__ = ["gather", "gather_nd", "scatter_nd", "one_hot", "embedding_lookup"]
TENSOR_METHODS = ["gather"]


def _host_indices(op, indices):
    """(device tensor or None, host int64 array) after a dtype check; the host array is None
    for a symbolic tensor (gf.function: its values come with each call)."""
    if isinstance(indices, Tensor):
        indices._live_storage(op)
        if indices.dtype != dtypes.INT32:
            raise TypeError(f"{op}: indices must be int32, got a {indices.dtype} tensor")
        if indices._symbolic:
            return indices, None
        return indices, indices.numpy().astype(np.int64)
    array = np.asarray(indices)
    if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind == "f"
                                              and not isinstance(indices, np.ndarray)):
        raise TypeError(f"{op}: indices must be integers (int32), got values of dtype "
                        f"{array.dtype}")
    return None, array.astype(np.int64)


def _device(op, tensor, host):
    """The indices on the device: the tensor given, a symbolic `host` itself, or an upload."""
    if tensor is not None:
        return tensor
    if isinstance(host, Tensor):
        return host
    return _core.from_numpy(host.astype(np.int32), op)


def _check_range(op, host, n, what):
    bad = (host < 0) | (host >= n)
    if bad.any():
        raise IndexError(f"{op}: index {int(host[bad][0])} is out of range [0, {n}) for {what}")


def _checked_later(op, index, n, what):
    """A symbolic index tensor passed through a host check, run with each call's values."""
    def check(values):
        _check_range(op, values.astype(np.int64), n, what)
        return values
    return host_call(op, check, [index], [(index._shape, dtypes.INT32)])[0]


def _shape_of(host):
    """Shape of indices given as a host array or as a (symbolic) tensor."""
    return tuple(host._shape) if isinstance(host, Tensor) else tuple(host.shape)


class _Dims:
    """gather as [batch, pre, axis, inner] -> [batch, pre, count, inner] flat views."""

    def __init__(self, batch, pre, axis, count, inner):
        self.batch, self.pre, self.axis, self.count, self.inner = batch, pre, axis, count, inner

    def attrs(self):
        return {"batch": self.batch, "pre": self.pre, "axis_len": self.axis,
                "count": self.count, "inner": self.inner}


# gather and scatter_add keep the host copy of their indices and the [batch, pre, axis,
# inner] dims in their attrs: each one's gradient is the other, built from the same tables.
GATHER = Primitive("gather", "indexing", INJECTIVE, hidden=("dims", "host"), grad=lambda call, dy: (
    _scatter(dy, call.attrs["host"], call.attrs["dims"], call.inputs[0]._shape), None))
SCATTER_ADD = Primitive("scatter_add", "indexing", OPAQUE, hidden=("dims", "host"), grad=lambda call, dy: (
    _gather(dy, _device("scatter_nd", None, call.attrs["host"]), call.attrs["host"],
            call.attrs["dims"], call.inputs[0]._shape), None, None))
ONE_HOT = Primitive("one_hot", "indexing", INJECTIVE)


def _gather(x, index, host, dims, out_shape):
    _core.check_size("gather", out_shape)
    return GATHER.run((x, index), out_shape, x._dtype,
                      {**dims.attrs(), "dims": dims, "host": host})


def _tables(host, dims):
    """scatter_add's tables: the order that sorts the updates by target, and where each
    target's run starts in it."""
    keys = (np.arange(dims.batch)[:, None] * dims.axis
            + np.asarray(host, np.int64).reshape(dims.batch, dims.count))
    keys = keys.reshape(-1)
    order = np.argsort(keys, kind="stable")
    offsets = np.searchsorted(keys[order], np.arange(dims.batch * dims.axis + 1))
    return order.astype(np.int32), offsets.astype(np.int32)


def _scatter(updates, host, dims, out_shape):
    """out (of out_shape, [batch, pre, axis, inner] flat) sums the updates ([batch, pre,
    count, inner] flat) at their indices, from host-sorted tables (no atomics: the same sums
    every run); its gradient is a gather. `host`: the indices as an array, or symbolic."""
    if updates.size == 0 or _core.size_of(out_shape) == 0:
        return fill(out_shape, 0, updates._dtype)
    if isinstance(host, Tensor):
        specs = [((dims.batch * dims.count,), dtypes.INT32),
                 ((dims.batch * dims.axis + 1,), dtypes.INT32)]
        tables = host_call("scatter_nd", lambda h: _tables(h, dims), [host], specs)
    else:
        tables = [_core.from_numpy(t, "scatter_nd") for t in _tables(host, dims)]
    return SCATTER_ADD.run((updates, *tables), out_shape, updates._dtype,
                           {**dims.attrs(), "dims": dims, "host": host})


def gather(x, indices, axis=0, batch_dims=0):
    """Slices of x along `axis` at int32 `indices`: the result has shape
    x.shape[:axis] + indices.shape[batch_dims:] + x.shape[axis + 1:]. With batch_dims = b the
    first b axes of x and indices are batch axes, matched one to one.
    Indices outside [0, x.shape[axis]) (negative ones too) raise IndexError on both backends."""
    op = "gather"
    (x,) = _core.tensors(op, x)
    index, host = _host_indices(op, indices)
    if x.rank == 0:
        raise ValueError("gather: x must have rank >= 1, got a scalar")
    for name, v in (("axis", axis), ("batch_dims", batch_dims)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"gather: {name} must be an int, got {v!r}")
    (axis,) = _core.normalize_axes(op, axis, x.rank)
    ishape = index._shape if host is None else host.shape
    bd = batch_dims + len(ishape) if batch_dims < 0 else batch_dims
    if not 0 <= bd <= min(len(ishape), axis):
        raise ValueError(f"gather: batch_dims {batch_dims} must be in [0, min(rank of indices "
                         f"{len(ishape)}, axis {axis})]; x is {x.shape}")
    if x._shape[:bd] != tuple(ishape[:bd]):
        raise ValueError(f"gather: the first {bd} (batch) dims of x {x.shape} and indices "
                         f"{list(ishape)} differ")
    what = f"axis {axis} of x with shape {x.shape}"
    if host is None:
        index = _checked_later(op, index, x._shape[axis], what)
    else:
        _check_range(op, host, x._shape[axis], what)
    return gather_checked(x, index, host, axis, bd)


def gather_checked(x, index, host, axis=0, batch_dims=0):
    """gather on indices the caller has already read to the host (int64 `host`, with their
    device tensor `index` or None) and range-checked, so it reads nothing back again. In a
    traced function `host` may be None: the (checked) symbolic `index` stands for it."""
    op = "gather"
    bd = batch_dims
    if host is None:
        host = index
    ishape = _shape_of(host)
    dims = _Dims(_core.size_of(x._shape[:bd]), _core.size_of(x._shape[bd:axis]),
                 x._shape[axis], _core.size_of(ishape[bd:]),
                 _core.size_of(x._shape[axis + 1:]))
    out_shape = x._shape[:axis] + tuple(ishape[bd:]) + x._shape[axis + 1:]
    return _gather(x, _device(op, index, host), host, dims, out_shape)


def _coordinates(op, ishape, shape):
    """K, the coordinates per index tuple, after checking the indices' shape."""
    if len(ishape) == 0:
        raise ValueError(f"{op}: indices must have rank >= 1 (the last axis holds the "
                         f"coordinates), got a scalar")
    k = ishape[-1]
    if k > len(shape):
        raise ValueError(f"{op}: indices hold {k} coordinates but the tensor has shape "
                         f"{list(shape)} (rank {len(shape)})")
    return k


def _row_numbers(op, host, shape, k):
    rows = np.zeros(host.shape[:-1], np.int64)
    for d in range(k):
        _check_range(op, host[..., d], shape[d], f"coordinate {d} (axis of size {shape[d]})")
        rows = rows * shape[d] + host[..., d]
    return rows


def _rows(op, index, host, shape):
    """Row numbers of index tuples [..., K] in a [prod(shape[:K]), ...] view, and K: an
    int64 array, or for symbolic indices a tensor a host node computes on each call."""
    k = _coordinates(op, index._shape if host is None else host.shape, shape)
    if host is not None:
        return _row_numbers(op, host, shape, k), k
    rows_shape = index._shape[:-1]
    rows = host_call(op, lambda h: _row_numbers(op, h.astype(np.int64), shape, k).astype(
        np.int32), [index], [(rows_shape, dtypes.INT32)])[0]
    return rows, k


def gather_nd(x, indices):
    """x at the index tuples in the last axis of int32 `indices`: result shape
    indices.shape[:-1] + x.shape[K:] with K = indices.shape[-1]. Out-of-range: IndexError."""
    op = "gather_nd"
    (x,) = _core.tensors(op, x)
    index, host = _host_indices(op, indices)
    rows, k = _rows(op, index, host, x._shape)
    n_rows = _core.size_of(x._shape[:k])
    table = reshape(x, (n_rows,) + x._shape[k:])
    dims = _Dims(1, 1, n_rows, rows.size, _core.size_of(x._shape[k:]))
    out_shape = tuple(_shape_of(rows)) + x._shape[k:]
    return _gather(table, _device(op, None, rows), rows, dims, out_shape)


def scatter_nd(indices, updates, shape):
    """A zero tensor of `shape` with updates added at the index tuples in the last axis of
    int32 `indices` (duplicates add): updates has shape indices.shape[:-1] + shape[K:].
    Out-of-range indices raise IndexError."""
    op = "scatter_nd"
    shape = _core.check_shape(shape, op)
    index, host = _host_indices(op, indices)
    (updates,) = _core.tensors(op, updates)
    if updates.dtype == dtypes.BOOL:
        raise TypeError("scatter_nd: updates must be float32 or int32 (duplicates add), got bool")
    ishape = index._shape if host is None else host.shape
    k = _coordinates(op, ishape, shape)
    want = tuple(ishape[:-1]) + shape[k:]
    if updates._shape != want:
        raise ValueError(f"scatter_nd: updates have shape {updates.shape}, expected "
                         f"{list(want)} (indices {list(ishape)}, shape {list(shape)})")
    rows, k = _rows(op, index, host, shape)
    inner = _core.size_of(shape[k:])
    dims = _Dims(1, 1, _core.size_of(shape[:k]), rows.size, inner)
    flat = reshape(updates, (rows.size, inner))
    return reshape(_scatter(flat, rows, dims, (dims.axis, inner)), shape)


def one_hot(indices, depth, on_value=1, off_value=0, dtype=None):
    """indices.shape + [depth]: on_value where the position equals the index, else off_value.
    An index outside [0, depth) (negative too) gives a row of off_value, as in TensorFlow.
    dtype: int32 when both values are ints (tfjs's default), else float32."""
    op = "one_hot"
    if isinstance(indices, Tensor):
        index = _core.convert(indices, op)
        if index.dtype != dtypes.INT32:
            raise TypeError(f"one_hot: indices must be int32, got a {index.dtype} tensor")
    else:
        _, host = _host_indices(op, indices)
        index = _core.from_numpy(host.astype(np.int32), op)
    if not isinstance(depth, numbers.Integral) or isinstance(depth, bool) or depth < 0:
        raise ValueError(f"one_hot: depth must be an int >= 0, got {depth!r}")
    for name, v in (("on_value", on_value), ("off_value", off_value)):
        if not isinstance(v, numbers.Number) or isinstance(v, bool):
            raise TypeError(f"one_hot: {name} must be a number, got {v!r}")
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) for v in (on_value, off_value))
        dtype = dtypes.INT32 if ints else dtypes.FLOAT32
    dtype = dtypes.normalize(dtype, op)
    out_shape = index._shape + (int(depth),)
    _core.check_size(op, out_shape)
    return ONE_HOT.run((index,), out_shape, dtype, {
        "depth": int(depth), "on_value": float(on_value), "off_value": float(off_value)})


def embedding_lookup(params, ids):
    """Rows of params [V, D] at int32 ids of any shape -> ids.shape + [D]. Ids outside
    [0, V) raise IndexError; the gradient adds each row's dy into params (duplicates add)."""
    op = "embedding_lookup"
    (params,) = _core.tensors(op, params)
    if params.rank != 2:
        raise ValueError(f"{op}: params must have rank 2 [vocabulary, dim], got shape "
                         f"{params.shape}")
    if isinstance(ids, Tensor):
        if ids._dtype != dtypes.INT32:
            raise TypeError(f"{op}: ids must be int32, got a {ids.dtype} tensor")
        if ids._symbolic:  # gf.function: a host node checks each call's ids
            what = f"params of shape {params.shape}"
            return gather_checked(params, _checked_later(op, ids, params._shape[0], what), None)
        host = ids.numpy()
    else:
        host = np.asarray(ids)
        if host.dtype.kind not in "iu":
            raise TypeError(f"{op}: ids must be integers (int32), got dtype {host.dtype}")
        ids = None  # gather_checked uploads the host copy
    bad = (host < 0) | (host >= params._shape[0])
    if bad.any():
        raise IndexError(f"{op}: id {int(host[bad].reshape(-1)[0])} is out of range [0, "
                         f"{params._shape[0]}) for params of shape {params.shape}")
    # the ids are read and checked once here; plain gather would read them back again
    return gather_checked(params, ids, host.astype(np.int64))
