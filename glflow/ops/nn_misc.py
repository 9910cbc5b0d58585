"""dropout and embedding_lookup, composed from seeded random numbers, elementwise ops and
gather (whose gradient scatter-adds, so repeated ids accumulate)."""

__all__ = ["dropout", "embedding_lookup"]
import numbers

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import _core


def dropout(x, rate, noise_shape=None, seed=None):
    """Training dropout: each element (or each slice, with a noise_shape that broadcasts to
    x's shape) is kept with probability 1 - rate and scaled by 1 / (1 - rate), else zeroed.
    The mask comes from random_uniform, so a seed gives the same mask on every backend."""
    from .elementwise import greater_equal, mul
    from .random import random_uniform
    from .shape import cast
    op = "dropout"
    (x,) = _core.tensors(op, x)
    if x.dtype != dtypes.FLOAT32:
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


def embedding_lookup(params, ids):
    """Rows of params [V, D] at int32 ids of any shape -> ids.shape + [D]. Ids outside
    [0, V) raise IndexError; the gradient adds each row's dy into params (duplicates add)."""
    from .indexing import gather_checked
    op = "embedding_lookup"
    (params,) = _core.tensors(op, params)
    if params.rank != 2:
        raise ValueError(f"{op}: params must have rank 2 [vocabulary, dim], got shape "
                         f"{params.shape}")
    if isinstance(ids, Tensor):
        if ids.dtype != dtypes.INT32:
            raise TypeError(f"{op}: ids must be int32, got a {ids.dtype} tensor")
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
