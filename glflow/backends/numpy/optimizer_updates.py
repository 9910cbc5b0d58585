"""Fused optimizer updates in numpy: the twins of shaders/adam_update.frag and
shaders/sgd_momentum_update.frag, with the composed path's arithmetic step for step. Scalars are
rounded to the compute dtype first, as GL receives them (float32 uniforms)."""
import numpy as np

from ...runtime.dtypes import FLOAT32, numpy_dtype


def _quiet():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def adam_update(var, m, v, grad, beta_1, beta_2, lr_t, epsilon, decay):
    f = numpy_dtype(FLOAT32)
    var, m, v, g = (np.asarray(a, dtype=f) for a in (var, m, v, grad))
    with _quiet():
        m = m * f(beta_1) + g * f(1.0 - beta_1)
        v = v * f(beta_2) + (g * g) * f(1.0 - beta_2)
        new_var = var * f(decay) - (m * f(lr_t)) / (np.sqrt(v) + f(epsilon))
    return new_var, m, v


def sgd_momentum_update(var, velocity, grad, lr, momentum, nesterov, decay):
    f = numpy_dtype(FLOAT32)
    var, velocity, g = (np.asarray(a, dtype=f) for a in (var, velocity, grad))
    with _quiet():
        step = g * f(lr)
        velocity = velocity * f(momentum) - step
        increment = velocity * f(momentum) - step if nesterov else velocity
        new_var = var * f(decay) + increment
    return new_var, velocity


KERNELS = {"adam_update": adam_update, "sgd_momentum_update": sgd_momentum_update}
