"""gf.data Datasets read by a TF1 graph: `make_one_shot_iterator(dataset).get_next()` gives
graph tensors holding the next element on every run, and OutOfRangeError once the dataset is
done (TF1's `tf.compat.v1.data.make_one_shot_iterator`); `make_initializable_iterator` also
has an `initializer` operation that starts the dataset over.

`get_next()` is a "host" operation (glflow/tf1/runs.py): the dataset's Python pipeline runs
on the host before the compiled segment that uses the element. Static shapes come from the
dataset's first element with the first dimension unknown (a batch may be smaller at the end;
`set_shape` pins it). The position in the dataset belongs to the iterator object. Outside a
graph, `get_next()` returns the next element as tensors at once.
"""
import threading

import numpy as np

from .. import errors, ops
from ..runtime import dtypes
from . import recording
from .graph import HOST, Operation, building_graph, get_default_graph
from .shapes import TensorShape


class GetNextOp(Operation):
    def __init__(self, graph, iterator, specs, name):
        super().__init__(graph, "IteratorGetNext", name, (), (), specs, HOST)
        self.iterator = iterator

    def run_host(self, values, run):
        return self.iterator._next_arrays()


class InitializerOp(Operation):
    def __init__(self, graph, iterator, name):
        super().__init__(graph, "MakeIterator", name, (), (), [], HOST)
        self.iterator = iterator

    def run_host(self, values, run):
        self.iterator._restart()
        return []


class Iterator:
    """Reads a dataset element by element (see the module docstring)."""

    def __init__(self, dataset, initializable, graph):
        if not hasattr(dataset, "__iter__"):
            raise TypeError(f"make_iterator: expected a gf.data Dataset (or another iterable), "
                            f"got {type(dataset).__name__}")
        self._dataset = dataset
        self._graph = graph
        self._initializable = initializable
        self._python = None
        self._lock = threading.Lock()
        self._template, first = _flatten(next(iter(dataset), None), dataset)
        self._dtypes = [_dtype(a) for a in first]
        self._shapes = [TensorShape([None] + list(np.shape(a))[1:]) if np.ndim(a) else
                        TensorShape([]) for a in first]
        self.initializer = InitializerOp(graph, self, "MakeIterator") \
            if initializable and graph is not None else None

    @property
    def output_types(self):
        return _rebuild(self._template, self._dtypes)

    @property
    def output_shapes(self):
        return _rebuild(self._template, self._shapes)

    def get_next(self, name=None):
        """The next element: graph tensors in a graph (read on each run), else tensors now."""
        if self._graph is None:
            with recording.suspended():
                tensors = [ops.tensor(a, dtype=d)
                           for a, d in zip(self._next_arrays(), self._dtypes)]
            return _rebuild(self._template, tensors)
        op = GetNextOp(self._graph, self, list(zip(self._shapes, self._dtypes)),
                       name or "IteratorGetNext")
        return _rebuild(self._template, op.outputs)

    def _restart(self):
        with self._lock:
            self._python = iter(self._dataset)

    def _next_arrays(self):
        with self._lock:
            if self._python is None:
                if self._initializable and self._graph is not None:
                    raise errors.FailedPreconditionError(
                        None, None, "GetNext() failed because the iterator has not been "
                        "initialized: run its initializer first")
                self._python = iter(self._dataset)
            try:
                element = next(self._python)
            except StopIteration:
                raise errors.OutOfRangeError(None, None, "End of sequence") from None
        _, arrays = _flatten(element, self._dataset)
        return [np.asarray(a).astype(dtypes.numpy_dtype(d), copy=False)
                for a, d in zip(arrays, self._dtypes)]

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.get_next()
        except errors.OutOfRangeError:
            raise StopIteration from None


def make_one_shot_iterator(dataset):
    """An iterator over the dataset, started on its first use."""
    return Iterator(dataset, False, building_graph())


def make_initializable_iterator(dataset, shared_name=None):
    """An iterator with an `initializer` operation that (re)starts the dataset."""
    return Iterator(dataset, True, building_graph() or get_default_graph())


def _flatten(element, dataset):
    """(template, leaves) of a dataset element: tuples and dicts of arrays."""
    if element is None:
        raise ValueError(f"make_iterator: the dataset {dataset!r} has no elements")
    leaves = []

    def walk(e):
        if isinstance(e, tuple):
            return tuple(walk(v) for v in e)
        if isinstance(e, dict):
            return {k: walk(v) for k, v in e.items()}
        leaves.append(e.numpy() if hasattr(e, "numpy") else e)
        return len(leaves) - 1
    return walk(element), leaves


def _rebuild(template, values):
    if isinstance(template, tuple):
        return tuple(_rebuild(v, values) for v in template)
    if isinstance(template, dict):
        return {k: _rebuild(v, values) for k, v in template.items()}
    return values[template]


def _dtype(array):
    return dtypes.infer(np.asarray(array))


__all__ = ["make_one_shot_iterator", "make_initializable_iterator", "Iterator"]
