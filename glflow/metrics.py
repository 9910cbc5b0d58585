"""Metrics: per-sample functions and stateful Metric objects (update_state / result /
reset_state). State lives in non-trainable Variables updated with glflow ops, so a training
step never reads metric values back from the GPU until a result is asked for."""
import numbers

import numpy as np

from . import losses, ops
from .autodiff import no_record
from .ops._host import init_scope
from ._loss_utils import align, as_tensor, snake_case
from .tensor import Variable

_EPS = 1e-7  # thresholds just outside [0, 1] so predictions of exactly 0 or 1 are counted


# --------------------------------------------------------------------------- functions

def accuracy(y_true, y_pred):
    """1.0 where y_pred equals y_true exactly, averaged over the last axis."""
    y_true, y_pred = align(y_true, y_pred, "accuracy")
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), "float32"), axis=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = align(y_true, y_pred, "binary_accuracy")
    predicted = ops.cast(ops.greater(y_pred, float(threshold)), "float32")
    return ops.mean(ops.cast(ops.equal(y_true, predicted), "float32"), axis=-1)


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = align(y_true, y_pred, "categorical_accuracy")
    return ops.cast(ops.equal(ops.argmax(y_true, -1), ops.argmax(y_pred, -1)), "float32")


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = as_tensor(y_pred, "sparse_categorical_accuracy")
    labels = as_tensor(y_true, "sparse_categorical_accuracy", "int32")
    if labels.rank == y_pred.rank and labels.shape[-1] == 1:
        labels = ops.reshape(labels, labels.shape[:-1])
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(f"sparse_categorical_accuracy: labels of shape {labels.shape} do not "
                         f"match predictions of shape {y_pred.shape}")
    return ops.cast(ops.equal(labels, ops.argmax(y_pred, -1)), "float32")


FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy,
                                     sparse_categorical_accuracy)}


def _divide_no_nan(a, b):
    nonzero = ops.not_equal(b, 0.0)
    return ops.where(nonzero, ops.div(a, ops.where(nonzero, b, 1.0)), 0.0)


# --------------------------------------------------------------------------- stateful

class Metric:
    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = "float32" if dtype is None else dtype
        self._variables = []

    def add_variable(self, shape, name, initializer=0.0):
        with init_scope():  # made inside gf.function: a concrete initial value
            var = Variable(ops.fill(shape, initializer, "float32"), trainable=False,
                           name=f"{self.name}/{name}")
        self._variables.append((var, initializer))
        return var

    @property
    def variables(self):
        return [v for v, _ in self._variables]

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        with no_record():
            for var, init in self._variables:
                var.assign(ops.fill(var.shape, init, "float32"))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _add(self, var, value):
        var.assign(ops.add(var, value))


class Mean(Metric):
    """Weighted mean of all values seen."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable([], "total")
        self.count = self.add_variable([], "count")

    def update_state(self, values, sample_weight=None):
        with no_record():
            values = as_tensor(values, self.name)
            if isinstance(sample_weight, numbers.Real):  # one weight for all (e.g. batch size)
                w = float(sample_weight)
                self._add(self.total, ops.mul(ops.sum(values), w))
                self._add(self.count, w * values.size)
                return
            if sample_weight is None:
                self._add(self.total, ops.sum(values))
                self._add(self.count, float(values.size))
                return
            weighted = losses.reduce_weighted(values, sample_weight, "none", self.name)
            w = as_tensor(sample_weight, self.name)
            per_value = values.size // max(w.size, 1)  # each weight covers this many values
            self._add(self.total, ops.sum(weighted))
            self._add(self.count, ops.mul(ops.sum(w), float(per_value)))

    def result(self):
        with no_record():
            return _divide_no_nan(self.total, self.count)


class Sum(Metric):
    def __init__(self, name="sum", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable([], "total")

    def update_state(self, values, sample_weight=None):
        with no_record():
            values = as_tensor(values, self.name)
            self._add(self.total, ops.sum(losses.reduce_weighted(values, sample_weight, "none")))

    def result(self):
        return ops.identity(self.total)


class MeanMetricWrapper(Mean):
    """The running weighted mean of fn(y_true, y_pred, **kwargs)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name or fn.__name__, dtype)
        self.fn = fn
        self.kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_record():
            super().update_state(self.fn(y_true, y_pred, **self.kwargs), sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self.kwargs)
        return config


def _wrapper(class_name, fn, default_name, defaults=()):
    def __init__(self, name=default_name, dtype=None, **kwargs):
        values = dict(defaults)
        unknown = set(kwargs) - set(values)
        if unknown:
            raise TypeError(f"{class_name}: unexpected argument(s) {', '.join(sorted(unknown))}")
        values.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name, dtype, **values)
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                          {"threshold": 0.5})
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy,
                               "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy")
MeanSquaredError = _wrapper("MeanSquaredError", losses.mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", losses.mean_absolute_error,
                             "mean_absolute_error")


class _Confusion(Metric):
    """True/false positive/negative counts at each threshold: prediction > threshold counts
    as positive; labels are 0/1; sample weights weight the counts."""

    def __init__(self, thresholds, name=None, dtype=None, counts=("tp", "fp", "tn", "fn")):
        super().__init__(name, dtype)
        self._scalar = thresholds is None or np.ndim(thresholds) == 0
        thresholds = 0.5 if thresholds is None else thresholds
        self.thresholds = [float(t) for t in np.atleast_1d(thresholds)]
        for t in self.thresholds:
            if not -_EPS <= t <= 1.0 + _EPS:
                raise ValueError(f"{type(self).__name__}: thresholds must lie in [0, 1], got {t}")
        k = len(self.thresholds)
        self._counts = counts
        for c in counts:
            setattr(self, c, self.add_variable([k], c))
        # a constant row [1, k], uploaded once (not part of the state)
        self._threshold_row = Variable(np.array([self.thresholds], np.float32), trainable=False,
                                       name=f"{self.name}/thresholds")

    def update_state(self, y_true, y_pred, sample_weight=None):
        where = type(self).__name__
        with no_record():
            y_true, y_pred = align(y_true, y_pred, where)
            labels = ops.reshape(y_true, [-1, 1])
            above = ops.cast(ops.greater(ops.reshape(y_pred, [-1, 1]), self._threshold_row),
                             "float32")
            weight = 1.0
            if sample_weight is not None:
                w = as_tensor(sample_weight, where)
                w = ops.broadcast_to(ops.reshape(w, [w.size] + [1] * (y_pred.rank - 1)),
                                     y_pred.shape)
                weight = ops.reshape(w, [-1, 1])
            pos = ops.mul(labels, weight)
            neg = ops.mul(ops.sub(1.0, labels), weight)
            below = ops.sub(1.0, above)
            pairs = {"tp": (above, pos), "fp": (above, neg), "tn": (below, neg),
                     "fn": (below, pos)}
            for c in self._counts:
                a, b = pairs[c]
                self._add(getattr(self, c), ops.sum(ops.mul(a, b), axis=0))

    def _out(self, value):
        return ops.reshape(value, []) if self._scalar else value

    def get_config(self):
        config = super().get_config()
        config["thresholds"] = self.thresholds[0] if self._scalar else self.thresholds
        return config


class Precision(_Confusion):
    def __init__(self, thresholds=None, name="precision", dtype=None):
        super().__init__(thresholds, name, dtype, counts=("tp", "fp"))

    def result(self):
        with no_record():
            return self._out(_divide_no_nan(self.tp, ops.add(self.tp, self.fp)))


class Recall(_Confusion):
    def __init__(self, thresholds=None, name="recall", dtype=None):
        super().__init__(thresholds, name, dtype, counts=("tp", "fn"))

    def result(self):
        with no_record():
            return self._out(_divide_no_nan(self.tp, ops.add(self.tp, self.fn)))


class AUC(_Confusion):
    """Area under the ROC or precision-recall curve from counts at `num_thresholds`
    thresholds spread evenly over [0, 1] (plus one just below 0 and one just above 1).
    ROC: trapezoids; PR: the interpolation of Davis & Goadrich (2006), which is exact for the
    straight lines that join PR points in ROC space."""

    def __init__(self, num_thresholds=200, curve="ROC", thresholds=None, from_logits=False,
                 name="auc", dtype=None):
        if curve.upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if thresholds is None:
            if int(num_thresholds) < 2:
                raise ValueError(f"AUC: num_thresholds must be >= 2, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner = sorted(float(t) for t in thresholds)
        self.curve, self.from_logits = curve.upper(), bool(from_logits)
        self.num_thresholds = len(inner) + 2
        super().__init__([-_EPS] + inner + [1.0 + _EPS], name, dtype)
        self._custom = thresholds is not None
        self._inner = inner

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            y_pred = ops.sigmoid(as_tensor(y_pred, "AUC"))
        super().update_state(y_true, y_pred, sample_weight)

    def result(self):
        k = self.num_thresholds
        with no_record():
            def head(x):
                return ops.slice(x, [0], [k - 1])

            def tail(x):
                return ops.slice(x, [1], [k - 1])
            if self.curve == "ROC":
                tpr = _divide_no_nan(self.tp, ops.add(self.tp, self.fn))
                fpr = _divide_no_nan(self.fp, ops.add(self.fp, self.tn))
                widths = ops.sub(head(fpr), tail(fpr))
                heights = ops.mul(ops.add(head(tpr), tail(tpr)), 0.5)
                return ops.sum(ops.mul(widths, heights))
            return self._pr_area(head, tail)

    def _pr_area(self, head, tail):
        # Between neighbouring thresholds TP grows linearly with P = TP + FP, so precision is
        # TP/P = slope + intercept/P, whose integral over recall has a closed form in log(P).
        tp, fp, fn = self.tp, self.fp, self.fn
        p = ops.add(tp, fp)
        d_tp = ops.sub(head(tp), tail(tp))
        d_p = ops.maximum(ops.sub(head(p), tail(p)), 0.0)
        slope = _divide_no_nan(d_tp, d_p)
        intercept = ops.sub(tail(tp), ops.mul(slope, tail(p)))
        both = ops.logical_and(ops.greater(head(p), 0.0), ops.greater(tail(p), 0.0))
        ratio = ops.where(both, _divide_no_nan(head(p), ops.maximum(tail(p), 0.0)), 1.0)
        area = ops.mul(slope, ops.add(d_tp, ops.mul(intercept, ops.log(ratio))))
        positives = ops.maximum(ops.add(tail(tp), tail(fn)), 0.0)
        return ops.sum(_divide_no_nan(area, positives))

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "curve": self.curve,
                  "from_logits": self.from_logits}
        if self._custom:
            config["thresholds"] = self._inner
        else:
            config["num_thresholds"] = self.num_thresholds
        return config


CLASSES = {c.__name__: c for c in (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, Precision, Recall, AUC)}
NAMES = {"binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
         "sparse_categorical_accuracy": SparseCategoricalAccuracy,
         "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
         "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
         "precision": Precision, "recall": Recall, "auc": AUC}


def get(identifier):
    """A Metric from a name, class name, config dict, Metric, or a function (y_true, y_pred)
    -> per-sample values (averaged). 'accuracy' here means exact equality; compile() picks
    binary/categorical/sparse accuracy for it from the loss."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            return Accuracy()
        if identifier in NAMES:
            return NAMES[identifier]()
        if identifier in CLASSES:
            return CLASSES[identifier]()
        if identifier in losses.FUNCTIONS:
            fn = losses.FUNCTIONS[identifier]
            return MeanMetricWrapper(fn, name=identifier)
        raise ValueError(f"metrics.get: unknown metric {identifier!r}; known: accuracy, "
                         f"{', '.join(sorted(NAMES))}, or a loss name")
    if isinstance(identifier, dict):
        cls = CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"metrics.get: unknown metric class {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"metrics.get: expected a name, Metric or callable, got {identifier!r}")
