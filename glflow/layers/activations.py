"""Activation functions by name. Each resolves its glflow op when called, so an op that lands
later in glflow.ops works without a change here."""
from .. import ops


def linear(x):
    return x


def relu(x):
    return ops.relu(x)


def relu6(x):
    return ops.relu6(x)


def sigmoid(x):
    return ops.sigmoid(x)


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def tanh(x):
    return ops.tanh(x)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha)


def selu(x):
    return ops.selu(x)


def leaky_relu(x, alpha=0.2):
    return ops.leaky_relu(x, alpha)


def gelu(x, approximate=False):
    return ops.gelu(x, approximate)


def swish(x):
    return ops.swish(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def exponential(x):
    return ops.exp(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis)


ACTIVATIONS = {f.__name__: f for f in (
    linear, relu, relu6, sigmoid, hard_sigmoid, tanh, elu, selu, leaky_relu, gelu, swish,
    softplus, softsign, exponential, softmax, log_softmax)}
ACTIVATIONS["silu"] = swish


def get(identifier):
    """None or a name -> the function ('linear' for None); callables pass through."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = ACTIVATIONS.get(identifier)
        if fn is None:
            raise ValueError(f"activations.get: unknown activation {identifier!r}; known: "
                             f"{', '.join(sorted(ACTIVATIONS))}")
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"activations.get: expected a name or a callable, got {identifier!r}")


def serialize(fn):
    """The name of a built-in activation (custom callables cannot be stored in a config)."""
    for name, known in ACTIVATIONS.items():
        if fn is known:
            return "swish" if name == "silu" else name
    raise ValueError(f"activations.serialize: {getattr(fn, '__name__', fn)!r} is not a built-in "
                     "activation; pass its name, or save without the config")
