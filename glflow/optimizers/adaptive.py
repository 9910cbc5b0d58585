"""Optimizers with per-coordinate step sizes: Adam (and AMSGrad), AdamW, Adamax, RMSprop,
Adagrad, Adadelta. Update rules and defaults follow Keras 3."""
import math

from .. import ops
from .base import Optimizer


def _ema(slot, decay, new):
    """slot = decay * slot + (1 - decay) * new, stored and returned."""
    slot.assign(ops.add(ops.mul(slot, decay), ops.mul(new, 1.0 - decay)))
    return slot


class Adam(Optimizer):
    """m, v: moving averages of g and g^2; w -= lr_t * m / (sqrt(v) + epsilon) with the bias
    correction folded into lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t). AMSGrad divides by
    the running maximum of v instead."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        for key, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= float(beta) < 1.0:
                raise ValueError(f"{type(self).__name__}: {key} must be in [0, 1), got {beta!r}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)

    def slot_names(self):
        return ("m", "v", "v_hat") if self.amsgrad else ("m", "v")

    def step_scalars(self, lr, step):
        return {"lr_t": lr * math.sqrt(1.0 - self.beta_2 ** step) / (1.0 - self.beta_1 ** step)}

    def update_variable(self, grad, var, slots, s):
        if not self.fused or self.amsgrad:  # AMSGrad's running maximum has no fused kernel
            return super().update_variable(grad, var, slots, s)
        new_var, m, v = ops.adam_update(var, slots["m"], slots["v"], grad, s.value("lr_t"),
                                        self.beta_1, self.beta_2, self.epsilon,
                                        s.value("decay"))
        slots["m"].assign(m)
        slots["v"].assign(v)
        return new_var

    def update(self, grad, value, slots, s):
        m = _ema(slots["m"], self.beta_1, grad)
        v = _ema(slots["v"], self.beta_2, ops.square(grad))
        if self.amsgrad:
            slots["v_hat"].assign(ops.maximum(slots["v_hat"], v))
            v = slots["v_hat"]
        step = ops.div(ops.mul(m, s["lr_t"]), ops.add(ops.sqrt(v), self.epsilon))
        return ops.sub(value, step)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                      amsgrad=self.amsgrad)
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay: w -= lr * weight_decay * w before each update."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)


class Adamax(Optimizer):
    """Adam with the infinity norm: u = max(beta_2 * u, |g|); w -= lr / (1 - beta_1^t) * m /
    (u + epsilon)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def slot_names(self):
        return ("m", "u")

    def step_scalars(self, lr, step):
        return {"lr_t": lr / (1.0 - self.beta_1 ** step)}

    def update(self, grad, value, slots, s):
        m = _ema(slots["m"], self.beta_1, grad)
        u = slots["u"]
        u.assign(ops.maximum(ops.mul(u, self.beta_2), ops.abs(grad)))
        return ops.sub(value, ops.div(ops.mul(m, s["lr_t"]), ops.add(u, self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config


class RMSprop(Optimizer):
    """v = rho * v + (1 - rho) * g^2; step = lr * g / sqrt(v + epsilon) (centered: subtract
    the squared moving mean of g inside the root); with momentum, steps accumulate."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        self.centered = bool(centered)

    def slot_names(self):
        return (("velocity",) + (("average_gradient",) if self.centered else ())
                + (("momentum",) if self.momentum else ()))

    def update(self, grad, value, slots, s):
        v = _ema(slots["velocity"], self.rho, ops.square(grad))
        denominator = ops.add(v, self.epsilon)
        if self.centered:
            mean = _ema(slots["average_gradient"], self.rho, grad)
            denominator = ops.sub(denominator, ops.square(mean))
        increment = ops.mul(ops.mul(grad, s["lr"]), ops.rsqrt(denominator))
        if self.momentum:
            slots["momentum"].assign(ops.add(ops.mul(slots["momentum"], self.momentum),
                                             increment))
            increment = slots["momentum"]
        return ops.sub(value, increment)

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                      centered=self.centered)
        return config


class Adagrad(Optimizer):
    """a += g^2; w -= lr * g / sqrt(a + epsilon), a starting at initial_accumulator_value."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        if float(initial_accumulator_value) < 0:
            raise ValueError("Adagrad: initial_accumulator_value must be >= 0, got "
                             f"{initial_accumulator_value!r}")
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def slot_names(self):
        return ("accumulator",)

    def slot_initial_value(self, name):
        return self.initial_accumulator_value

    def update(self, grad, value, slots, s):
        acc = slots["accumulator"]
        acc.assign(ops.add(acc, ops.square(grad)))
        return ops.sub(value, ops.mul(ops.mul(grad, s["lr"]),
                                      ops.rsqrt(ops.add(acc, self.epsilon))))

    def get_config(self):
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value,
                      epsilon=self.epsilon)
        return config


class Adadelta(Optimizer):
    """Steps scaled by the ratio of RMS(previous steps) to RMS(gradients):
    a = rho a + (1 - rho) g^2;  d = sqrt(b + eps) / sqrt(a + eps) * g;
    b = rho b + (1 - rho) d^2;  w -= lr * d."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def slot_names(self):
        return ("accumulated_grad", "accumulated_delta")

    def update(self, grad, value, slots, s):
        a = _ema(slots["accumulated_grad"], self.rho, ops.square(grad))
        b = slots["accumulated_delta"]
        delta = ops.mul(ops.mul(ops.sqrt(ops.add(b, self.epsilon)),
                                ops.rsqrt(ops.add(a, self.epsilon))), grad)
        _ema(b, self.rho, ops.square(delta))
        return ops.sub(value, ops.mul(delta, s["lr"]))

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
