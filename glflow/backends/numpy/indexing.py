"""numpy twins of the GL index kernels: gather, scatter_add, one_hot
(glflow/backends/gl/indexing.py, shaders/indexing/)."""
import numpy as np


def gather(x, indices, batch, pre, axis_len, count, inner):
    """out[b, p, j, i] = x[b, p, indices[b, j], i] (indices already range-checked)."""
    x4 = np.asarray(x).reshape(batch, pre, axis_len, inner)
    idx = np.asarray(indices).reshape(batch, count).astype(np.int64)
    return x4[np.arange(batch)[:, None, None], np.arange(pre)[None, :, None], idx[:, None, :]]


def scatter_add(updates, order, offsets, batch, pre, axis_len, count, inner):
    """out[b, p, a, i] = sum of updates[b, p, j, i] over j with indices[b, j] == a, the indices
    given as the sorted `order` / `offsets` (CSR) that the GL shader walks."""
    u = np.asarray(updates).reshape(batch, pre, count, inner)
    keys = np.repeat(np.arange(batch * axis_len), np.diff(np.asarray(offsets, np.int64)))
    target = np.empty(batch * count, np.int64)
    target[np.asarray(order, np.int64)] = keys
    a = (target % max(axis_len, 1)).reshape(batch, count)
    out = np.zeros((batch, pre, axis_len, inner), u.dtype)
    np.add.at(out, (np.arange(batch)[:, None, None], np.arange(pre)[None, :, None],
                    a[:, None, :]), u)
    return out


def one_hot(indices, depth, on_value, off_value):
    """indices.shape + [depth]; an index outside [0, depth) gives a row of off_value."""
    idx = np.asarray(indices).reshape(-1, 1)
    hot = idx == np.arange(depth)[None, :]
    return np.where(hot, on_value, off_value).reshape(np.shape(indices) + (depth,))


KERNELS = {"gather": gather, "scatter_add": scatter_add, "one_hot": one_hot}
