"""compile / fit / evaluate / predict and the *_on_batch methods (mixed into Model).

One training step: forward under a GradientTape -> weighted losses + regularisation ->
gradients of the trainable weights -> optimizer.apply_gradients -> metric updates
(no_record). The running results are read back from the GPU once per step, as one
concatenated tensor.

By default the steps of fit, evaluate and predict are compiled with gf.function
(glflow/graph/): traced once per batch signature, optimised and fused, then replayed with no
per-op Python; `compile(run_eagerly=True)` (or `model.run_eagerly = True`) runs them op by op
instead, inside `tidy` so every intermediate texture is released. Both give the same results.
"""
import sys
import warnings

import numpy as np

from .. import losses, ops, optimizers
from ..autodiff import no_record
from ..tensor import tidy
from .. import metrics as metrics_mod
from ..autodiff import GradientTape
from ..callbacks import CallbackList, History, ProgbarLogger
from ..callbacks.progbar import format_logs
from ..data import INFINITE, Dataset
from ..graph import function
from ..layers.base import to_tensors
from ..layers.node import flatten
from . import dask_arrays, data_adapter as da
from .compile_utils import LossContainer, MetricsContainer, match_structure, output_names_for


class Trainer:
    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._compile_config = None
        self._loss_container = self._metric_container = None
        self._trackers = {}
        self.run_eagerly = False
        self._step_functions = {}

    def __getstate__(self):
        """Pickles and deep copies leave the compiled steps behind: they are this process's
        traced graphs and GL programs; a copy traces its own on first use."""
        state = self.__dict__.copy()
        state["_step_functions"] = {}
        return state

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, jit_compile=None):
        """Choose the optimizer, loss(es) and metrics. Names are checked now, so a typo fails
        here and not in the middle of fit. fit, evaluate and predict compile their step
        (gf.function) unless run_eagerly=True; jit_compile is accepted for Keras
        compatibility (compiling is the default)."""
        self.optimizer = optimizers.get(optimizer)
        for item in da.leaves(loss):
            losses.get(item)
        for item in da.leaves(metrics) + da.leaves(weighted_metrics):
            if item not in ("accuracy", "acc"):
                metrics_mod.get(item)
        self._loss_container = LossContainer(loss, loss_weights)
        self._metric_container = MetricsContainer(metrics, weighted_metrics)
        self._trackers = {}
        self._compile_config = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                                "weighted_metrics": weighted_metrics}
        self.run_eagerly = bool(run_eagerly)
        self._step_functions = {}  # traced for the new optimizer, losses and metrics
        self.compiled = True

    def _require_compiled(self, where):
        if not self.compiled:
            raise RuntimeError(f"{type(self).__name__}.{where}: call compile(optimizer, loss) "
                               "first")

    @property
    def metrics(self):
        trackers = list(self._trackers.values())
        return trackers + (self._metric_container.metrics if self._metric_container else [])

    @property
    def metrics_names(self):
        return [name for name, _ in self._named_results()]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # ------------------------------------------------------------------ one step
    def _forward_loss(self, x, y, sample_weight, training):
        """(flat predictions, flat targets, flat weights, total loss, per-output losses)."""
        y_pred = self(to_tensors(x, self.name), training=training)
        flat_pred = flatten(y_pred)
        names = output_names_for(self, len(flat_pred))
        self._loss_container.build(names)
        if y is None:
            raise ValueError(f"{self.name}: targets y are required to compute the loss")
        y_flat = match_structure(y, names, "targets y")
        # Host labels are checked here; a compiled step gets tensors and checks the host
        # arrays against these shapes before it runs (_run_compiled).
        self._pred_shapes = [p.shape for p in flat_pred]
        self._loss_container.check_targets(y_flat, self._pred_shapes)
        sw_flat = (match_structure(sample_weight, names, "sample_weight")
                   if isinstance(sample_weight, (list, dict)) else [sample_weight] * len(names))
        y_t = [to_tensors(v, "targets y") for v in y_flat]
        sw_t = [None if w is None else to_tensors(w, "sample_weight") for w in sw_flat]
        total, each = self._loss_container(y_t, flat_pred, sw_t)
        regularization = self.losses
        if regularization:
            total = ops.add(total, ops.add_n([ops.reshape(r, []) for r in regularization]))
        return flat_pred, y_flat, y_t, sw_t, names, total, each

    def _track_losses(self, names, total, each, batch):
        with no_record():
            self._tracker("loss").update_state(total, sample_weight=float(batch))
            if len(names) > 1:
                for name, value in zip(names, each):
                    if value is not None:
                        self._tracker(f"{name}_loss").update_state(value,
                                                                   sample_weight=float(batch))

    def _tracker(self, name):
        if name not in self._trackers:
            self._trackers[name] = metrics_mod.Mean(name=name)
        return self._trackers[name]

    def _update_metrics(self, names, y_flat, y_t, flat_pred, sw_t):
        self._metric_container.build(names, y_flat, flat_pred, self._loss_container.losses)
        with no_record():
            self._metric_container.update(y_t, flat_pred, sw_t)

    def train_step(self, x, y, sample_weight=None):
        """One optimisation step on one batch of host arrays; returns the running logs."""
        if not self.run_eagerly:
            return self._run_compiled("train", self._train_results, x, y, sample_weight)
        with tidy():
            self._train(x, y, sample_weight)
            return self._read_logs()

    def test_step(self, x, y, sample_weight=None):
        if not self.run_eagerly:
            return self._run_compiled("test", self._test_results, x, y, sample_weight)
        with tidy(), no_record():
            self._test(x, y, sample_weight)
            return self._read_logs()

    def predict_step(self, x):
        if not self.run_eagerly:
            outs = self._compiled("predict", self._predict)(to_tensors(x, self.name))
            return [t.numpy() for t in outs]
        with tidy(), no_record():
            return [t.numpy() for t in self._predict(to_tensors(x, self.name))]

    # ------------------------------------------------------------------ step bodies
    # Each runs eagerly (run_eagerly) or is traced once per batch signature by gf.function.
    def _train(self, x, y, sample_weight):
        with GradientTape() as tape:
            flat_pred, y_flat, y_t, sw_t, names, total, each = self._forward_loss(
                x, y, sample_weight, training=True)
        weights = self.trainable_weights
        if not weights:
            raise ValueError(f"{self.name}: the model has no trainable weights to fit")
        grads = tape.gradient(total, weights)
        if all(g is None for g in grads):
            raise ValueError(f"{self.name}: the loss does not depend on any trainable "
                             "weight (no gradients)")
        self.optimizer.apply_gradients(zip(grads, weights))
        self._track_losses(names, total, each, _batch_size(flat_pred))
        self._update_metrics(names, y_flat, y_t, flat_pred, sw_t)

    def _test(self, x, y, sample_weight):
        flat_pred, y_flat, y_t, sw_t, names, total, each = self._forward_loss(
            x, y, sample_weight, training=False)
        self._track_losses(names, total, each, _batch_size(flat_pred))
        self._update_metrics(names, y_flat, y_t, flat_pred, sw_t)

    def _predict(self, x):
        with no_record():
            return flatten(self(x, training=False))

    def _train_results(self, x, y, sample_weight):
        self._train(x, y, sample_weight)
        return self._results()

    def _test_results(self, x, y, sample_weight):
        with no_record():
            self._test(x, y, sample_weight)
            return self._results()

    def _compiled(self, kind, body):
        fn = self._step_functions.get(kind)
        if fn is None:
            fn = self._step_functions[kind] = function(body, name=f"{self.name}_{kind}_step")
        return fn

    def _run_compiled(self, kind, body, x, y, sample_weight):
        fn = self._compiled(kind, body)
        args = self._step_tensors(x, y, sample_weight)
        fn.get_concrete_function(*args)  # traced now for a new batch signature
        if y is not None:  # the host labels, checked before the graph runs
            names = self._loss_container.names
            self._loss_container.check_targets(match_structure(y, names, "targets y"),
                                               self._pred_shapes)
        return _logs(*fn(*args))

    def _step_tensors(self, x, y, sample_weight):
        """A batch's host arrays as tensors: a compiled step takes tensors (by shape)."""
        return (to_tensors(x, self.name), None if y is None else to_tensors(y, "targets y"),
                None if sample_weight is None else to_tensors(sample_weight, "sample_weight"))

    def _named_results(self):
        pairs = [(name, m.result()) for name, m in self._trackers.items()]
        if self._metric_container is not None:
            pairs += self._metric_container.results()
        return pairs

    def _results(self):
        """(every running result as one flat tensor or None, [(name, size, rank)])."""
        with no_record():
            pairs = self._named_results()
            if not pairs:
                return None, []
            flat = ops.concat([ops.reshape(r, [-1]) for _, r in pairs], 0)
        return flat, [(name, r.size, r.rank) for name, r in pairs]

    def _read_logs(self):
        """Every running result, read from the GPU in one transfer."""
        with tidy():
            return _logs(*self._results())

    # ------------------------------------------------------------------ loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for `epochs` passes over the data; returns a History. Shuffling draws from
        glflow's global generator, so gf.set_seed(n) makes a run repeatable."""
        self._require_compiled("fit")
        verbose = 1 if verbose == "auto" else int(verbose)
        train = self._batches("fit", x, y, sample_weight, class_weight, batch_size, shuffle,
                              steps_per_epoch, validation_split)
        val = None
        if validation_data is not None:
            if validation_split:
                raise ValueError("fit: give validation_data or validation_split, not both")
            if isinstance(validation_data, Dataset):
                vx, vy, vw = validation_data, None, None
            elif isinstance(validation_data, (list, tuple)) and len(validation_data) in (2, 3):
                vx, vy, vw = (list(validation_data) + [None])[:3]
            else:
                raise ValueError("fit: validation_data must be (x, y), (x, y, sample_weight) "
                                 "or a Dataset")
            val = self._batches("fit (validation_data)", vx, vy, vw, None,
                                validation_batch_size or batch_size, False, validation_steps)
        elif validation_split:
            val = train.validation
        self.history = History()
        cbs = CallbackList(list(callbacks or []) + ([ProgbarLogger(verbose)] if verbose else [])
                           + [self.history], self,
                           {"epochs": epochs, "steps": train.steps, "verbose": verbose})
        self.stop_training = False
        logs, total = {}, 0
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            logs, ran = {}, 0
            for step, (xb, yb, wb) in enumerate(train.epoch()):
                cbs.on_train_batch_begin(step)
                logs = self.train_step(xb, yb, wb)
                ran += 1
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            total += ran
            if train.exhausted:  # a steps_per_epoch run used up a finite Dataset: say so
                warnings.warn(f"fit: the training data ran out after {total} of "
                              f"{(epochs - initial_epoch) * train.steps} steps "
                              f"({epochs - initial_epoch} epochs x steps_per_epoch="
                              f"{train.steps}); training stopped early. Use "
                              "dataset.repeat() or fewer steps_per_epoch.", stacklevel=2)
            if ran == 0:
                if train.exhausted:
                    break
                raise ValueError("fit: the training data produced no batches")
            logs = dict(logs)
            if val is not None and not self.stop_training and _validates(epoch, validation_freq):
                val_logs, _ = self._run_test(val, cbs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training or train.exhausted:
                break
        cbs.on_train_end(logs)
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics over the data: a number (loss only), a list [loss, metric, ...]
        or, with return_dict, a dict. verbose=1 (the default, as in Keras) or 2 prints them
        on one line: `8/8 - loss: 0.1234 - accuracy: 0.9500`."""
        self._require_compiled("evaluate")
        data = self._batches("evaluate", x, y, sample_weight, None, batch_size, False, steps)
        verbose = 1 if verbose == "auto" else int(verbose)
        cbs = CallbackList(list(callbacks or []), self, {"steps": data.steps, "verbose": verbose})
        logs, ran = self._run_test(data, cbs)
        if not logs:  # fit and predict refuse empty data too; [] would read as a result
            raise ValueError("evaluate: the data produced no batches (no samples, steps=0 or "
                             "an empty Dataset)")
        if verbose:
            print(f"{ran}/{ran} - {format_logs(logs)}", file=sys.stdout)
        return _as_result(logs, return_dict)

    def _run_test(self, data, cbs):
        """(the final logs, the number of batches run)."""
        self.reset_metrics()
        cbs.on_test_begin()
        logs, ran = {}, 0
        for step, (xb, yb, wb) in enumerate(data.epoch()):
            cbs.on_test_batch_begin(step)
            logs = self.test_step(xb, yb, wb)
            ran += 1
            cbs.on_test_batch_end(step, logs)
        cbs.on_test_end(logs)
        return logs, ran

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Model outputs as numpy arrays (a list for several outputs); for a dask array, dask
        arrays, computed chunk by chunk when the caller computes them."""
        if dask_arrays.is_dask_array(x):
            return dask_arrays.predict(self, x, batch_size)
        data = self._batches("predict", x, None, None, None, batch_size, False, steps)
        cbs = CallbackList(list(callbacks or []), self, {"steps": data.steps, "verbose": verbose})
        cbs.on_predict_begin()
        parts = []
        for step, (xb, _, _) in enumerate(data.epoch()):
            cbs.on_predict_batch_begin(step)
            parts.append(self.predict_step(xb))
            cbs.on_predict_batch_end(step, {})
        cbs.on_predict_end()
        if not parts:
            raise ValueError("predict: the data produced no batches")
        outs = [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]
        return outs[0] if len(outs) == 1 else outs

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        self._require_compiled("train_on_batch")
        x, y, sample_weight = self._checked_batch("train_on_batch", x, y, sample_weight,
                                                  class_weight)
        if reset_metrics:
            self.reset_metrics()
        return _as_result(self.train_step(x, y, sample_weight), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._checked_batch("test_on_batch", x, y, sample_weight, None)
        if reset_metrics:
            self.reset_metrics()
        return _as_result(self.test_step(x, y, sample_weight), return_dict)

    def predict_on_batch(self, x):
        outs = self.predict_step(da.to_host(x))
        return outs[0] if len(outs) == 1 else outs

    # ------------------------------------------------------------------ data
    def _checked_batch(self, where, x, y, sample_weight, class_weight):
        x, y, sample_weight = da.to_host(x), da.to_host(y), da.to_host(sample_weight)
        da.num_samples(where, x=x, y=y, sample_weight=sample_weight)
        if class_weight is not None:
            sample_weight = _with_class_weight(y, sample_weight, class_weight, where)
        return x, y, sample_weight

    def _batches(self, where, x, y, sample_weight, class_weight, batch_size, shuffle, steps,
                 validation_split=0.0):
        if x is None:
            raise ValueError(f"{where}: no input data x")
        if isinstance(x, Dataset):
            if y is not None or sample_weight is not None:
                raise ValueError(f"{where}: with a Dataset, targets and weights come from its "
                                 "elements; do not pass y or sample_weight")
            if batch_size is not None:
                raise ValueError(f"{where}: a Dataset is already batched; do not pass "
                                 "batch_size (use dataset.batch(n))")
            if validation_split:
                raise ValueError(f"{where}: validation_split cannot split a Dataset; pass "
                                 "validation_data")
            if class_weight is not None:
                raise ValueError(f"{where}: class_weight works with arrays; put weights in the "
                                 "Dataset elements instead")
            if steps is None and x.cardinality() == INFINITE:  # it would never end
                argument = {"fit": "steps_per_epoch",
                            "fit (validation_data)": "validation_steps"}.get(where, "steps")
                raise ValueError(f"{where}: the Dataset is infinite (repeat() without a "
                                 f"count); pass {argument} to say how many batches to use")
            # only fit's training data keeps one iterator across epochs; validation,
            # evaluate and predict read from the start every time
            return _DatasetEpochs(da.DatasetBatches(x, steps, fresh=where != "fit"))
        batch_size = 32 if batch_size is None else batch_size
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"{where}: batch_size must be a positive int, got {batch_size!r}")
        # class weights are folded in only after the split: Keras weights the training
        # part alone, so val_loss stays comparable with evaluate on the held-out rows
        x, y, sample_weight = self._checked_batch(where, x, y, sample_weight, None)
        validation = None
        if validation_split:
            (x, y, sample_weight), held = da.split_validation(x, y, sample_weight,
                                                              validation_split, where)
            validation = _ArrayEpochs(*held, batch_size, False, None)
        if class_weight is not None:
            sample_weight = _with_class_weight(y, sample_weight, class_weight, where)
        epochs = _ArrayEpochs(x, y, sample_weight, batch_size, shuffle, steps)
        epochs.validation = validation
        return epochs


class _ArrayEpochs:
    def __init__(self, x, y, sample_weight, batch_size, shuffle, max_steps):
        self.x, self.y, self.sw = x, y, sample_weight
        self.n = da.num_samples("data", x=x, y=y, sample_weight=sample_weight)
        self.batch_size, self.shuffle, self.max_steps = batch_size, shuffle, max_steps
        self.exhausted = False
        self.validation = None
        self._rng = None
        if shuffle:  # one draw from glflow's global generator seeds this run's orders
            seed = int(ops.random_uniform([], 0, 2 ** 24).item())
            self._rng = np.random.default_rng(seed)

    @property
    def steps(self):
        steps = -(-self.n // self.batch_size)
        return steps if self.max_steps is None else min(steps, self.max_steps)

    def epoch(self):
        order = self._rng.permutation(self.n) if self._rng is not None else np.arange(self.n)
        return da.array_batches(self.x, self.y, self.sw, self.batch_size, order, self.max_steps)


class _DatasetEpochs:
    def __init__(self, batches):
        self.batches = batches
        self.validation = None

    @property
    def steps(self):
        return self.batches.steps

    @property
    def exhausted(self):
        return self.batches.exhausted

    def epoch(self):
        return self.batches.epoch()


def _with_class_weight(y, sample_weight, class_weight, where):
    cw = da.class_weight_to_sample_weight(y, class_weight, where)
    if sample_weight is None:
        return cw
    # a column (n, 1) times a vector (n,) would broadcast to (n, n): match the rank first
    cw = cw.reshape((-1,) + (1,) * (np.ndim(sample_weight) - 1))
    return sample_weight * cw


def _validates(epoch, validation_freq):
    """Keras's validation_freq: an int n (every n-th epoch) or a collection of 1-based
    epoch numbers."""
    if isinstance(validation_freq, (int, np.integer)):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


def _logs(flat, layout):
    """{name: float or array} from the flat results tensor and its (name, size, rank) list."""
    if flat is None:
        return {}
    values = flat.numpy()
    logs, at = {}, 0
    for name, size, rank in layout:
        part = values[at:at + size]
        at += size
        logs[name] = float(part[0]) if rank == 0 else part.copy()
    return logs


def _batch_size(flat_pred):
    return flat_pred[0].shape[0] if flat_pred and flat_pred[0].rank else 1


def _as_result(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
