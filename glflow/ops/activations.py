"""Neural-network activations: relu, relu6, sigmoid, elu, selu, leaky_relu, prelu, softplus,
log_sigmoid, softsign, gelu (exact and tanh forms), swish/silu, hard_sigmoid, step. Each is one
kernel (shaders/activations/<name>.glsl, numpy twin in glflow/backends/numpy/activations.py);
gradients are written in glflow ops beside each primitive. Parameters (alpha) are kernel
uniforms: new values never recompile.
"""
import math

from ..runtime import dtypes
from . import _core
from ._elementwise import primitive, scalar_param, unary_op
from .arithmetic import add, div, mul, neg, sub
from .logic import greater, less, logical_and, where
from .math import abs as _abs
from .math import erf, exp, square

__all__ = ["relu", "sigmoid", "relu6", "elu", "selu", "leaky_relu", "prelu", "softplus",
           "log_sigmoid", "softsign", "gelu", "swish", "silu", "hard_sigmoid", "step"]
TENSOR_METHODS = ["relu", "sigmoid", "relu6", "elu", "selu", "leaky_relu", "prelu", "softplus",
                  "log_sigmoid", "softsign", "gelu", "swish", "silu", "hard_sigmoid", "step"]

SELU_ALPHA = 1.6732632423543772   # Klambauer et al. (2017), as in Keras and TensorFlow
SELU_SCALE = 1.0507009873554805
GELU_TANH_C = math.sqrt(2.0 / math.pi)
GELU_TANH_K = 0.044715


def _positive(x):
    return greater(x, 0.0)


def _unary(name, grad, out="float", doc="", requires=()):
    """A unary activation; grad(x, y, dy) is its vector-Jacobian product."""
    return unary_op(primitive(name, "activations", requires=requires,
                              grad=lambda call, dy: (grad(call.inputs[0], call.output, dy),)),
                    out=out, doc=doc)


# relu and relu6 take their slope from the output (y > 0 exactly where x > 0; y < 6 where
# x < 6): the tape then needs no pre-activation, so graph mode can fuse the activation into
# the matmul that makes x, in training graphs too.
relu = _unary("relu", lambda x, y, dy: where(_positive(y), dy, 0.0), out="same",
              doc="max(x, 0); int32 stays int32")
sigmoid = _unary("sigmoid", lambda x, y, dy: mul(dy, mul(y, sub(1.0, y))),
                 doc="1 / (1 + exp(-x)), stable for large |x|")
relu6 = _unary("relu6", lambda x, y, dy: where(logical_and(_positive(y), less(y, 6.0)), dy, 0.0),
               out="same", doc="min(max(x, 0), 6); int32 stays int32")
selu = _unary("selu", lambda x, y, dy: where(_positive(x), mul(dy, SELU_SCALE),
                                             mul(dy, add(y, SELU_SCALE * SELU_ALPHA))),
              requires=("elu",), doc="scale * elu(x, alpha) with the self-normalising constants")
softplus = _unary("softplus", lambda x, y, dy: mul(dy, sigmoid(x)), requires=("log1p", "expm1"),
                  doc="log(1 + e^x), stable: softplus(1000) = 1000")
log_sigmoid = _unary("log_sigmoid", lambda x, y, dy: mul(dy, sigmoid(neg(x))),
                     requires=("log1p", "expm1"),
                     doc="log(sigmoid(x)) = -softplus(-x), stable: log_sigmoid(-1000) = -1000")
softsign = _unary("softsign", lambda x, y, dy: div(dy, square(add(_abs(x), 1.0))),
                  doc="x / (1 + |x|)")
hard_sigmoid = _unary("hard_sigmoid",
                      lambda x, y, dy: where(logical_and(greater(x, -2.5), less(x, 2.5)),
                                             mul(dy, 0.2), 0.0),
                      doc="clip(0.2 x + 0.5, 0, 1), as in Keras")


def _swish_grad(x, y, dy):
    s = sigmoid(x)
    return mul(dy, add(s, mul(y, sub(1.0, s))))


swish = _unary("swish", _swish_grad, requires=("expm1",), doc="x * sigmoid(x) (also called silu)")
silu = swish


def _alpha_grad(positive_grad):
    """The gradient of an activation with a float param alpha, from (x, y, dy, alpha)."""
    return lambda call, dy: (positive_grad(call.inputs[0], call.output, dy,
                                           call.attrs["alpha"]),)


ELU = primitive("elu", "activations", params=("alpha",), requires=("expm1",),
                grad=_alpha_grad(lambda x, y, dy, alpha: where(_positive(x), dy,
                                                               mul(dy, add(y, alpha)))))
LEAKY_RELU = primitive("leaky_relu", "activations", params=("alpha",),
                       grad=_alpha_grad(lambda x, y, dy, alpha: where(_positive(x), dy,
                                                                      mul(dy, alpha))))
# The gradient of step is zero, as in TF.js.
STEP = primitive("step", "activations", params=("alpha",),
                 grad=lambda call, dy: (mul(dy, 0.0),))


def elu(x, alpha=1.0):
    """x for x > 0, else alpha (e^x - 1); saturates to -alpha."""
    (x,) = _core.tensors("elu", x)
    return ELU.run((x,), x._shape, dtypes.FLOAT32, {"alpha": scalar_param("elu", "alpha", alpha)})


def leaky_relu(x, alpha=0.2):
    """x for x > 0, else alpha x (TF.js's default alpha 0.2)."""
    (x,) = _core.tensors("leaky_relu", x)
    return LEAKY_RELU.run((x,), x._shape, dtypes.FLOAT32,
                          {"alpha": scalar_param("leaky_relu", "alpha", alpha)})


def step(x, alpha=0.0):
    """1 for x > 0, else alpha; nan stays nan (TF.js). The gradient is zero, as in TF.js."""
    (x,) = _core.tensors("step", x)
    return STEP.run((x,), x._shape, dtypes.FLOAT32, {"alpha": scalar_param("step", "alpha", alpha)})


def _prelu_grad(call, dy):
    x, alpha = call.inputs
    positive = _positive(x)
    return where(positive, dy, mul(dy, alpha)), where(positive, 0.0, mul(dy, x))


PRELU = primitive("prelu", "activations", grad=_prelu_grad)


def prelu(x, alpha):
    """x for x > 0, else alpha x, with alpha a tensor broadcast against x (numpy rules);
    differentiable in x and in alpha."""
    x, alpha = _core.tensors("prelu", x, alpha)
    shape = _core.broadcast_shapes("prelu", x._shape, alpha._shape, names=("x", "alpha"))
    _core.check_size("prelu", shape)
    return PRELU.run((x, alpha), shape, dtypes.FLOAT32)


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


GELU = primitive("gelu", "activations", requires=("erf",),
                 grad=lambda call, dy: (mul(dy, _gelu_slope(call.inputs[0])),))
GELU_TANH = primitive("gelu_tanh", "activations", requires=("expm1",),
                      grad=lambda call, dy: (mul(dy, _gelu_tanh_slope(call.inputs[0])),))


def gelu(x, approximate=False):
    """x Phi(x), Phi the standard normal CDF (exact, through erf); approximate=True uses the
    tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    (x,) = _core.tensors("gelu", x)
    if not isinstance(approximate, bool):
        raise TypeError(f"gelu: approximate must be True or False, got {approximate!r}")
    return (GELU_TANH if approximate else GELU).run((x,), x._shape, dtypes.FLOAT32)
