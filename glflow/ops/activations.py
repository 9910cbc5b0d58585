"""Neural-network activations: relu6, elu, selu, leaky_relu, prelu, softplus, log_sigmoid,
softsign, gelu (exact and tanh forms), swish/silu, hard_sigmoid, step. Each is one kernel
(`shaders/<name>.glsl`, numpy twin in `glflow/backends/cpu/activations.py`); gradients are
written in glflow ops. Parameters (alpha) are kernel uniforms: new values never recompile.
"""
import math

from .. import dtypes, engine, kernels
from . import _core
from ._pointwise import launch, scalar_param, unary_op
from .creation import zeros_like
from .elementwise import abs as _abs
from .elementwise import add, div, exp, greater, less, mul, neg, sigmoid, square, sub
from .logic import logical_and, where
from .math import erf
from .reduction import sum_to_shape

__all__ = ["relu6", "elu", "selu", "leaky_relu", "prelu", "softplus", "log_sigmoid",
           "softsign", "gelu", "swish", "silu", "hard_sigmoid", "step"]
TENSOR_METHODS = ["relu6", "elu", "selu", "leaky_relu", "prelu", "softplus", "log_sigmoid",
                  "softsign", "gelu", "swish", "silu", "hard_sigmoid", "step"]

SELU_ALPHA = 1.6732632423543772   # Klambauer et al. (2017), as in Keras and TensorFlow
SELU_SCALE = 1.0507009873554805
GELU_TANH_C = math.sqrt(2.0 / math.pi)
GELU_TANH_K = 0.044715

kernels.register("relu6", "unary")
kernels.register("elu", "unary", params=("alpha",), requires=("expm1",))
kernels.register("selu", "unary", requires=("elu",))
kernels.register("leaky_relu", "unary", params=("alpha",))
kernels.register("prelu", "binary")
kernels.register("softplus", "unary", requires=("log1p", "expm1"))
kernels.register("log_sigmoid", "unary", requires=("log1p", "expm1"))
kernels.register("softsign", "unary")
kernels.register("gelu", "unary", requires=("erf",))
kernels.register("gelu_tanh", "unary", requires=("expm1",))
kernels.register("swish", "unary", requires=("expm1",))
kernels.register("hard_sigmoid", "unary")
kernels.register("step", "unary", params=("alpha",))


def _positive(x):
    return greater(x, 0.0)


relu6 = unary_op("relu6", lambda x, y, dy: where(logical_and(_positive(x), less(x, 6.0)), dy, 0.0),
                 out="same", doc="min(max(x, 0), 6); int32 stays int32")
selu = unary_op("selu", lambda x, y, dy: where(_positive(x), mul(dy, SELU_SCALE),
                                               mul(dy, add(y, SELU_SCALE * SELU_ALPHA))),
                doc="scale * elu(x, alpha) with the self-normalising constants")
softplus = unary_op("softplus", lambda x, y, dy: mul(dy, sigmoid(x)),
                    doc="log(1 + e^x), stable: softplus(1000) = 1000")
log_sigmoid = unary_op("log_sigmoid", lambda x, y, dy: mul(dy, sigmoid(neg(x))),
                       doc="log(sigmoid(x)) = -softplus(-x), stable: log_sigmoid(-1000) = -1000")
softsign = unary_op("softsign", lambda x, y, dy: div(dy, square(add(_abs(x), 1.0))),
                    doc="x / (1 + |x|)")
hard_sigmoid = unary_op("hard_sigmoid",
                        lambda x, y, dy: where(logical_and(greater(x, -2.5), less(x, 2.5)),
                                               mul(dy, 0.2), 0.0),
                        doc="clip(0.2 x + 0.5, 0, 1), as in Keras")


def _swish_grad(x, y, dy):
    s = sigmoid(x)
    return mul(dy, add(s, mul(y, sub(1.0, s))))


swish = unary_op("swish", _swish_grad, doc="x * sigmoid(x) (also called silu)")
silu = swish


def elu(x, alpha=1.0):
    """x for x > 0, else alpha (e^x - 1); saturates to -alpha."""
    (x,) = _core.tensors("elu", x)
    alpha = scalar_param("elu", "alpha", alpha)
    y = launch("elu", [x], x._shape, dtypes.FLOAT32, params=(alpha,))
    return engine.record("elu", [x], y, lambda dy: (
        where(_positive(x), dy, mul(dy, add(y, alpha))),))


def leaky_relu(x, alpha=0.2):
    """x for x > 0, else alpha x (tfjs's default alpha 0.2)."""
    (x,) = _core.tensors("leaky_relu", x)
    alpha = scalar_param("leaky_relu", "alpha", alpha)
    y = launch("leaky_relu", [x], x._shape, dtypes.FLOAT32, params=(alpha,))
    return engine.record("leaky_relu", [x], y, lambda dy: (
        where(_positive(x), dy, mul(dy, alpha)),))


def prelu(x, alpha):
    """x for x > 0, else alpha x, with alpha a tensor broadcast against x (numpy rules);
    differentiable in x and in alpha."""
    x, alpha = _core.tensors("prelu", x, alpha)
    shape = _core.broadcast_shapes("prelu", x._shape, alpha._shape, names=("x", "alpha"))
    y = launch("prelu", [x, alpha], shape, dtypes.FLOAT32)

    def grad(dy):
        positive = _positive(x)
        return (sum_to_shape(where(positive, dy, mul(dy, alpha)), x._shape),
                sum_to_shape(where(positive, 0.0, mul(dy, x)), alpha._shape))
    return engine.record("prelu", [x, alpha], y, grad)


def gelu(x, approximate=False):
    """x Phi(x), Phi the standard normal CDF (exact, through erf); approximate=True uses the
    tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    (x,) = _core.tensors("gelu", x)
    if not isinstance(approximate, bool):
        raise TypeError(f"gelu: approximate must be True or False, got {approximate!r}")
    kernel = "gelu_tanh" if approximate else "gelu"
    y = launch(kernel, [x], x._shape, dtypes.FLOAT32)
    return engine.record(kernel, [x], y, lambda dy: (
        mul(dy, _gelu_tanh_slope(x) if approximate else _gelu_slope(x)),))


def _gelu_slope(x):
    """Phi(x) + x phi(x)."""
    cdf = mul(add(erf(mul(x, 1.0 / math.sqrt(2.0))), 1.0), 0.5)
    density = mul(exp(mul(square(x), -0.5)), 1.0 / math.sqrt(2.0 * math.pi))
    return add(cdf, mul(x, density))


def _gelu_tanh_slope(x):
    """With s = sigmoid(2u), gelu = x s: slope s + 2 x s (1 - s) u'."""
    u = mul(add(x, mul(mul(square(x), x), GELU_TANH_K)), GELU_TANH_C)
    s = sigmoid(mul(u, 2.0))
    du = mul(add(mul(square(x), 3.0 * GELU_TANH_K), 1.0), 2.0 * GELU_TANH_C)
    return add(s, mul(mul(x, mul(s, sub(1.0, s))), du))


def step(x, alpha=0.0):
    """1 for x > 0, else alpha; nan stays nan (tfjs). The gradient is zero, as in tfjs."""
    (x,) = _core.tensors("step", x)
    alpha = scalar_param("step", "alpha", alpha)
    y = launch("step", [x], x._shape, dtypes.FLOAT32, params=(alpha,))
    return engine.record("step", [x], y, lambda dy: (zeros_like(dy),))
