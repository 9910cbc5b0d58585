"""BatchNormalization and LayerNormalization.

Both normalise through ops.batch_norm (y = x * inv + (beta - mean * inv) with
inv = gamma / sqrt(var + epsilon): two passes over the full-size input), LayerNormalization
through ops.layer_norm with per-sample statistics. Statistics come from `ops.moments` (two
passes, no cancellation), and gradients flow through them when training.
"""
import numbers

from .. import ops
from ..autodiff import no_record
from . import initializers, regularizers
from .base import Layer
from .conv_utils import where
from .shapes import InputSpec, show


def _axes(layer, axis):
    items = [axis] if isinstance(axis, numbers.Integral) else axis
    try:
        items = list(items)
    except TypeError:
        items = None
    if not items or any(isinstance(a, bool) or not isinstance(a, numbers.Integral)
                        for a in items):
        raise ValueError(f"{where(layer)}: axis must be an int or a list of ints, got {axis!r}")
    return [int(a) for a in items]


def _resolve_axes(layer, axes, shape):
    """Axes made non-negative for inputs of `shape`; the batch axis and unknown sizes refused."""
    rank = len(shape)
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"{where(layer)}: axis {a} is out of range for inputs of shape "
                             f"{show(shape)}")
        a %= rank
        if a == 0:
            raise ValueError(f"{where(layer)}: cannot normalise over the batch axis 0 "
                             f"(axis={axes}, input shape {show(shape)})")
        if shape[a] is None:
            raise ValueError(f"{where(layer)}: axis {a} of the input must have a known size, "
                             f"got shape {show(shape)}")
        out.append(a)
    if len(set(out)) != len(out):
        raise ValueError(f"{where(layer)}: axis {axes} repeats an axis")
    return sorted(out)


class _Normalization(Layer):
    """Shared config and weights: gamma/beta of the sizes of the kept `axis` dims."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes(self, axis)
        if not isinstance(epsilon, numbers.Real) or not epsilon > 0:
            raise ValueError(f"{where(self)}: epsilon must be a positive number, got {epsilon!r}")
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = None

    def _build_params(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 2:
            raise ValueError(f"{where(self)}: needs inputs of rank >= 2, got shape "
                             f"{input_shape}")
        self._axes = _resolve_axes(self, self.axis, input_shape)
        self._param_shape = tuple(input_shape[a] for a in self._axes)
        # gamma/beta broadcast against the input: their sizes on the kept axes, 1 elsewhere
        self._broadcast_shape = [input_shape[a] if a in self._axes else 1
                                 for a in range(len(input_shape))]
        if self.scale:
            self.gamma = self.add_weight("gamma", self._param_shape, self.gamma_initializer,
                                         self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", self._param_shape, self.beta_initializer,
                                        self.beta_regularizer)
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in self._axes})

    def _broadcast(self, param):
        return ops.reshape(param, self._broadcast_shape)

    def _normalize(self, x, mean, variance):
        """(x - mean) / sqrt(variance + eps) * gamma + beta; mean/variance broadcastable.
        ops.batch_norm folds gamma, beta and the statistics into one scale and one shift
        first (small tensors), so the full-size input sees two passes, not four."""
        return ops.batch_norm(x, mean, variance,
                              offset=None if self.beta is None else self._broadcast(self.beta),
                              scale=None if self.gamma is None else self._broadcast(self.gamma),
                              variance_epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis if len(self.axis) > 1 else self.axis[0],
                      epsilon=self.epsilon, center=self.center, scale=self.scale,
                      beta_initializer=initializers.serialize(self.beta_initializer),
                      gamma_initializer=initializers.serialize(self.gamma_initializer),
                      beta_regularizer=regularizers.serialize(self.beta_regularizer),
                      gamma_regularizer=regularizers.serialize(self.gamma_regularizer))
        return config


class BatchNormalization(_Normalization):
    """Normalise each feature of `axis` over the batch (and every other axis).

    training=True: batch statistics, and the moving statistics (non-trainable weights, saved
    with the model) move towards them: moving = moving * momentum + batch * (1 - momentum),
    with the batch's population variance (as Keras 3 does). training=False, or a frozen layer
    (trainable=False, the Keras fine-tuning convention): the moving statistics."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        if not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{where(self)}: momentum must be in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        self._build_params(input_shape)
        self.moving_mean = self.add_weight("moving_mean", self._param_shape,
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", self._param_shape,
                                               self.moving_variance_initializer, trainable=False)

    def call(self, inputs, training=False):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        if not (training and self.trainable):
            return self._normalize(x, self._broadcast(self.moving_mean),
                                   self._broadcast(self.moving_variance))
        reduce_axes = [a for a in range(x.rank) if a not in self._axes]
        mean, variance = ops.moments(x, reduce_axes, keepdims=True)
        self._update_moving(mean, variance)
        return self._normalize(x, mean, variance)

    def _update_moving(self, mean, variance):
        # not part of the loss: no tape records, and the new values outlive the step's tidy
        with no_record():
            for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
                batch = ops.reshape(batch, self._param_shape)
                moving.assign(ops.add(ops.mul(moving, self.momentum),
                                      ops.mul(batch, 1.0 - self.momentum)))

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum,
                      moving_mean_initializer=initializers.serialize(
                          self.moving_mean_initializer),
                      moving_variance_initializer=initializers.serialize(
                          self.moving_variance_initializer))
        return config


class LayerNormalization(_Normalization):
    """Normalise each sample over `axis` (default: the last), then scale by gamma and shift
    by beta (both of the sizes of `axis`). Same in training and inference."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)

    def build(self, input_shape):
        self._build_params(input_shape)

    def call(self, inputs):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        return ops.layer_norm(x, self.gamma, self.beta, axis=self._axes, epsilon=self.epsilon)
