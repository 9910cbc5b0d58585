"""Losses: per-sample functions (`fn(y_true, y_pred) -> [batch, ...]`, reduced over the last
axis) and Loss objects that weight and reduce them to a scalar.

Cross-entropies are written in their stable forms: from logits through softplus/log_softmax
(finite for any finite logits), from probabilities with clipping to [eps, 1 - eps].
"""
import numpy as np

from . import ops
from ._loss_utils import align, as_tensor, snake_case
from .tensor import Tensor

EPSILON = 1e-7  # Keras's backend epsilon: keeps log() finite for probabilities of 0 and 1


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = align(y_true, y_pred, "mean_squared_error")
    return ops.mean(ops.square(ops.sub(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = align(y_true, y_pred, "mean_absolute_error")
    return ops.mean(ops.abs(ops.sub(y_pred, y_true)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for |error| <= delta, linear beyond (slope delta)."""
    y_true, y_pred = align(y_true, y_pred, "huber")
    error = ops.abs(ops.sub(y_pred, y_true))
    quadratic = ops.mul(ops.square(error), 0.5)
    linear = ops.sub(ops.mul(error, float(delta)), 0.5 * delta * delta)
    return ops.mean(ops.where(ops.less_equal(error, float(delta)), quadratic, linear), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    y_true, y_pred = align(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = ops.add(ops.mul(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        # -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)) = softplus(x) - x z, stable
        values = ops.sub(ops.softplus(y_pred), ops.mul(y_pred, y_true))
    else:
        p = ops.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
        values = ops.neg(ops.add(ops.mul(y_true, ops.log(p)),
                                 ops.mul(ops.sub(1.0, y_true), ops.log(ops.sub(1.0, p)))))
    return ops.mean(values, axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = align(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = ops.add(ops.mul(y_true, 1.0 - label_smoothing), label_smoothing / classes)
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis)
    else:
        p = ops.div(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
        log_p = ops.log(ops.clip_by_value(p, EPSILON, 1.0 - EPSILON))
    return ops.neg(ops.sum(ops.mul(y_true, log_p), axis=axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Integer class labels [batch] (or [batch, 1]) against [batch, classes] predictions.

    Labels outside [0, classes): host labels (numpy, lists; fit's targets) raise a ValueError
    before any GL work, as TensorFlow does on the CPU. Labels already in a tensor give NaN
    for that sample, as TensorFlow's GPU kernel does: checking them would read them back and
    stall every step. (They gave 0 before, a loss that looked perfect.)"""
    where = "sparse_categorical_crossentropy"
    y_pred = as_tensor(y_pred, where)
    check_sparse_labels(y_true, y_pred.shape, where)
    labels = as_tensor(y_true, where, "int32")
    if labels.rank == y_pred.rank and labels.shape[-1] == 1:
        labels = ops.reshape(labels, labels.shape[:-1])
    if labels.shape != y_pred.shape[:-1] or axis not in (-1, y_pred.rank - 1):
        raise ValueError(f"{where}: labels of shape {labels.shape} must match predictions of "
                         f"shape {y_pred.shape} without their class axis (axis -1)")
    classes = y_pred.shape[-1]
    one_hot = ops.one_hot(labels, classes, 1.0, 0.0, dtype="float32")
    values = categorical_crossentropy(one_hot, y_pred, from_logits=from_logits)
    in_range = ops.logical_and(ops.greater_equal(labels, 0), ops.less(labels, classes))
    return ops.where(in_range, values, float("nan"))


def check_sparse_labels(y_true, pred_shape, where):
    """Host labels outside [0, classes) raise here (on device they would silently give 0)."""
    if isinstance(y_true, Tensor):
        return
    labels = np.asarray(y_true)
    if labels.size and labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        raise ValueError(f"{where}: labels must be integers, got values like "
                         f"{labels[labels != np.round(labels)][0]}")
    classes = pred_shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{where}: labels must lie in [0, {classes}) for predictions of shape "
                         f"{list(pred_shape)}, got min {labels.min()} and max {labels.max()}")


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)); labels 0/1 are read as -1/+1."""
    y_true, y_pred = align(y_true, y_pred, "hinge")
    y_true = ops.where(ops.equal(y_true, 0.0), -1.0, y_true)
    return ops.mean(ops.relu(ops.sub(1.0, ops.mul(y_true, y_pred))), axis=-1)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = align(y_true, y_pred, "kl_divergence")
    t = ops.clip_by_value(y_true, EPSILON, 1.0)
    p = ops.clip_by_value(y_pred, EPSILON, 1.0)
    return ops.sum(ops.mul(t, ops.log(ops.div(t, p))), axis=-1)


def _l2_normalize(x, axis):
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.mul(x, ops.rsqrt(ops.maximum(squares, 1e-12)))


def cosine_similarity(y_true, y_pred, axis=-1):
    """-cos(angle) between y_true and y_pred: -1 when they point the same way."""
    y_true, y_pred = align(y_true, y_pred, "cosine_similarity")
    return ops.neg(ops.sum(ops.mul(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)),
                           axis=axis))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kl_divergence

FUNCTIONS = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, huber, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, hinge, kl_divergence,
    cosine_similarity)}
FUNCTIONS.update(mse=mean_squared_error, mae=mean_absolute_error, kld=kl_divergence,
                 kullback_leibler_divergence=kl_divergence, huber_loss=huber)

REDUCTIONS = ("sum_over_batch_size", "sum", "none")


def reduce_weighted(values, sample_weight, reduction, where="loss"):
    """Multiply per-sample values by sample_weight (broadcast from [batch]) and reduce."""
    if sample_weight is not None:
        w = as_tensor(sample_weight, where)
        if w.rank and w.shape[0] != values.shape[0]:
            raise ValueError(f"{where}: sample_weight of shape {w.shape} does not match "
                             f"{values.shape[0]} samples")
        while w.rank < values.rank:
            w = ops.expand_dims(w, -1)
        if w.rank > values.rank:
            w = ops.reshape(w, values.shape)
        values = ops.mul(values, w)
    if reduction == "none":
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    return ops.div(total, float(max(values.size, 1)))


class Loss:
    """A loss object: `loss(y_true, y_pred, sample_weight=None) -> scalar` (or per-sample values
    with reduction='none')."""

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        reduction = "sum_over_batch_size" if reduction in ("auto", "mean", None) else reduction
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{', '.join(REDUCTIONS)}, got {reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        return reduce_weighted(self.call(y_true, y_pred), sample_weight, self.reduction,
                               self.name)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    def __init__(self, fn, name=None, reduction="sum_over_batch_size", **kwargs):
        super().__init__(name or getattr(fn, "__name__", None), reduction)
        self.fn = fn
        self.kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self.kwargs)
        return config


def _wrapper_class(class_name, fn, defaults=()):
    def __init__(self, *args, name=None, reduction="sum_over_batch_size", **kwargs):
        values = dict(defaults)
        for key, value in zip(values, args):
            values[key] = value
        unknown = set(kwargs) - set(values)
        if unknown:
            raise TypeError(f"{class_name}: unexpected argument(s) {', '.join(sorted(unknown))}")
        values.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, name or fn.__name__, reduction, **values)

    def from_config(cls, config):
        return cls(**config)
    return type(class_name, (LossFunctionWrapper,),
                {"__init__": __init__, "from_config": classmethod(from_config)})


MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error)
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error)
Huber = _wrapper_class("Huber", huber, {"delta": 1.0})
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", binary_crossentropy,
                                    {"from_logits": False, "label_smoothing": 0.0})
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy", categorical_crossentropy,
                                         {"from_logits": False, "label_smoothing": 0.0,
                                          "axis": -1})
SparseCategoricalCrossentropy = _wrapper_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy, {"from_logits": False})
Hinge = _wrapper_class("Hinge", hinge)
KLDivergence = _wrapper_class("KLDivergence", kl_divergence)
CosineSimilarity = _wrapper_class("CosineSimilarity", cosine_similarity, {"axis": -1})

CLASSES = {c.__name__: c for c in (
    MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Hinge, KLDivergence, CosineSimilarity)}


def get(identifier):
    """A Loss object from a name ('mse', 'categorical_crossentropy', 'Huber'), a config dict,
    a Loss, or any callable (y_true, y_pred) -> per-sample values."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in FUNCTIONS:
            fn = FUNCTIONS[identifier]
            return LossFunctionWrapper(fn, name=fn.__name__)
        if identifier in CLASSES:
            return CLASSES[identifier]()
        raise ValueError(f"losses.get: unknown loss {identifier!r}; known: "
                         f"{', '.join(sorted(set(FUNCTIONS) | set(CLASSES)))}")
    if isinstance(identifier, dict):
        cls = CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"losses.get: unknown loss class {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"losses.get: expected a name, Loss or callable, got {identifier!r}")


def serialize(loss):
    """A JSON-able description, or None for a custom function (not storable)."""
    if type(loss) in CLASSES.values():
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if isinstance(loss, LossFunctionWrapper) and FUNCTIONS.get(loss.fn.__name__) is loss.fn \
            and not loss.kwargs:
        return loss.fn.__name__
    return None
