"""Seeded random tensors: random_uniform, random_normal, truncated_normal, bernoulli,
multinomial, shuffle and dropout. Numbers are drawn by numpy's PCG64 on the host and uploaded,
so the same seed gives the same numbers on every backend (and on every GPU).

`seed` is None (glflow's global generator, see set_seed), an int (a fresh generator with that
seed: the same numbers every call) or a callable returning an int, asked once per draw (a
layer drawing seeds from its own stream). Inside gf.function each draw is a HOST node
(glflow/ops/_host.py): the compiled function draws new numbers on every call, exactly as the
same eager calls would, instead of repeating the numbers drawn while tracing.
"""
import numbers

import numpy as np

from ..runtime import dtypes
from . import _core
from ._host import host_call, tracing
from .arithmetic import mul
from .indexing import gather, gather_checked
from .logic import greater_equal
from .shape import cast

__all__ = ["set_seed", "random_uniform", "random_normal", "truncated_normal", "bernoulli",
           "multinomial", "shuffle", "dropout"]

_global = np.random.default_rng()


def set_seed(seed):
    """Seed the generator used when an op is given no seed."""
    global _global
    _global = np.random.default_rng(seed)


def _rng(seed):
    if callable(seed):
        seed = seed()
    return _global if seed is None else np.random.default_rng(seed)


def _drawn(op, shape, dtype, draw):
    """draw() -> values of `shape` as a tensor: now, or in a traced function on every call."""
    if tracing():
        return host_call(op, draw, [], [(tuple(shape), dtypes.normalize(dtype, op))],
                         stateful=True)[0]
    return _core.from_numpy(draw(), op, dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    shape = _core.check_shape(shape, "random_uniform")
    _core.check_size("random_uniform", shape)  # before drawing: numpy would allocate it first
    if not maxval > minval:
        raise ValueError(f"random_uniform: maxval ({maxval}) must be greater than minval ({minval})")

    def draw():
        values = _rng(seed).uniform(minval, maxval, size=shape)
        return np.floor(values) if str(dtype) == "int32" else values
    return _drawn("random_uniform", shape, dtype, draw)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    shape = _core.check_shape(shape, "random_normal")
    _core.check_size("random_normal", shape)  # before drawing: numpy would allocate it first
    if stddev < 0:
        raise ValueError(f"random_normal: stddev must be >= 0, got {stddev}")
    return _drawn("random_normal", shape, dtype,
                  lambda: _rng(seed).normal(mean, stddev, size=shape))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    shape = _core.check_shape(shape, "truncated_normal")
    _core.check_size("truncated_normal", shape)  # before drawing: numpy would allocate it first
    if stddev < 0:
        raise ValueError(f"truncated_normal: stddev must be >= 0, got {stddev}")

    def draw():
        rng = _rng(seed)
        values = rng.standard_normal(size=shape)
        bad = np.abs(values) > 2
        while bad.any():
            values[bad] = rng.standard_normal(size=int(bad.sum()))
            bad = np.abs(values) > 2
        return values * stddev + mean
    return _drawn("truncated_normal", shape, dtype, draw)


def bernoulli(shape, p=0.5, seed=None, dtype="float32"):
    """1 with probability p, else 0, in `dtype` (float32, int32 or bool)."""
    op = "bernoulli"
    shape = _core.check_shape(shape, op)
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    dtype = dtypes.normalize(dtype, op)
    return _drawn(op, shape, dtype, lambda: _rng(seed).random(size=shape) < p)


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
    return host_call(op, lambda values: _draw_classes(values, num_samples, seed, normalized),
                     [logits], [((batch, num_samples), dtypes.INT32)], stateful=True)[0]


def _draw_classes(values, num_samples, seed, normalized):
    """multinomial's draw on the host values of logits (or probabilities)."""
    op = "multinomial"
    batch, classes = values.shape
    values = values.astype(np.float64)
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
    return picks.astype(np.int32)


def shuffle(x, seed=None):
    """x with its slices along axis 0 in a random order (differentiable: a gather)."""
    op = "shuffle"
    (x,) = _core.tensors(op, x)
    if x.rank == 0:
        raise ValueError(f"{op}: x must have rank >= 1, got a scalar")
    n = x._shape[0]
    if tracing():  # a new order on every call of the compiled function
        order = host_call(op, lambda: _rng(seed).permutation(n).astype(np.int32), [],
                          [((n,), dtypes.INT32)], stateful=True)[0]
        return gather_checked(x, order, None)
    return gather(x, _rng(seed).permutation(n).astype(np.int32), axis=0)


def dropout(x, rate, noise_shape=None, seed=None):
    """Training dropout: each element (or each slice, with a noise_shape that broadcasts to
    x's shape) is kept with probability 1 - rate and scaled by 1 / (1 - rate), else zeroed.
    The mask comes from random_uniform, so a seed gives the same mask on every backend."""
    op = "dropout"
    (x,) = _core.tensors(op, x)
    if x._dtype != dtypes.FLOAT32:
        raise TypeError(f"{op}: x must be float32, got {x.dtype}")
    if not isinstance(rate, numbers.Real) or isinstance(rate, bool) or not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be a number in [0, 1), got {rate!r}")
    shape = x._shape if noise_shape is None else _core.check_shape(noise_shape, op)
    if _core.broadcast_shapes(op, x._shape, shape, names=("x", "noise_shape")) != x._shape:
        raise ValueError(f"{op}: noise_shape {list(shape)} does not broadcast to x's shape "
                         f"{x.shape}")
    if rate == 0.0:
        return x
    keep = cast(greater_equal(random_uniform(shape, seed=seed), float(rate)), dtypes.FLOAT32)
    return mul(x, mul(keep, 1.0 / (1.0 - float(rate))))
