"""Input pipelines: Dataset.from_tensor_slices / from_generator, then map, batch, shuffle,
repeat, take, skip, prefetch. Elements are numpy arrays (or tuples/dicts of them): the
pipeline runs on the host and a model uploads each batch when it uses it.

A Dataset is a recipe: every `iter(ds)` starts over, so `fit` can run it once per epoch.
`cardinality()` is its number of elements, or INFINITE (`repeat()` without a count) or UNKNOWN
(a generator, a filter), with tf.data's values and rules, so fit/evaluate/predict can refuse an
endless Dataset without a step count instead of running forever.
`prefetch(n)` fills a bounded queue from a background thread; the thread stops as soon as the
iteration that started it ends (exhausted, broken out of, or garbage collected).
"""
import queue
import threading

import numpy as np

from .tensor import Tensor

_END = object()
INFINITE = INFINITE_CARDINALITY = -1  # tf.data's names and values
UNKNOWN = UNKNOWN_CARDINALITY = -2


def _leaves(element):
    if isinstance(element, dict):
        return [leaf for v in element.values() for leaf in _leaves(v)]
    if isinstance(element, tuple):
        return [leaf for v in element for leaf in _leaves(v)]
    return [element]


def _map_leaves(fn, element):
    if isinstance(element, dict):
        return {k: _map_leaves(fn, v) for k, v in element.items()}
    if isinstance(element, tuple):
        return tuple(_map_leaves(fn, v) for v in element)
    return fn(element)


def _as_array(value):
    if isinstance(value, Tensor):
        return value.numpy()
    return np.asarray(value)


class Dataset:
    """An iterable pipeline; `make_iterator()` returns a fresh Python iterator each time."""

    def __init__(self, make_iterator, length=UNKNOWN):
        self._make_iterator = make_iterator
        self._length = length  # number of elements, INFINITE or UNKNOWN

    def __iter__(self):
        return iter(self._make_iterator())

    def __len__(self):
        if self._length == INFINITE:
            raise TypeError("Dataset: the dataset is infinite (repeat() without a count)")
        if self._length == UNKNOWN:
            raise TypeError("Dataset: the length is unknown (a generator or filter); iterate "
                            "it instead")
        return self._length

    def cardinality(self):
        """The number of elements, or INFINITE (-1) or UNKNOWN (-2), as tf.data."""
        return self._length

    def as_numpy_iterator(self):
        return iter(self)

    # ------------------------------------------------------------------ sources
    @staticmethod
    def from_tensor_slices(data):
        """One element per row of the leading axis; tuples and dicts keep their structure
        (a list is one array, as in tf.data)."""
        data = _map_leaves(_as_array, data if not isinstance(data, list) else np.asarray(data))
        leaves = _leaves(data)
        lengths = {leaf.shape[0] if leaf.ndim else None for leaf in leaves}
        if None in lengths:
            raise ValueError("Dataset.from_tensor_slices: every array needs a leading axis to "
                             "slice; got a scalar")
        if len(lengths) != 1:
            shapes = [list(leaf.shape) for leaf in leaves]
            raise ValueError(f"Dataset.from_tensor_slices: arrays must have the same length on "
                             f"axis 0, got shapes {shapes}")
        n = lengths.pop()

        def rows():
            for i in range(n):
                yield _map_leaves(lambda a, i=i: a[i], data)
        return Dataset(rows, n)

    @staticmethod
    def from_generator(generator, output_signature=None):
        """Elements from `generator()` (a callable, called afresh for each iteration)."""
        if not callable(generator):
            raise TypeError("Dataset.from_generator: pass a callable that returns an iterator "
                            f"(e.g. the generator function itself), got {type(generator).__name__}")
        return Dataset(lambda: (_map_leaves(np.asarray, e) for e in generator()))

    @staticmethod
    def range(*args):
        """int64 scalars start, start + step, ... below stop, made one at a time (a range of
        10**18 elements costs nothing until read)."""
        r = range(*args)
        # len(r) overflows past sys.maxsize; ceil((stop - start) / step) does not
        length = max(0, -((r.start - r.stop) // r.step))
        return Dataset(lambda: (np.int64(i) for i in r), length)

    # ------------------------------------------------------------------ transformations
    def map(self, fn):
        """fn(element), with a tuple element unpacked into arguments (tf.data convention)."""
        def mapped():
            for e in self:
                yield fn(*e) if isinstance(e, tuple) else fn(e)
        return Dataset(mapped, self._length)

    def filter(self, predicate):
        """The elements for which predicate is true; an infinite source stays infinite (it
        never ends), any other gives an unknown count."""
        def kept():
            for e in self:
                if bool(predicate(*e) if isinstance(e, tuple) else predicate(e)):
                    yield e
        return Dataset(kept, INFINITE if self._length == INFINITE else UNKNOWN)

    def batch(self, batch_size, drop_remainder=False):
        """Stack consecutive elements along a new leading axis."""
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError("Dataset.batch: batch_size must be a positive int, got "
                             f"{batch_size!r}")

        def batches():
            pending = []
            for e in self:
                pending.append(e)
                if len(pending) == batch_size:
                    yield _stack(pending)
                    pending = []
            if pending and not drop_remainder:
                yield _stack(pending)
        n = self._length
        length = n if n < 0 else (n // batch_size if drop_remainder else -(-n // batch_size))
        return Dataset(batches, length)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Sample uniformly from a buffer of `buffer_size` elements, refilled as it empties.
        A seed makes the order reproducible; the k-th iteration then uses the k-th order."""
        if not isinstance(buffer_size, (int, np.integer)) or buffer_size < 1:
            raise ValueError(f"Dataset.shuffle: buffer_size must be a positive int, got "
                             f"{buffer_size!r}")
        master = np.random.default_rng(seed)
        fixed_seed = int(master.integers(2 ** 63 - 1))

        def shuffled():
            rng = np.random.default_rng(int(master.integers(2 ** 63 - 1))
                                        if reshuffle_each_iteration else fixed_seed)
            buffer = []
            for e in self:
                buffer.append(e)
                if len(buffer) == buffer_size:
                    i = int(rng.integers(len(buffer)))
                    buffer[i], buffer[-1] = buffer[-1], buffer[i]
                    yield buffer.pop()
            while buffer:
                i = int(rng.integers(len(buffer)))
                buffer[i], buffer[-1] = buffer[-1], buffer[i]
                yield buffer.pop()
        return Dataset(shuffled, self._length)

    def repeat(self, count=None):
        """Iterate `count` times (forever when None)."""
        if count is not None and count < 0:
            count = None

        def repeated():
            done = 0
            while count is None or done < count:
                empty = True
                for e in self:
                    empty = False
                    yield e
                done += 1
                if empty:
                    return
        n = self._length
        if count is None:  # tf.data: endless unless the source is known to be empty
            length = 0 if n == 0 else INFINITE
        else:
            length = n if n < 0 else n * count
        return Dataset(repeated, length)

    def take(self, count):
        if count < 0:  # tf.data reads a negative count as "all elements"
            return Dataset(lambda: iter(self), self._length)

        def taken():
            if count <= 0:
                return
            for i, e in enumerate(self):
                yield e
                if i + 1 >= count:
                    return
        # an unknown source length may be shorter than count, so the length stays unknown
        n = self._length
        if n == UNKNOWN:
            length = UNKNOWN
        else:
            length = count if n == INFINITE else min(count, n)
        return Dataset(taken, length)

    def skip(self, count):
        def skipped():
            for i, e in enumerate(self):
                # tf.data reads a negative count as "all elements": skip them all
                if 0 <= count <= i:
                    yield e
        n = self._length
        if count < 0:
            return Dataset(skipped, 0)
        return Dataset(skipped, n if n < 0 else max(n - count, 0))

    def prefetch(self, buffer_size=1):
        """Produce up to `buffer_size` elements ahead on a background thread."""
        if not isinstance(buffer_size, (int, np.integer)) or buffer_size < 1:
            raise ValueError(f"Dataset.prefetch: buffer_size must be a positive int, got "
                             f"{buffer_size!r}")
        return Dataset(lambda: _prefetched(self, buffer_size), self._length)


def _stack(elements):
    first = elements[0]
    if isinstance(first, dict):
        return {k: _stack([e[k] for e in elements]) for k in first}
    if isinstance(first, tuple):
        return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
    try:
        return np.stack([_as_array(e) for e in elements])
    except ValueError as exc:
        shapes = sorted({tuple(np.shape(e)) for e in elements})
        raise ValueError(f"Dataset.batch: elements have different shapes {shapes}; they "
                         "must match to be stacked") from exc


def _prefetched(dataset, buffer_size):
    items = queue.Queue(maxsize=buffer_size)
    stop = threading.Event()

    def produce():
        try:
            for e in dataset:
                while not stop.is_set():
                    try:
                        items.put((e, None), timeout=0.05)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            outcome = (_END, None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            outcome = (_END, exc)
        while not stop.is_set():
            try:
                items.put(outcome, timeout=0.05)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="glflow-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            element, error = items.get()
            if element is _END:
                if error is not None:
                    raise error
                return
            yield element
    finally:
        stop.set()
        worker.join(timeout=5.0)
