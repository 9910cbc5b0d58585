"""Queues, as TensorFlow 1 used them to separate reading data from computing on it.

    q = gf.FIFOQueue(capacity=100, dtypes=["float32", "int32"], shapes=[[784], []])
    enqueue = q.enqueue_many([images, labels])      # reader threads run this
    x, y = q.dequeue_many(32)                       # the training step reads a batch

A queue holds elements (one numpy array per component) on the host. `enqueue` blocks while
the queue is full, `dequeue` while it holds too few elements; `close()` lets no more in, and a
dequeue that can no longer be served raises OutOfRangeError (what ends a reader loop), while
`close(cancel_pending_enqueues=True)` also fails the enqueues still waiting (CancelledError).
Waits are bounded by the run's deadline (RunOptions(timeout_in_ms) or ConfigProto's
operation_timeout_in_ms): DeadlineExceededError.

Made while a TF1 graph is built, a queue's methods return graph operations and tensors that
run as "host" operations between compiled segments (glflow/tf1/runs.py), so a blocked queue
never holds the GL context and reader threads and the training thread run side by side.
Made outside any graph, the queue works eagerly, as TensorFlow 2's do: `enqueue` runs at
once and `dequeue` returns tensors. A queue's contents belong to the queue object (shared by
every session that runs its graph).

RandomShuffleQueue dequeues a random element (numpy's generator, seeded by `seed`) and keeps
at least `min_after_dequeue` elements until it is closed, so its output is mixed.
"""
import threading
import time

import numpy as np

from .. import errors, ops
from ..runtime import dtypes as glflow_dtypes
from ..tensor import Tensor
from . import recording
from .graph import HOST, GraphTensor, Operation, building_graph
from .shapes import TensorShape
from .variables import as_graph_tensor


class _Store:
    """The elements and the waiting: one condition variable guards everything."""

    def __init__(self, kind, name, capacity):
        self.kind = kind
        self.name = name
        self.capacity = capacity
        self.items = []
        self.closed = False
        self.cancelled = False
        self.cond = threading.Condition()

    def _wait(self, ready, deadline, what):
        while not ready():
            if deadline is None:
                self.cond.wait()
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.DeadlineExceededError(
                    None, None, f"{self.kind} {self.name!r}: timed out waiting to {what}")
            self.cond.wait(left)

    def put(self, elements, deadline):
        with self.cond:
            if self.closed:
                raise errors.CancelledError(None, None, f"{self.kind} {self.name!r} is closed.")
            for element in elements:
                self._wait(lambda: self.cancelled or len(self.items) < self.capacity,
                           deadline, "enqueue into a full queue")
                if self.cancelled:
                    raise errors.CancelledError(
                        None, None, f"Enqueue operation was cancelled: {self.kind} "
                        f"{self.name!r} was closed with cancel_pending_enqueues")
                self.items.append(element)
                self.cond.notify_all()

    def take(self, n, deadline, keep, pick, allow_smaller=False):
        """n elements (fewer, with allow_smaller, once closed); `keep` must stay while open."""
        with self.cond:
            self._wait(lambda: self.closed or len(self.items) >= n + keep, deadline,
                       f"dequeue {n} element(s)")
            if len(self.items) < n:
                if not (allow_smaller and self.items):
                    raise errors.OutOfRangeError(
                        None, None, f"{self.kind} {self.name!r} is closed and has insufficient "
                        f"elements (requested {n}, current size {len(self.items)})")
                n = len(self.items)
            taken = [self.items.pop(pick(len(self.items))) for _ in range(n)]
            self.cond.notify_all()
            return taken

    def close(self, cancel):
        with self.cond:
            self.closed = True
            self.cancelled = self.cancelled or cancel
            self.cond.notify_all()

    def size(self):
        with self.cond:
            return len(self.items)


class QueueOp(Operation):
    """One queue method as a host operation: `action(values, deadline)` -> arrays."""

    def __init__(self, graph, op_type, name, inputs, out_specs, action):
        super().__init__(graph, op_type, name, inputs, (), out_specs, HOST)
        self.action = action

    def run_host(self, values, run):
        return self.action(values, run.deadline)


class QueueBase:
    """What FIFOQueue and RandomShuffleQueue share (see the module docstring)."""
    KIND = "Queue"

    def __init__(self, capacity, dtypes, shapes, names, name):
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"{self.KIND}: capacity must be an int >= 1, got {capacity!r}")
        self._dtypes = [glflow_dtypes.normalize(d, self.KIND) for d in _as_list(dtypes)]
        if not self._dtypes:
            raise ValueError(f"{self.KIND}: dtypes must name at least one component")
        if shapes is None:
            self._shapes = None
        else:
            shapes = list(shapes)
            if shapes and not isinstance(shapes[0], (list, tuple, TensorShape)) and \
                    len(self._dtypes) == 1:
                shapes = [shapes]
            self._shapes = [TensorShape(s) for s in shapes]
            if len(self._shapes) != len(self._dtypes):
                raise ValueError(f"{self.KIND}: {len(self._shapes)} shapes for "
                                 f"{len(self._dtypes)} dtypes")
            for s in self._shapes:
                if not s.is_fully_defined():
                    raise ValueError(f"{self.KIND}: shapes must be fully defined, got {s}")
        if names is not None:
            raise NotImplementedError(f"{self.KIND}: named components are not supported")
        self._graph = building_graph()
        self.name = self._graph.unique_name(name) if self._graph is not None else name
        self._store = _Store(self.KIND, self.name, capacity)

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return None if self._shapes is None else list(self._shapes)

    # ------------------------------------------------------------------ the methods
    def enqueue(self, vals, name=None):
        """Add one element (one value per component); blocks while the queue is full."""
        return self._method("QueueEnqueue", name, _as_list(vals), [],
                            lambda values, deadline: self._put(values, deadline, many=False))

    def enqueue_many(self, vals, name=None):
        """Add the elements along axis 0 of every component; blocks while full."""
        return self._method("QueueEnqueueMany", name, _as_list(vals), [],
                            lambda values, deadline: self._put(values, deadline, many=True))

    def dequeue(self, name=None):
        """Remove one element; blocks while the queue is empty (OutOfRangeError once closed)."""
        specs = [(s, d) for s, d in zip(self._element_shapes(), self._dtypes)]
        return self._method("QueueDequeue", name, [], specs,
                            lambda values, deadline: self._take(1, deadline, stack=False),
                            single=True)

    def dequeue_many(self, n, name=None):
        """Remove n elements, stacked along a new axis 0; blocks until there are n."""
        n = _count(self.KIND, n)
        specs = [(TensorShape([n] + list(s)), d)
                 for s, d in zip(self._element_shapes(), self._dtypes)]
        return self._method("QueueDequeueMany", name, [], specs,
                            lambda values, deadline: self._take(n, deadline, stack=True),
                            single=True)

    def dequeue_up_to(self, n, name=None):
        """dequeue_many, but once the queue is closed, the last elements (fewer than n)."""
        n = _count(self.KIND, n)
        specs = [(TensorShape([None] + list(s)), d)
                 for s, d in zip(self._element_shapes(), self._dtypes)]
        return self._method("QueueDequeueUpTo", name, [], specs,
                            lambda values, deadline: self._take(n, deadline, stack=True,
                                                                allow_smaller=True),
                            single=True)

    def size(self, name=None):
        """The number of elements, as an int32 scalar."""
        return self._method("QueueSize", name, [], [(TensorShape([]), glflow_dtypes.INT32)],
                            lambda values, deadline: [np.int32(self._store.size())],
                            single=True)

    def is_closed(self, name=None):
        return self._method("QueueIsClosed", name, [], [(TensorShape([]), glflow_dtypes.BOOL)],
                            lambda values, deadline: [np.bool_(self._store.closed)],
                            single=True)

    def close(self, cancel_pending_enqueues=False, name=None):
        """No more enqueues; with cancel_pending_enqueues the waiting ones fail too."""
        def action(values, deadline):
            self._store.close(bool(cancel_pending_enqueues))
            return []
        return self._method("QueueClose", name, [], [], action)

    # ------------------------------------------------------------------ graph or eager
    def _method(self, op_type, name, inputs, specs, action, single=False):
        if self._graph is None:
            arrays = [_as_array(v) for v in inputs]
            results = action(arrays, None)
            with recording.suspended():
                tensors = [ops.tensor(r, dtype=d) for r, (_, d) in zip(results, specs)]
            return _result(tensors, single) if specs else None
        tensors = [as_graph_tensor(self._graph, v, None, f"{self.name}.{op_type}")
                   for v in inputs]
        op = QueueOp(self._graph, op_type, name or f"{self.name}_{op_type}", tensors,
                     specs, action)
        return _result(op.outputs, single) if specs else op

    def _element_shapes(self):
        if self._shapes is None:
            return [TensorShape(None)] * len(self._dtypes)
        return self._shapes

    def _put(self, values, deadline, many):
        if len(values) != len(self._dtypes):
            raise errors.InvalidArgumentError(
                None, None, f"{self.name}: {len(values)} components enqueued, the queue has "
                f"{len(self._dtypes)} ({self._dtypes})")
        arrays = [_component(self.name, i, v, d) for i, (v, d) in
                  enumerate(zip(values, self._dtypes))]
        if many:
            counts = {a.shape[0] if a.ndim else None for a in arrays}
            if None in counts or len(counts) != 1:
                raise errors.InvalidArgumentError(
                    None, None, f"{self.name}: enqueue_many needs components with one common "
                    f"first dimension, got shapes {[list(a.shape) for a in arrays]}")
            elements = [tuple(a[i] for a in arrays) for i in range(counts.pop())]
        else:
            elements = [tuple(arrays)]
        if self._shapes is not None:
            for element in elements:
                for i, (a, s) in enumerate(zip(element, self._shapes)):
                    if tuple(a.shape) != s.dims:
                        raise errors.InvalidArgumentError(
                            None, None, f"{self.name}: component {i} of shape "
                            f"{list(a.shape)} for the queue's shape {s.as_list()}")
        self._store.put(elements, deadline)
        return []

    def _take(self, n, deadline, stack, allow_smaller=False):
        elements = self._store.take(n, deadline, self._keep(), self._pick, allow_smaller)
        if not stack:
            return list(elements[0])
        return [np.stack([e[i] for e in elements]) for i in range(len(self._dtypes))]

    def _keep(self):
        return 0

    def _pick(self, size):
        return 0


class FIFOQueue(QueueBase):
    """Elements leave in the order they came (see the module docstring)."""
    KIND = "FIFOQueue"

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue"):
        super().__init__(capacity, dtypes, shapes, names, name)


class RandomShuffleQueue(QueueBase):
    """Elements leave in a random order; min_after_dequeue stay until the queue is closed."""
    KIND = "RandomShuffleQueue"

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None, seed=None,
                 shared_name=None, name="random_shuffle_queue"):
        if not isinstance(min_after_dequeue, int) or not 0 <= min_after_dequeue < capacity:
            raise ValueError(f"RandomShuffleQueue: min_after_dequeue must be an int in [0, "
                             f"capacity), got {min_after_dequeue!r} (capacity {capacity})")
        super().__init__(capacity, dtypes, shapes, names, name)
        self._min_after_dequeue = min_after_dequeue
        self._rng = np.random.default_rng(seed)

    def _keep(self):
        return 0 if self._store.closed else self._min_after_dequeue

    def _pick(self, size):
        return int(self._rng.integers(size))


def _as_list(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _count(kind, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"{kind}: the number of elements must be an int >= 0, got {n!r}")
    return n


def _as_array(value):
    if isinstance(value, GraphTensor) or getattr(value, "_tf1_variable", False):
        raise TypeError(f"a queue made outside a graph runs eagerly and cannot take graph "
                        f"tensor {value.name!r}; make the queue inside the graph")
    return value.numpy() if isinstance(value, Tensor) else value


def _component(name, index, value, dtype):
    array = np.asarray(value)
    allowed = {glflow_dtypes.FLOAT32: "biuf", glflow_dtypes.INT32: "biu",
               glflow_dtypes.BOOL: "b"}[dtype]
    if array.dtype.kind not in allowed:
        raise errors.InvalidArgumentError(
            None, None, f"{name}: component {index} has {array.dtype} values, the queue holds "
            f"{dtype}")
    return array.astype(glflow_dtypes.numpy_dtype(dtype), copy=False)


def _result(values, single):
    values = list(values)
    return values[0] if single and len(values) == 1 else values


__all__ = ["FIFOQueue", "RandomShuffleQueue", "QueueBase"]
