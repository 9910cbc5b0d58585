"""Seeded random tensors. Numbers are drawn by numpy's PCG64 on the host and uploaded, so the
same seed gives the same numbers on every backend (and on every GPU)."""

__all__ = ["set_seed", "random_uniform", "random_normal", "truncated_normal"]
import numpy as np

from . import _core

_global = np.random.default_rng()


def set_seed(seed):
    """Seed the generator used when an op is given no seed."""
    global _global
    _global = np.random.default_rng(seed)


def _rng(seed):
    return _global if seed is None else np.random.default_rng(seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    shape = _core.check_shape(shape, "random_uniform")
    _core.check_size("random_uniform", shape)  # before drawing: numpy would allocate it first
    if not maxval > minval:
        raise ValueError(f"random_uniform: maxval ({maxval}) must be greater than minval ({minval})")
    values = _rng(seed).uniform(minval, maxval, size=shape)
    if str(dtype) == "int32":
        values = np.floor(values)
    return _core.from_numpy(values, "random_uniform", dtype)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    shape = _core.check_shape(shape, "random_normal")
    _core.check_size("random_normal", shape)  # before drawing: numpy would allocate it first
    if stddev < 0:
        raise ValueError(f"random_normal: stddev must be >= 0, got {stddev}")
    return _core.from_numpy(_rng(seed).normal(mean, stddev, size=shape), "random_normal", dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    shape = _core.check_shape(shape, "truncated_normal")
    _core.check_size("truncated_normal", shape)  # before drawing: numpy would allocate it first
    if stddev < 0:
        raise ValueError(f"truncated_normal: stddev must be >= 0, got {stddev}")
    rng = _rng(seed)
    values = rng.standard_normal(size=shape)
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(values) > 2
    return _core.from_numpy(values * stddev + mean, "truncated_normal", dtype)
