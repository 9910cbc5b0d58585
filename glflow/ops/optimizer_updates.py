"""Fused optimizer updates: a variable's new value and its slot variables (moments, velocity)
from one kernel launch, like TensorFlow's ApplyAdam / ApplyMomentum. The optimizers in
glflow/optimizers use them; the composed ops they replace cost one pass each (Adam: 12 per
variable). Not differentiable: an update is not part of a model's function.

Kernels: shaders/<name>.frag (one pass, several render targets), numpy twins in
glflow/backends/numpy/optimizer_updates.py.
"""
from ..runtime import dtypes
from ..runtime.registry import OPAQUE
from . import _core
from ._elementwise import scalar_param
from ._primitive import Primitive

__all__ = ["adam_update", "sgd_momentum_update"]

# Not differentiable: they run outside any tape, on gradients already computed.
ADAM_UPDATE = Primitive("adam_update", "optimizer_updates", OPAQUE, outputs=3)
SGD_MOMENTUM_UPDATE = Primitive("sgd_momentum_update", "optimizer_updates", OPAQUE, outputs=2)


def _same_shape_floats(op, names, values):
    tensors = _core.tensors(op, *values)
    for name, t in zip(names, tensors):
        if t._dtype != dtypes.FLOAT32:
            raise TypeError(f"{op}: {name} must be float32, got {t.dtype} (shape {t.shape})")
        if t._shape != tensors[0]._shape:
            raise ValueError(f"{op}: {name} has shape {t.shape}, the variable "
                             f"{names[0]} has shape {tensors[0].shape}")
    return tensors


def adam_update(var, m, v, grad, lr_t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=1.0):
    """One Adam step, returning [new var, new m, new v]:
    m' = beta_1 m + (1 - beta_1) g;  v' = beta_2 v + (1 - beta_2) g^2;
    var' = decay * var - lr_t * m' / (sqrt(v') + epsilon)
    (lr_t carries the bias correction; decay = 1 - lr * weight_decay for AdamW)."""
    op = "adam_update"
    inputs = _same_shape_floats(op, ("var", "m", "v", "grad"), (var, m, v, grad))
    attrs = {key: scalar_param(op, key, value) for key, value in (
        ("beta_1", beta_1), ("beta_2", beta_2), ("lr_t", lr_t), ("epsilon", epsilon),
        ("decay", decay))}
    return ADAM_UPDATE.run(tuple(inputs), (inputs[0]._shape,) * 3, dtypes.FLOAT32, attrs)


def sgd_momentum_update(var, velocity, grad, lr, momentum, nesterov=False, decay=1.0):
    """One SGD-with-momentum step, returning [new var, new velocity]:
    velocity' = momentum * velocity - lr * g;  var' = decay * var + velocity'
    (nesterov: var' = decay * var + momentum * velocity' - lr * g)."""
    op = "sgd_momentum_update"
    inputs = _same_shape_floats(op, ("var", "velocity", "grad"), (var, velocity, grad))
    attrs = {key: scalar_param(op, key, value) for key, value in (
        ("lr", lr), ("momentum", momentum), ("decay", decay))}
    attrs["nesterov"] = bool(nesterov)
    return SGD_MOMENTUM_UPDATE.run(tuple(inputs), (inputs[0]._shape,) * 2, dtypes.FLOAT32,
                                   attrs)
