"""Helpers shared by losses.py and metrics.py: both take y_true/y_pred in the same forms
(arrays, lists or tensors) and name their objects the same way, so the rules live here once."""
import numpy as np

from . import ops
from .tensor import Tensor


def as_tensor(x, where, dtype="float32"):
    """x as a tensor of `dtype` ('float32' or 'int32'), cast or uploaded as needed."""
    if isinstance(x, Tensor):
        return ops.cast(x, dtype) if x.dtype != dtype else x
    return ops.convert(np.asarray(x, dtype=np.float32 if dtype == "float32" else np.int32),
                       where)


def align(y_true, y_pred, where):
    """Float tensors of one shape; targets [batch] meet predictions [batch, 1] (Keras rule)."""
    y_pred = as_tensor(y_pred, where)
    y_true = as_tensor(y_true, where)
    if y_true.rank == y_pred.rank - 1 and y_pred.shape[-1] == 1:
        y_true = ops.reshape(y_true, y_pred.shape)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{where}: y_true of shape {y_true.shape} does not match y_pred of "
                         f"shape {y_pred.shape}")
    return y_true, y_pred


def snake_case(name):
    """The default object name from a class name: MeanSquaredError -> mean_squared_error,
    KLDivergence -> kl_divergence."""
    out = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return out.replace("k_l_", "kl_")
