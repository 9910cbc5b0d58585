"""`gf.nn`: TensorFlow's tf.nn functions with TensorFlow's signatures, on glflow ops.

TensorFlow's conventions: NHWC images (NCHW with data_format), strides and windows given as
an int, [s, s] or [1, s, s, 1] (batch and channel entries 1), padding 'SAME' or 'VALID' (or
explicit pairs), filters [KH, KW, Cin, Cout]. Every function works eagerly, inside gf.function
and, being dispatchable, records one operation while a TF1 graph is built.

Not TensorFlow's: integer results are int32 (glflow has no int64; max_pool_with_argmax's
indices and the labels of sparse_softmax_cross_entropy_with_logits), and the argmax indices
must fit the backend's exact integers (GL: 2^24, about 16.7M positions).
"""
import numbers

import numpy as np

from . import errors, ops
from .ops import _core
from .ops._host import host_call
from .runtime import dtypes, state
from .runtime.dispatch import dispatchable

__all__ = ["relu", "relu6", "elu", "selu", "leaky_relu", "sigmoid", "tanh", "softplus",
           "softsign", "swish", "silu", "softmax", "log_softmax", "conv2d", "max_pool",
           "avg_pool", "max_pool_with_argmax", "l2_loss", "bias_add", "dropout",
           "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
           "sparse_softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
           "moments", "embedding_lookup", "l2_normalize"]


# --------------------------------------------------------------------------- activations

@dispatchable
def relu(features, name=None):
    return ops.relu(features)


@dispatchable
def relu6(features, name=None):
    return ops.relu6(features)


@dispatchable
def elu(features, name=None):
    return ops.elu(features)


@dispatchable
def selu(features, name=None):
    return ops.selu(features)


@dispatchable
def leaky_relu(features, alpha=0.2, name=None):
    return ops.leaky_relu(features, alpha)


@dispatchable
def sigmoid(x, name=None):
    return ops.sigmoid(x)


@dispatchable
def tanh(x, name=None):
    return ops.tanh(x)


@dispatchable
def softplus(features, name=None):
    return ops.softplus(features)


@dispatchable
def softsign(features, name=None):
    return ops.softsign(features)


@dispatchable
def swish(features, beta=1.0, name=None):
    if beta != 1.0:
        return ops.mul(features, ops.sigmoid(ops.mul(features, float(beta))))
    return ops.swish(features)


silu = swish


def _softmax_axis(axis, dim):
    if dim is not None:
        if axis is not None:
            raise ValueError("softmax: give axis or dim (its older name), not both")
        axis = dim
    return -1 if axis is None else axis


@dispatchable
def softmax(logits, axis=None, name=None, dim=None):
    return ops.softmax(logits, _softmax_axis(axis, dim))


@dispatchable
def log_softmax(logits, axis=None, name=None, dim=None):
    return ops.log_softmax(logits, _softmax_axis(axis, dim))


# --------------------------------------------------------------------------- windows

def _spatial(op, name, value, data_format, default=None):
    """TF's int / [s, s] / [1, s, s, 1] (or NCHW's [1, 1, s, s]) as two ints."""
    if value is None:
        if default is None:
            raise ValueError(f"{op}: {name} must be given")
        value = default
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * 2
    try:
        values = [int(v) for v in value]
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be an int or a list of ints, got {value!r}") from None
    if len(values) == 1:
        return (values[0],) * 2
    if len(values) == 2:
        return tuple(values)
    if len(values) == 4:
        outer = (values[0], values[3]) if data_format == "NHWC" else (values[0], values[1])
        if outer != (1, 1):
            raise ValueError(f"{op}: {name} {values} must be 1 on the batch and channel axes "
                             f"({data_format})")
        return tuple(values[1:3]) if data_format == "NHWC" else tuple(values[2:])
    raise ValueError(f"{op}: {name} must have 1, 2 or 4 entries, got {values}")


def _padding(op, padding):
    if padding is None:
        raise ValueError(f"{op}: padding must be given ('SAME' or 'VALID')")
    return padding


def _format(op, data_format):
    if data_format is None:
        return "NHWC"
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{op}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    return data_format


@dispatchable
def conv2d(input, filters=None, strides=None, padding=None, use_cudnn_on_gpu=True,  # noqa: A002
           data_format="NHWC", dilations=None, name=None, filter=None):  # noqa: A002
    """2-D cross-correlation: input [N, H, W, Cin], filters [KH, KW, Cin, Cout] (TF1's
    `filter` keyword too), strides [1, s, s, 1], padding 'SAME'/'VALID', dilations."""
    op = "conv2d"
    if filter is not None:
        if filters is not None:
            raise ValueError("conv2d: give filters or filter (its TF1 name), not both")
        filters = filter
    if filters is None:
        raise ValueError("conv2d: filters must be given")
    data_format = _format(op, data_format)
    return ops.conv2d(input, filters, strides=_spatial(op, "strides", strides, data_format),
                      padding=_padding(op, padding), data_format=data_format,
                      dilations=_spatial(op, "dilations", dilations, data_format, 1))


def _pool_args(op, value, input, ksize, strides, data_format):
    if input is not None:
        if value is not None:
            raise ValueError(f"{op}: give value or input (its newer name), not both")
        value = input
    if value is None:
        raise ValueError(f"{op}: input must be given")
    data_format = _format(op, data_format)
    window = _spatial(op, "ksize", ksize, data_format)
    return value, window, _spatial(op, "strides", strides, data_format), data_format


@dispatchable
def max_pool(value=None, ksize=None, strides=None, padding=None, data_format="NHWC",
             name=None, input=None):  # noqa: A002 - TensorFlow's names
    """The max of each ksize window (TF1's `value`, TF2's `input`)."""
    x, window, strides, data_format = _pool_args("max_pool", value, input, ksize, strides,
                                                 data_format)
    return ops.max_pool(x, window, strides, _padding("max_pool", padding), data_format)


@dispatchable
def avg_pool(value=None, ksize=None, strides=None, padding=None, data_format="NHWC",
             name=None, input=None):  # noqa: A002 - TensorFlow's names
    """The mean of each ksize window over its unpadded elements."""
    x, window, strides, data_format = _pool_args("avg_pool", value, input, ksize, strides,
                                                 data_format)
    return ops.avg_pool(x, window, strides, _padding("avg_pool", padding), data_format)


@dispatchable
def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
                         output_dtype="int64", include_batch_in_index=False, name=None,
                         Targmax=None):
    """(max_pool output, argmax): each window's max and where it was, flattened as
    TensorFlow does: ((b * H + y) * W + x) * C + c with include_batch_in_index, else
    (y * W + x) * C + c. The first maximum in the window (row by row) wins."""
    op = "max_pool_with_argmax"
    if data_format != "NHWC":
        raise ValueError(f"{op}: data_format must be 'NHWC' (as in TensorFlow), got "
                         f"{data_format!r}")
    index_type = Targmax if Targmax is not None else output_dtype
    if dtypes.normalize(index_type, op) != dtypes.INT32:
        raise TypeError(f"{op}: output_dtype must be an integer type, got {index_type!r}")
    (x,) = _core.tensors(op, input)
    window = _spatial(op, "ksize", ksize, "NHWC")
    steps = _spatial(op, "strides", strides, "NHWC")
    out = ops.max_pool(x, window, steps, _padding(op, padding), "NHWC")
    n, h, w, c = x._shape
    _, oh, ow, _ = out._shape
    top = _leading_pad(op, h, oh, window[0], steps[0], padding)
    left = _leading_pad(op, w, ow, window[1], steps[1], padding)
    largest = (n if include_batch_in_index else 1) * h * w * c
    limit = state.backend().limit("exact_int")
    if limit is not None and largest > limit + 1:
        raise ValueError(f"{op}: an input of shape {x.shape} has {largest} positions to index, "
                         f"more than the {limit} the {state.current_name} backend stores "
                         "exactly as int32")
    padded = ops.pad(x, [[0, 0], [top, top + window[0]], [left, left + window[1]], [0, 0]],
                     constant_values=-np.inf)
    offset = None
    for i in reversed(range(window[0])):
        for j in reversed(range(window[1])):
            seen = padded[:, i:i + (oh - 1) * steps[0] + 1:steps[0],
                          j:j + (ow - 1) * steps[1] + 1:steps[1], :]
            here = (i * w + j) * c
            offset = ops.fill(out._shape, here, dtypes.INT32) if offset is None else \
                ops.where(ops.equal(seen, out), here, offset)
    argmax = ops.add(offset, _window_starts(n, h, w, c, oh, ow, steps, top, left,
                                            include_batch_in_index))
    return out, argmax


def _leading_pad(op, size, out, window, stride, padding):
    if isinstance(padding, str) and padding.upper() == "SAME":
        return max((out - 1) * stride + window - size, 0) // 2
    if isinstance(padding, str) and padding.upper() == "VALID":
        return 0
    raise ValueError(f"{op}: padding must be 'SAME' or 'VALID', got {padding!r}")


def _window_starts(n, h, w, c, oh, ow, steps, top, left, with_batch):
    """The flat index of each window's first position, per output element and channel."""
    y = np.arange(oh) * steps[0] - top
    x = np.arange(ow) * steps[1] - left
    starts = ((y[:, None, None] * w + x[None, :, None]) * c + np.arange(c)[None, None, :])
    starts = np.broadcast_to(starts, (n, oh, ow, c))
    if with_batch:
        starts = starts + (np.arange(n) * h * w * c)[:, None, None, None]
    return ops.tensor(np.ascontiguousarray(starts, np.int32), dtype=dtypes.INT32)


# --------------------------------------------------------------------------- losses and friends

@dispatchable
def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    return ops.mul(ops.sum(ops.square(t)), 0.5)


@dispatchable
def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis (the last; axis 1 with data_format 'NCHW')."""
    op = "bias_add"
    value, bias = _core.tensors(op, value, bias)
    if bias.rank != 1:
        raise ValueError(f"{op}: bias must have rank 1, got shape {bias.shape}")
    if value.rank < 2:
        raise ValueError(f"{op}: value must have rank >= 2, got shape {value.shape}")
    channels_first = data_format is not None and data_format.startswith("NC")
    axis = 1 if channels_first else value.rank - 1
    if value._shape[axis] != bias._shape[0]:
        raise ValueError(f"{op}: bias of shape {bias.shape} must match axis {axis} of value "
                         f"shape {value.shape}")
    if channels_first:
        bias = ops.reshape(bias, [bias._shape[0]] + [1] * (value.rank - 2))
    return ops.add(value, bias)


@dispatchable
def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Zero each element with probability rate (= 1 - keep_prob) and scale the rest by
    1 / (1 - rate). TF1's form: the second argument is keep_prob; TF2's: rate=. Either may
    be a number or a float32 tensor (a placeholder fed 1.0 at evaluation)."""
    op = "dropout"
    if (keep_prob is None) == (rate is None):
        raise ValueError(f"{op}: give exactly one of keep_prob and rate")
    (x,) = _core.tensors(op, x)
    if x._dtype != dtypes.FLOAT32:
        raise TypeError(f"{op}: x must be float32, got {x.dtype}")
    if rate is None:
        if isinstance(keep_prob, numbers.Real) and not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"{op}: keep_prob must be in (0, 1], got {keep_prob!r}")
        if isinstance(keep_prob, numbers.Real):
            rate = 1.0 - float(keep_prob)
        else:
            rate = ops.sub(1.0, keep_prob)
    elif isinstance(rate, numbers.Real) and not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate!r}")
    shape = x._shape if noise_shape is None else _core.check_shape(noise_shape, op)
    if _core.broadcast_shapes(op, x._shape, shape, names=("x", "noise_shape")) != x._shape:
        raise ValueError(f"{op}: noise_shape {list(shape)} does not broadcast to x's shape "
                         f"{x.shape}")
    if isinstance(rate, numbers.Real):
        if rate == 0.0:
            return x
        kept = ops.greater_equal(ops.random_uniform(shape, seed=seed), float(rate))
        return ops.mul(x, ops.mul(ops.cast(kept, dtypes.FLOAT32), 1.0 / (1.0 - float(rate))))
    kept = ops.cast(ops.greater_equal(ops.random_uniform(shape, seed=seed), rate),
                    dtypes.FLOAT32)
    return ops.mul(ops.div(x, ops.sub(1.0, rate)), kept)


def _labels_logits(op, labels, logits):
    if labels is None or logits is None:
        raise ValueError(f"{op}: labels and logits must be given (as keywords)")
    return _core.tensors(op, labels, logits)


@dispatchable
def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None, axis=None):
    """-sum(labels * log_softmax(logits)) over the class axis; labels are probabilities."""
    op = "softmax_cross_entropy_with_logits"
    if _sentinel is not None:
        raise ValueError(f"{op}: pass labels= and logits= as keywords")
    labels, logits = _labels_logits(op, labels, logits)
    if labels._shape != logits._shape:
        raise ValueError(f"{op}: labels {labels.shape} and logits {logits.shape} must have the "
                         "same shape")
    axis = dim if axis is None else axis
    return ops.neg(ops.sum(ops.mul(ops.cast(labels, dtypes.FLOAT32),
                                   ops.log_softmax(logits, axis)), axis=axis))


@dispatchable
def softmax_cross_entropy_with_logits_v2(labels, logits, axis=-1, name=None, dim=None):
    return softmax_cross_entropy_with_logits.raw(labels=labels, logits=logits,
                                                 axis=axis if dim is None else dim)


@dispatchable
def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    """-log_softmax(logits)[label] per example: labels int [d...], logits [d..., classes]. A
    label outside [0, classes) raises InvalidArgumentError when the values are known (at once
    eagerly, when the graph runs in a compiled function or TF1 session)."""
    op = "sparse_softmax_cross_entropy_with_logits"
    if _sentinel is not None:
        raise ValueError(f"{op}: pass labels= and logits= as keywords")
    labels, logits = _labels_logits(op, labels, logits)
    if labels._dtype != dtypes.INT32:
        raise TypeError(f"{op}: labels must be integers, got {labels.dtype}")
    if logits.rank < 1 or labels._shape != logits._shape[:-1]:
        raise ValueError(f"{op}: labels of shape {labels.shape} must be logits' shape "
                         f"{logits.shape} without its last (class) axis")
    classes = logits._shape[-1]

    def check(values):
        bad = (values < 0) | (values >= classes)
        if bad.any():
            raise errors.InvalidArgumentError(
                None, None, f"{op}: Received a label value of {int(values[bad][0])} which is "
                f"outside the valid range of [0, {classes}).")
        return values
    checked = host_call(op, check, [labels], [(labels._shape, dtypes.INT32)])[0]
    picked = ops.mul(ops.one_hot(checked, classes, 1.0, 0.0, dtypes.FLOAT32),
                     ops.log_softmax(logits))
    return ops.neg(ops.sum(picked, axis=-1))


@dispatchable
def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)) for logits x and labels z (TF's stable form)."""
    op = "sigmoid_cross_entropy_with_logits"
    if _sentinel is not None:
        raise ValueError(f"{op}: pass labels= and logits= as keywords")
    labels, logits = _labels_logits(op, labels, logits)
    if labels._shape != logits._shape:
        raise ValueError(f"{op}: labels {labels.shape} and logits {logits.shape} must have the "
                         "same shape")
    z = ops.cast(labels, dtypes.FLOAT32)
    return ops.add(ops.sub(ops.relu(logits), ops.mul(logits, z)),
                   ops.log1p(ops.exp(ops.neg(ops.abs(logits)))))


@dispatchable
def moments(x, axes, shift=None, keepdims=False, name=None, keep_dims=None):
    """(mean, variance) over axes."""
    keepdims = keepdims if keep_dims is None else keep_dims
    return ops.moments(x, axes, keepdims=keepdims)


@dispatchable
def embedding_lookup(params, ids, partition_strategy="mod", name=None, max_norm=None):
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup: max_norm is not supported")
    return ops.embedding_lookup(params, ids)


@dispatchable
def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon))."""
    axis = dim if axis is None else axis
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.mul(x, ops.rsqrt(ops.maximum(square_sum, float(epsilon))))
