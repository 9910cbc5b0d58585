"""More seeded random ops: bernoulli, multinomial, shuffle. As random.py, numbers come from
numpy's PCG64 on the host (the same generator and seeding), so a seed gives the same numbers
on every backend."""

__all__ = ["bernoulli", "multinomial", "shuffle"]
import numbers

import numpy as np

from .. import dtypes
from . import _core
from .random import _rng


def bernoulli(shape, p=0.5, seed=None, dtype="float32"):
    """1 with probability p, else 0, in `dtype` (float32, int32 or bool)."""
    op = "bernoulli"
    shape = _core.check_shape(shape, op)
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    dtype = dtypes.normalize(dtype, op)
    return _core.from_numpy(_rng(seed).random(size=shape) < p, op, dtype)


def multinomial(logits, num_samples, seed=None, normalized=False):
    """int32 [batch, num_samples]: class indices drawn from each row of logits [batch,
    classes] (normalized=True: the rows are probabilities, as tfjs). Reads logits back (one
    sync) and draws on the host by inverse CDF."""
    op = "multinomial"
    (logits,) = _core.tensors(op, logits)
    if logits.rank != 2:
        raise ValueError(f"{op}: logits must have rank 2 [batch, classes], got shape "
                         f"{logits.shape}")
    if not isinstance(num_samples, numbers.Integral) or num_samples < 0:
        raise ValueError(f"{op}: num_samples must be an int >= 0, got {num_samples!r}")
    batch, classes = logits._shape
    if classes == 0:
        raise ValueError(f"{op}: logits have no classes: shape {logits.shape}")
    values = logits.numpy().astype(np.float64)
    if normalized:
        if (values < 0).any() or not np.isfinite(values).all():
            raise ValueError(f"{op}: normalized probabilities must be finite and >= 0")
        weights = values
    else:
        weights = np.exp(values - values.max(axis=1, keepdims=True))
    cdf = np.cumsum(weights, axis=1)
    if (cdf[:, -1] <= 0).any():
        raise ValueError(f"{op}: a row of probabilities sums to 0")
    u = _rng(seed).random(size=(batch, num_samples)) * cdf[:, -1:]
    picks = np.stack([np.searchsorted(cdf[b], u[b], side="right") for b in range(batch)])
    picks = np.minimum(picks.reshape(batch, num_samples), classes - 1)
    return _core.from_numpy(picks.astype(np.int32), op)


def shuffle(x, seed=None):
    """x with its slices along axis 0 in a random order (differentiable: a gather)."""
    from .indexing import gather
    op = "shuffle"
    (x,) = _core.tensors(op, x)
    if x.rank == 0:
        raise ValueError(f"{op}: x must have rank >= 1, got a scalar")
    return gather(x, _rng(seed).permutation(x._shape[0]).astype(np.int32), axis=0)
