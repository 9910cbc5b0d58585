"""numpy twins of the pooling kernels (shaders/max_pool.frag, avg_pool.frag,
max_pool_argmax.frag, max_pool_grad.frag, avg_pool_grad.frag, max_pool_gather.frag): NHWC,
windows clipped to the input (padding never takes part), one loop over window offsets,
vectorised over the rest.
Every kernel gets the pooled input's `in_shape` and the pooled `out_hw`."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype


def _offsets(in_shape, out_hw, window, strides, pads):
    """Per window offset (i, j): input rows [OH], cols [OW] (clipped) and which are inside."""
    for i in range(window[0]):
        rows = np.arange(out_hw[0]) * strides[0] - pads[0] + i
        row_ok = (rows >= 0) & (rows < in_shape[1])
        for j in range(window[1]):
            cols = np.arange(out_hw[1]) * strides[1] - pads[1] + j
            col_ok = (cols >= 0) & (cols < in_shape[2])
            inside = (row_ok[:, None] & col_ok[None, :])[None, :, :, None]
            yield np.clip(rows, 0, in_shape[1] - 1), np.clip(cols, 0, in_shape[2] - 1), inside


def _float(a, shape):
    return np.asarray(a, numpy_dtype(FLOAT32)).reshape(shape)


def _pooled_shape(in_shape, out_hw):
    return (in_shape[0],) + tuple(out_hw) + (in_shape[3],)


def _counts(in_shape, out_hw, window, strides, pads):
    return sum(inside.astype(np.int64) for _, _, inside in
               _offsets(in_shape, out_hw, window, strides, pads))


def max_pool(x, in_shape, out_hw, window, strides, pads):
    x = _float(x, in_shape)
    best = np.full(_pooled_shape(in_shape, out_hw), -np.inf, x.dtype)
    for rows, cols, inside in _offsets(in_shape, out_hw, window, strides, pads):
        values = x[:, rows[:, None], cols[None, :], :]
        best = np.where(inside, np.maximum(best, values), best)
    return best


def max_pool_argmax(x, in_shape, out_hw, window, strides, pads):
    """Position in its window (dh * KW + dw from the unclipped corner) of each window's first
    maximum."""
    x = _float(x, in_shape)
    best = np.full(_pooled_shape(in_shape, out_hw), -np.inf, x.dtype)
    where = np.zeros(best.shape, np.int64)
    for at, (rows, cols, inside) in enumerate(_offsets(in_shape, out_hw, window, strides,
                                                       pads)):
        values = x[:, rows[:, None], cols[None, :], :]
        better = inside & (values > best)  # strict: the first maximum wins ties
        where = np.where(better, at, where)
        best = np.where(better, values, best)
    return where.astype(np.int32)


def _at_max(argmax, in_shape, out_hw, window, strides, pads):
    """(image, row, column, channel) index arrays of x at each window's argmax."""
    n, _, _, c = argmax.shape
    oh, ow = out_hw
    rows = (np.arange(oh) * strides[0] - pads[0])[None, :, None, None] + argmax // window[1]
    cols = (np.arange(ow) * strides[1] - pads[1])[None, None, :, None] + argmax % window[1]
    images = np.broadcast_to(np.arange(n)[:, None, None, None], argmax.shape)
    channels = np.broadcast_to(np.arange(c), argmax.shape)
    return images, rows, cols, channels


def avg_pool(x, in_shape, out_hw, window, strides, pads):
    x = _float(x, in_shape)
    total = np.zeros(_pooled_shape(in_shape, out_hw), x.dtype)
    for rows, cols, inside in _offsets(in_shape, out_hw, window, strides, pads):
        total = total + np.where(inside, x[:, rows[:, None], cols[None, :], :], x.dtype.type(0))
    return total / _counts(in_shape, out_hw, window, strides, pads).astype(x.dtype)


def avg_pool_grad(dy, in_shape, out_hw, window, strides, pads):
    dy = _float(dy, _pooled_shape(in_shape, out_hw))
    share = dy / _counts(in_shape, out_hw, window, strides, pads).astype(dy.dtype)
    dx = np.zeros(in_shape, dy.dtype)
    for rows, cols, inside in _offsets(in_shape, out_hw, window, strides, pads):
        np.add.at(dx, (slice(None), rows[:, None], cols[None, :]),
                  np.where(inside, share, dy.dtype.type(0)))
    return dx


def max_pool_grad(argmax, dy, in_shape, out_hw, window, strides, pads):
    dy = _float(dy, _pooled_shape(in_shape, out_hw))
    argmax = np.asarray(argmax, np.int64).reshape(dy.shape)
    dx = np.zeros(in_shape, dy.dtype)
    np.add.at(dx, _at_max(argmax, in_shape, out_hw, window, strides, pads), dy)
    return dx


def max_pool_gather(argmax, d, in_shape, out_hw, window, strides, pads):
    """d at each window's argmax: the adjoint of max_pool_grad."""
    d = _float(d, in_shape)
    argmax = np.asarray(argmax, np.int64).reshape(_pooled_shape(in_shape, out_hw))
    return d[_at_max(argmax, in_shape, out_hw, window, strides, pads)]


KERNELS = {"max_pool": max_pool, "max_pool_argmax": max_pool_argmax, "avg_pool": avg_pool,
           "avg_pool_grad": avg_pool_grad, "max_pool_grad": max_pool_grad,
           "max_pool_gather": max_pool_gather}
