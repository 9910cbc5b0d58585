"""TensorFlow.js's optimizer factories in Python spelling (learningRate -> learning_rate,
useNesterov -> use_nesterov). Positional order and defaults are TF.js's; each returns the
glflow optimizer with the same update rule. TF.js's `epsilon = null` means "the backend's
epsilon", which is 1e-7 for float32: the value glflow's optimizers use."""
from .. import optimizers
from ..optimizers import schedules

_EPSILON = 1e-7


def _epsilon(epsilon):
    return _EPSILON if epsilon is None else epsilon


def sgd(learning_rate):
    """w -= learning_rate * g."""
    return optimizers.SGD(learning_rate)


def momentum(learning_rate, momentum, use_nesterov=False):
    """TF.js accumulates a = momentum * a + g and steps w -= learning_rate * a; glflow's SGD
    keeps v = -learning_rate * a, the same steps for a constant rate."""
    return optimizers.SGD(learning_rate, momentum=momentum, nesterov=use_nesterov)


def adagrad(learning_rate, initial_accumulator_value=0.1):
    return optimizers.Adagrad(learning_rate, initial_accumulator_value=initial_accumulator_value)


def adadelta(learning_rate=0.001, rho=0.95, epsilon=None):
    return optimizers.Adadelta(learning_rate, rho=rho, epsilon=_epsilon(epsilon))


def adam(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=None):
    """Adam. TF.js adds epsilon to sqrt(v / (1 - beta2^t)), glflow (as Keras) to sqrt(v): the
    steps differ only while v is comparable to epsilon^2."""
    return optimizers.Adam(learning_rate, beta_1=beta1, beta_2=beta2, epsilon=_epsilon(epsilon))


def adamax(learning_rate=0.002, beta1=0.9, beta2=0.999, epsilon=None, decay=0.0):
    """Adamax; TF.js's `decay` divides the rate by (1 + decay * step), step counted from 0:
    glflow's InverseTimeDecay schedule."""
    rate = learning_rate
    if decay:
        rate = schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)
    return optimizers.Adamax(rate, beta_1=beta1, beta_2=beta2, epsilon=_epsilon(epsilon))


def rmsprop(learning_rate, decay=0.9, momentum=0.0, epsilon=None, centered=False):
    """RMSprop; TF.js's `decay` is the moving average's factor, Keras's `rho`."""
    return optimizers.RMSprop(learning_rate, rho=decay, momentum=momentum,
                              epsilon=_epsilon(epsilon), centered=centered)
