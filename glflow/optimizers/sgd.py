"""Stochastic gradient descent with optional (Nesterov) momentum."""
from .. import ops
from .base import Optimizer


class SGD(Optimizer):
    """momentum 0:  w -= lr * g
    momentum m:  v = m * v - lr * g;  w += v  (nesterov: w += m * v - lr * g)"""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def slot_names(self):
        return ("momentum",) if self.momentum else ()

    def update_variable(self, grad, var, slots, s):
        if not self.fused or not self.momentum:  # plain SGD is already two passes
            return super().update_variable(grad, var, slots, s)
        new_var, velocity = ops.sgd_momentum_update(var, slots["momentum"], grad, s.value("lr"),
                                                    self.momentum, self.nesterov,
                                                    s.value("decay"))
        slots["momentum"].assign(velocity)
        return new_var

    def update(self, grad, value, slots, s):
        step = ops.mul(grad, s["lr"])
        if not self.momentum:
            return ops.sub(value, step)
        velocity = slots["momentum"]
        velocity.assign(ops.sub(ops.mul(velocity, self.momentum), step))
        if self.nesterov:
            return ops.add(value, ops.sub(ops.mul(velocity, self.momentum), step))
        return ops.add(value, velocity)

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config
