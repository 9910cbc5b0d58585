"""What compile() sets up: the loss of each output (weighted and summed into the training
loss) and the metrics of each output, with Keras's naming of the logged values."""
import numpy as np

from .. import losses, ops
from .. import metrics as metrics_mod


def output_names_for(model, count):
    names = model.output_names
    if names is None or len(names) != count:
        names = ["output"] if count == 1 else [f"output_{i + 1}" for i in range(count)]
    return names


def per_output(spec, names, what, allow_single=True):
    """spec given once, as a list (one per output) or a dict (by output name) -> list."""
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"compile: {what} names outputs {unknown} that the model does not "
                             f"have; outputs are {names}")
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)) and not (allow_single and _is_metric_list(spec, what)):
        if len(spec) != len(names):
            raise ValueError(f"compile: {what} lists {len(spec)} entries for {len(names)} "
                             f"outputs {names}")
        return list(spec)
    return [spec] * len(names)


def _is_metric_list(spec, what):
    # metrics=['accuracy', 'mae'] applies to every output; [[...], [...]] is per output
    return what == "metrics" and not all(isinstance(s, (list, tuple, dict, type(None)))
                                         for s in spec)


def match_structure(values, names, what):
    """Targets/weights as a flat list in output order (one value, a list, or a dict)."""
    if isinstance(values, dict):
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"{what}: no entry for output(s) {missing}; outputs are {names}")
        return [values[n] for n in names]
    if isinstance(values, (list, tuple)) and len(names) > 1:
        if len(values) != len(names):
            raise ValueError(f"{what}: got {len(values)} arrays for {len(names)} outputs {names}")
        return list(values)
    if len(names) > 1:
        raise ValueError(f"{what}: the model has {len(names)} outputs {names}; pass a list or "
                         "dict of arrays")
    return [values]


class LossContainer:
    def __init__(self, loss, loss_weights=None):
        self.spec, self.weights_spec = loss, loss_weights
        self.names = self.losses = self.weights = None

    def build(self, names):
        if self.names == names:
            return
        if self.spec is None:
            raise ValueError("fit/evaluate: the model was compiled without a loss; pass "
                             "compile(loss=...)")
        specs = per_output(self.spec, names, "loss")
        self.losses = [None if s is None else losses.get(s) for s in specs]
        if all(fn is None for fn in self.losses):
            raise ValueError(f"compile: no output of {names} has a loss")
        weights = per_output(self.weights_spec, names, "loss_weights") \
            if self.weights_spec is not None else [1.0] * len(names)
        self.weights = [1.0 if w is None else float(w) for w in weights]
        self.names = names

    def check_targets(self, y_true, pred_shapes):
        """Host-side checks that the GPU could not report (sparse labels out of range)."""
        for fn, t, shape in zip(self.losses, y_true, pred_shapes):
            if fn is not None and getattr(fn, "fn", None) is losses.sparse_categorical_crossentropy:
                losses.check_sparse_labels(t, shape, f"loss of output {shape}")

    def __call__(self, y_true, y_pred, sample_weight):
        """(total weighted loss, [loss of each output, None where it has none])."""
        total, each = None, []
        for fn, w, t, p, sw in zip(self.losses, self.weights, y_true, y_pred, sample_weight):
            if fn is None:
                each.append(None)
                continue
            value = fn(t, p, sample_weight=sw)
            each.append(value)
            term = value if w == 1.0 else ops.mul(value, w)
            total = term if total is None else ops.add(total, term)
        return total, each


class MetricsContainer:
    def __init__(self, metrics=None, weighted_metrics=None):
        self.spec, self.weighted_spec = metrics, weighted_metrics
        self.names = None
        self.entries = []  # (output index, metric, weighted, log name)

    def build(self, names, y_true, y_pred, loss_fns):
        if self.names == names:
            return
        self.entries, used, seen = [], set(), set()
        for spec, weighted in ((self.spec, False), (self.weighted_spec, True)):
            if not spec:
                continue
            for i, group in enumerate(per_output(spec, names, "metrics")):
                group = group if isinstance(group, (list, tuple)) else (
                    [] if group is None else [group])
                for m in group:
                    metric = _resolve(m, loss_fns[i], y_true[i], y_pred[i])
                    if id(metric) in seen:  # one Metric object given for several outputs
                        metric = type(metric).from_config(metric.get_config())
                    seen.add(id(metric))
                    log = metric.name if len(names) == 1 else f"{names[i]}_{metric.name}"
                    if weighted and self.spec:
                        log = f"weighted_{log}"
                    base, k = log, 1
                    while log in used:
                        log, k = f"{base}_{k}", k + 1
                    used.add(log)
                    self.entries.append((i, metric, weighted, log))
        self.names = names

    def update(self, y_true, y_pred, sample_weight):
        for i, metric, weighted, _ in self.entries:
            metric.update_state(y_true[i], y_pred[i],
                                sample_weight=sample_weight[i] if weighted else None)

    @property
    def metrics(self):
        return [m for _, m, _, _ in self.entries]

    def results(self):
        return [(log, m.result()) for _, m, _, log in self.entries]


def _resolve(identifier, loss_fn, y_true, y_pred):
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        metric = _accuracy_for(loss_fn, y_true, y_pred)
        metric.name = identifier
        return metric
    metric = metrics_mod.get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def _accuracy_for(loss_fn, y_true, y_pred):
    """The accuracy that matches the loss (as Keras decides it), else guessed from shapes."""
    fn = getattr(loss_fn, "fn", None)
    if fn is losses.binary_crossentropy or fn is losses.hinge:
        return metrics_mod.BinaryAccuracy()
    if fn is losses.categorical_crossentropy:
        return metrics_mod.CategoricalAccuracy()
    if fn is losses.sparse_categorical_crossentropy:
        return metrics_mod.SparseCategoricalAccuracy()
    pred_shape, true_shape = list(y_pred.shape), list(np.shape(y_true))
    if pred_shape[-1] == 1:
        return metrics_mod.BinaryAccuracy()
    if len(true_shape) == len(pred_shape) and true_shape[-1] == pred_shape[-1]:
        return metrics_mod.CategoricalAccuracy()
    return metrics_mod.SparseCategoricalAccuracy()
