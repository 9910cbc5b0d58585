"""Turning fit/evaluate/predict arguments into batches of host arrays: checks sample counts,
splits off validation data, shuffles, converts class weights to sample weights, and unpacks
Dataset elements. Batches stay numpy until the training step uploads them."""
import math

import numpy as np

from ..data import Dataset
from ..layers.node import flatten
from ..tensor import Tensor


def to_host(data):
    """Arrays, Tensors and nested lists of numbers as numpy (float64 -> float32); lists,
    tuples and dicts of arrays keep their structure."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: to_host(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and any(
            isinstance(v, (np.ndarray, Tensor, dict)) for v in data):
        return [to_host(v) for v in data]  # several inputs/outputs (Keras convention)
    array = data.numpy() if isinstance(data, Tensor) else np.asarray(data)
    if array.dtype == object:
        raise ValueError("data: arrays of different shapes cannot be read as one array; pass "
                         "a list of arrays for several inputs/outputs")
    if array.dtype.kind in "USV":
        raise TypeError("data: strings are not supported as model inputs or targets")
    return array.astype(np.float32) if array.dtype == np.float64 else array


def leaves(structure):
    """flatten(structure) without its Nones: here None means "not given" (no targets, no
    weights, no loss for an output), so it is no leaf to count or resolve."""
    return [leaf for leaf in flatten(structure) if leaf is not None]


def take(structure, index):
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {k: take(v, index) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [take(v, index) for v in structure]
    return structure[index]


def num_samples(where, **named):
    """The common length of every array given, or a ValueError naming the mismatch."""
    counts = {}
    for name, structure in named.items():
        for i, leaf in enumerate(leaves(structure)):
            if np.ndim(leaf) == 0:
                raise ValueError(f"{where}: {name} must be arrays with a sample axis, got a "
                                 "scalar")
            counts[name if len(leaves(structure)) == 1 else f"{name}[{i}]"] = len(leaf)
    if len(set(counts.values())) > 1:
        desc = ", ".join(f"{k} has {v}" for k, v in counts.items())
        raise ValueError(f"{where}: inputs and targets must have the same number of samples: "
                         f"{desc}")
    return next(iter(counts.values())) if counts else 0


def split_validation(x, y, sample_weight, split, where="fit"):
    """(train, validation) with the last `split` fraction held out, before any shuffling."""
    if not 0.0 < split < 1.0:
        raise ValueError(f"{where}: validation_split must be in (0, 1), got {split!r}")
    n = num_samples(where, x=x, y=y, sample_weight=sample_weight)
    cut = math.floor(n * (1.0 - split))
    if cut == 0 or cut == n:
        raise ValueError(f"{where}: validation_split={split} of {n} samples leaves an empty "
                         "training or validation set")
    head, tail = slice(0, cut), slice(cut, n)
    return ((take(x, head), take(y, head), take(sample_weight, head)),
            (take(x, tail), take(y, tail), take(sample_weight, tail)))


def class_weight_to_sample_weight(y, class_weight, where="fit"):
    """Per-sample weights class_weight[class of the sample] (one-hot rows: their argmax)."""
    if isinstance(y, (list, dict)):
        raise ValueError(  # noqa: TRY004 - Keras raises ValueError here too
            f"{where}: class_weight needs a single output; use sample_weight for "
            "models with several outputs")
    y = np.asarray(y)
    one_hot = y.ndim >= 2 and y.shape[-1] > 1
    classes = np.argmax(y, axis=-1) if one_hot else y.reshape(len(y), -1)[:, 0]
    classes = np.round(classes).astype(np.int64)
    missing = sorted(set(np.unique(classes).tolist()) - {int(k) for k in class_weight})
    if missing:
        raise ValueError(f"{where}: class_weight has no weight for class(es) {missing}")
    lookup = {int(k): float(v) for k, v in class_weight.items()}
    return np.array([lookup[c] for c in classes], dtype=np.float32)


def array_batches(x, y, sample_weight, batch_size, order, max_steps=None):
    """Batches (x, y, sample_weight) of host arrays in `order` (sample indices)."""
    steps = -(-len(order) // batch_size)
    if max_steps is not None:
        steps = min(steps, max_steps)
    for step in range(steps):
        index = order[step * batch_size:(step + 1) * batch_size]
        yield take(x, index), take(y, index), take(sample_weight, index)


def unpack(element):
    """A Dataset element as (x, y, sample_weight): tuples of 1-3 items, anything else is x."""
    if isinstance(element, tuple):
        if not 1 <= len(element) <= 3:
            raise ValueError(f"Dataset elements for fit must be (x,), (x, y) or (x, y, "
                             f"sample_weight); got a tuple of {len(element)}")
        element = element + (None,) * (3 - len(element))
        return tuple(to_host(e) for e in element)
    return to_host(element), None, None


class DatasetBatches:
    """Epochs over a Dataset. Without steps_per_epoch each epoch is one fresh pass. With it,
    an epoch that is a whole pass (steps == cardinality) or a `fresh` reader (validation,
    evaluate, predict) restarts the Dataset each time, as tf.keras does; otherwise one
    running iterator continues across epochs, so an infinite repeat() streams through."""

    def __init__(self, dataset, steps_per_epoch=None, fresh=False):
        if not isinstance(dataset, Dataset):
            raise TypeError(f"expected a glflow.data.Dataset, got {type(dataset).__name__}")
        self.dataset, self.steps_per_epoch, self.fresh = dataset, steps_per_epoch, fresh
        self._iterator = None
        self.exhausted = False

    @property
    def steps(self):
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        n = self.dataset.cardinality()
        return None if n < 0 else n  # INFINITE was refused before; UNKNOWN runs one pass

    def epoch(self):
        if self.steps_per_epoch is None:
            for element in self.dataset:
                yield unpack(element)
            return
        if self.fresh or self.dataset.cardinality() == self.steps_per_epoch:
            self.close()
        if self._iterator is None:
            self._iterator = iter(self.dataset)
        for _ in range(self.steps_per_epoch):
            try:
                element = next(self._iterator)
            except StopIteration:
                self.exhausted = True
                return
            yield unpack(element)

    def close(self):
        # closing the generator stops a prefetch thread now rather than at garbage collection
        if self._iterator is not None and hasattr(self._iterator, "close"):
            self._iterator.close()
        self._iterator = None
