"""Preprocessing layers that live inside a model: Rescaling (x * scale + offset) and
Normalization (standardise each feature by a mean and variance, given or learned from data
with `adapt`)."""
import numbers

import numpy as np

from .. import ops
from ..tensor import Tensor
from .base import Layer

# the floor of the standard deviation, so a constant feature maps to 0 instead of nan
# (Keras's backend epsilon)
EPSILON = 1e-7


def _numbers(layer, arg, value):
    """A number, or a list/array of numbers (broadcast against the inputs' trailing axes)."""
    try:
        array = None if isinstance(value, bool) else np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or not np.all(np.isfinite(array)):
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: {arg} must be a finite number "
                         f"or a list of them, got {value!r}")
    return float(array) if array.ndim == 0 else array.tolist()


class Rescaling(Layer):
    """inputs * scale + offset, e.g. Rescaling(1 / 255) for pixel values, or
    Rescaling(1 / 127.5, offset=-1) to map [0, 255] onto [-1, 1]."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _numbers(self, "scale", scale)
        self.offset = _numbers(self, "offset", offset)

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        return ops.add(ops.mul(x, _constant(self.scale)), _constant(self.offset))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale, offset=self.offset)
        return config


def _constant(value):
    return value if isinstance(value, float) else ops.tensor(np.asarray(value, np.float32))


class Normalization(Layer):
    """(x - mean) / max(sqrt(variance), 1e-7) with one mean and variance per index of `axis`
    (default the last: one per feature; a tuple keeps several axes; None: one for all).
    Give mean and variance, or call `adapt(data)` before training: it computes them over
    every other axis of the data (float64, streamed batch by batch for an iterable of
    batches) and stores them in the layer's non-trainable weights, so a saved model keeps
    them. invert=True maps standardised values back."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            self.axis = None
        else:
            axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
            if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool)
                       for a in axes):
                raise ValueError(f"Normalization {self.name!r}: axis must be an int, a tuple "
                                 f"of ints or None, got {axis!r}")
            self.axis = tuple(int(a) for a in axes)
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization {self.name!r}: give both mean and variance, or "
                             "neither (and call adapt)")
        self.init_mean = None if mean is None else _numbers(self, "mean", mean)
        self.init_variance = None if variance is None else _numbers(self, "variance", variance)
        if self.init_variance is not None and np.min(self.init_variance) < 0:
            raise ValueError(f"Normalization {self.name!r}: variance must be >= 0, got "
                             f"{variance!r}")
        self.invert = bool(invert)
        self._keep = None

    def _kept_axes(self, input_shape):
        rank = len(input_shape)
        if self.axis is None:
            return ()
        kept = []
        for a in self.axis:
            if not -rank <= a < rank or a % rank == 0:
                raise ValueError(f"Normalization {self.name!r}: axis {a} is not a feature axis "
                                 f"of inputs of shape {list(input_shape)} (the batch axis is "
                                 "0)")
            kept.append(a % rank)
        return tuple(sorted(set(kept)))

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self._keep = self._kept_axes(input_shape)
        self._rank = len(input_shape)
        shape = tuple(input_shape[a] for a in self._keep)
        if any(d is None for d in shape):
            raise ValueError(f"Normalization {self.name!r}: the kept axes {list(self._keep)} of "
                             f"the inputs must have known sizes, got {list(input_shape)}")
        mean, variance = 0.0, 1.0
        if self.init_mean is not None:
            try:
                mean = np.broadcast_to(np.asarray(self.init_mean, np.float32), shape)
                variance = np.broadcast_to(np.asarray(self.init_variance, np.float32), shape)
            except ValueError:
                raise ValueError(f"Normalization {self.name!r}: mean/variance of shape "
                                 f"{list(np.shape(self.init_mean))} do not broadcast to the "
                                 f"kept axes' shape {list(shape)}") from None
        self.mean = self.add_weight("mean", shape, _filled(mean), trainable=False)
        self.variance = self.add_weight("variance", shape, _filled(variance), trainable=False)

    def adapt(self, data, steps=None):
        """Set mean and variance from `data`: an array or tensor [samples, ...], or an
        iterable of such batches (a gf.data.Dataset of features), of which at most `steps`
        are read."""
        where = f"Normalization {self.name!r}.adapt"
        batches = _batches(data, steps, where)
        count, mean, m2 = 0, None, None
        for batch in batches:
            if not self.built:
                self._maybe_build((None,) + batch.shape[1:])
            self._check_batch(batch, where)
            reduce = tuple(a for a in range(batch.ndim) if a not in self._keep)
            n = int(np.prod([batch.shape[a] for a in reduce]))
            if n == 0:
                continue
            b_mean = batch.mean(axis=reduce)
            b_m2 = ((batch - batch.mean(axis=reduce, keepdims=True)) ** 2).sum(axis=reduce)
            if mean is None:
                count, mean, m2 = n, b_mean, b_m2
                continue
            # Chan et al.'s pairwise update: merges batch moments without cancellation
            delta = b_mean - mean
            total = count + n
            mean = mean + delta * (n / total)
            m2 = m2 + b_m2 + delta ** 2 * (count * n / total)
            count = total
        if mean is None:
            raise ValueError(f"{where}: the data holds no samples")
        self.mean.assign(np.asarray(mean, np.float32).reshape(self.mean.shape))
        self.variance.assign(np.asarray(m2 / count, np.float32).reshape(self.variance.shape))

    def _check_batch(self, batch, where):
        if batch.ndim != self._rank:
            raise ValueError(f"{where}: the layer takes inputs of rank {self._rank}, got data "
                             f"of shape {list(batch.shape)}")
        want = tuple(self.mean.shape)
        got = tuple(batch.shape[a] for a in self._keep)
        if got != want:
            raise ValueError(f"{where}: the kept axes {list(self._keep)} have sizes "
                             f"{list(want)}, got data of shape {list(batch.shape)}")

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        if x.rank != self._rank:
            raise ValueError(f"Normalization {self.name!r}: built for inputs of rank "
                             f"{self._rank}, got shape {x.shape}")
        shape = [x.shape[a] if a in self._keep else 1 for a in range(x.rank)]
        mean = ops.reshape(self.mean, shape)
        std = ops.maximum(ops.sqrt(ops.reshape(self.variance, shape)), EPSILON)
        if self.invert:
            return ops.add(mean, ops.mul(x, std))
        return ops.div(ops.sub(x, mean), std)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=None if self.axis is None else list(self.axis),
                      mean=self.init_mean, variance=self.init_variance, invert=self.invert)
        return config


def _filled(value):
    array = np.asarray(value, np.float32)

    def initializer(shape):
        return ops.tensor(np.broadcast_to(array, shape).copy())
    return initializer


def _batches(data, steps, where):
    """The data as a list of float64 numpy batches."""
    if isinstance(data, (Tensor, np.ndarray, list)):
        chunks = [data]
    elif hasattr(data, "__iter__"):
        chunks = data
    else:
        raise TypeError(f"{where}: data must be an array, a tensor or an iterable of batches, "
                        f"got {type(data).__name__}")
    out = []
    for i, chunk in enumerate(chunks):
        if steps is not None and i >= steps:
            break
        if isinstance(chunk, (tuple, dict)):
            raise ValueError(f"{where}: the data yields {type(chunk).__name__}s; pass the "
                             "features alone (dataset.map(lambda x, y: x))")
        array = chunk.numpy() if isinstance(chunk, Tensor) else np.asarray(chunk)
        if array.dtype.kind not in "fiub" or array.ndim == 0:
            raise ValueError(f"{where}: expected numeric batches [samples, ...], got "
                             f"{array.dtype} of shape {list(array.shape)}")
        out.append(array.astype(np.float64))
    return out
