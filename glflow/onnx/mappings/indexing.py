"""Gathers, scatters and the ops that pick positions: Gather, GatherElements, GatherND,
ScatterND, ScatterElements, TensorScatter, OneHot, Compress, NonZero, ReverseSequence.
Indices arrive on the host (`host=`): glflow's gather and scatter check them there, negative
ones are turned into positions there, and element-wise indices become index tuples there."""
import builtins

import numpy as np

from ... import ops
from ...tensor import Tensor
from .. import types
from .shape import axis_of
from .table import mapping


@mapping("Gather", attrs={"axis": 0}, host=(1,), traced=(1,))
def gather(n, x, indices):
    # glflow's gather checks its indices on the host, so they arrive there; under a trace
    # they may be a device tensor: negative ones are mapped there, and ops.gather checks
    # the range in a HOST node on every call
    a = axis_of(n["axis"], x.rank)
    if isinstance(indices, Tensor):
        return ops.gather(x, ops.where(ops.less(indices, 0), ops.add(indices, x.shape[a]),
                                       indices), axis=a)
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + x.shape[a], idx)
    return ops.gather(x, idx, axis=a)


@mapping("GatherElements", attrs={"axis": 0}, host=(1,))
def gather_elements(n, x, indices):
    a = axis_of(n["axis"], x.rank)
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + x.shape[a], idx)
    # every output element as one index tuple: the indices on `axis`, the position elsewhere
    grid = list(np.indices(idx.shape))
    grid[a] = idx
    return ops.gather_nd(x, np.stack(grid, axis=-1))


@mapping("GatherND", attrs={"batch_dims": 0}, host=(1,))
def gather_nd(n, x, indices):
    b = n["batch_dims"]
    idx = np.asarray(indices).astype(np.int64)
    k = idx.shape[-1]
    dims = np.array(x.shape[b:b + k])
    idx = np.where(idx < 0, idx + dims, idx)
    if b:  # prefix each index tuple with its batch position
        batch = np.indices(idx.shape[:b])
        batch = np.broadcast_to(np.stack(list(batch), -1)[..., None, :] if idx.ndim > b + 1
                                else np.stack(list(batch), -1), idx.shape[:-1] + (b,))
        idx = np.concatenate([batch, idx], axis=-1)
    return ops.gather_nd(x, idx)


@mapping("OneHot", attrs={"axis": -1}, host=(0, 1, 2))
def one_hot(n, indices, depth, values):
    # indices on the host: negative ones count from the end (ONNX), unlike gf.one_hot
    depth = int(np.asarray(depth).reshape(-1)[0])
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + depth, idx)
    off, on = np.asarray(values).reshape(-1)[:2]
    elem = n.output_types[0]
    dtype = types.glflow_dtype(elem) if elem else "float32"
    y = ops.one_hot(idx.astype(np.int32), depth, on_value=on.item(), off_value=off.item(),
                    dtype=dtype)
    rank = idx.ndim + 1
    a = axis_of(n["axis"], rank)
    if a != rank - 1:
        perm = list(builtins.range(rank - 1))
        perm.insert(a, rank - 1)
        y = ops.transpose(y, perm)
    return y


def _scatter_check(n):
    if n.attrs.get("reduction", "none") not in ("none", "add"):
        n.refuse(f"attribute 'reduction' = {n['reduction']!r}")


def _scatter(n, data, idx, updates):
    """data with updates written (reduction 'none') or added ('add') at the index tuples."""
    added = ops.scatter_nd(idx, ops.cast(updates, "float32"), list(data.shape))
    base = ops.cast(data, "float32")
    if n.attrs.get("reduction", "none") == "none":
        hit = ops.scatter_nd(idx, ops.ones(list(updates.shape)), list(data.shape))
        base = ops.where(ops.greater(hit, 0.0), 0.0, base)
    y = ops.add(base, added)
    return ops.cast(y, data.dtype) if data.dtype != "float32" else y


@mapping("ScatterND", attrs={"reduction": "none"}, host=(1,), check=_scatter_check)
def scatter_nd(n, data, indices, updates):
    idx = np.asarray(indices).astype(np.int64)
    k = idx.shape[-1]
    idx = np.where(idx < 0, idx + np.array(data.shape[:k]), idx)
    return _scatter(n, data, idx, updates)


@mapping("ScatterElements", "Scatter", attrs={"axis": 0, "reduction": "none"}, host=(1,),
         check=_scatter_check)
def scatter_elements(n, data, indices, updates):
    a = axis_of(n["axis"], data.rank)
    idx = np.asarray(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + data.shape[a], idx)
    grid = list(np.indices(idx.shape))
    grid[a] = idx
    return _scatter(n, data, np.stack(grid, axis=-1), updates)


@mapping("Compress", attrs={"axis": None}, host=(1,))
def compress(n, x, condition):
    # the output's size depends on the condition's values, so they are needed on the host
    keep = np.nonzero(np.asarray(condition).reshape(-1))[0]
    if n["axis"] is None:
        return ops.gather(ops.reshape(x, [-1]), keep[keep < x.size])
    a = axis_of(n["axis"], x.rank)
    return ops.gather(x, keep[keep < x.shape[a]], axis=a)


@mapping("NonZero", host=(0,))
def non_zero(n, x):
    # the output's size is the number of nonzero values: it needs them on the host
    return ops.tensor(np.stack(np.nonzero(np.asarray(x))).astype(np.int32).reshape(x.ndim, -1))


@mapping("ReverseSequence", attrs={"batch_axis": 1, "time_axis": 0}, host=(1,))
def reverse_sequence(n, x, lengths):
    t, b = n["time_axis"], n["batch_axis"]
    idx = np.indices(x.shape)
    steps = idx[t]
    length = np.asarray(lengths).reshape(-1)[idx[b]]
    idx[t] = np.where(steps < length, length - 1 - steps, steps)
    return ops.gather_nd(x, np.moveaxis(idx, 0, -1))


@mapping("TensorScatter", attrs={"axis": -2, "mode": "linear"}, host=(2,))
def tensor_scatter(n, cache, update, write=None):
    """A KV-cache write: update's positions along `axis` go to the cache from each batch
    entry's write index on (modulo the cache length in circular mode). The positions are
    index tuples made on the host from the write indices."""
    a = axis_of(n["axis"], cache.rank)
    length = cache.shape[a]
    starts = np.zeros(cache.shape[0], np.int64) if write is None else \
        np.asarray(write).astype(np.int64).reshape(-1)
    grid = list(np.indices(update.shape))
    grid[a] = grid[a] + starts[grid[0]]
    if n["mode"] == "circular":
        grid[a] %= length
    return _scatter(n, cache, np.stack(grid, axis=-1), update)
