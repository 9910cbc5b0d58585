"""Session: runs a TF1 graph's operations, fed through `feed_dict`, and returns numpy values.

    with gf.Session(graph=g) as sess:          # also the default session and graph inside
        sess.run(init)
        _, l = sess.run([train, loss], feed_dict={x: xb, y_: yb})

`run(fetches, feed_dict=None, options=None)`:
- fetches: a graph tensor, operation, Variable or tensor name ("x:0", "train"), or any nesting
  of them in lists, tuples, namedtuples and dicts; the result has the same structure with
  numpy values (a rank-0 tensor gives a numpy scalar, an operation None);
- feed_dict: {graph tensor or its name: value}. Any tensor of the graph may be fed (TF's
  rule), placeholders above all. Values are converted to the tensor's dtype (numbers and
  arrays; float values into an int32 or bool tensor are refused) and their shape must fit the
  static shape (`Cannot feed value of shape (5, 3) for Tensor 'x:0', which has shape (?, 4)`);
- options: `RunOptions(timeout_in_ms=...)` bounds how long a blocking queue operation waits
  (DeadlineExceededError), as does `ConfigProto(operation_timeout_in_ms=...)` for every run.

Each session keeps the values of the graph's Variables (runs/variables.py) and its compiled
plans (runs.py); `close()` drops both.
"""
import collections.abc
import threading
import time

import numpy as np

from ..runtime import dtypes
from ..tensor import Tensor
from .graph import GraphTensor, Operation, default_session, get_default_graph
from .runs import Run, RunPlan
from .variables import SessionValue


class RunOptions:
    """Per-run options: `timeout_in_ms` bounds blocking queue operations (0: no bound)."""

    def __init__(self, timeout_in_ms=0, **ignored):
        self.timeout_in_ms = int(timeout_in_ms)


class ConfigProto:
    """Session options: `operation_timeout_in_ms` bounds every run's blocking operations; the
    rest of TF's fields are accepted and change nothing here."""

    def __init__(self, operation_timeout_in_ms=0, **ignored):
        self.operation_timeout_in_ms = int(operation_timeout_in_ms)


class Session:
    def __init__(self, target="", graph=None, config=None):
        self.graph = graph if graph is not None else get_default_graph()
        self._timeout_ms = getattr(config, "operation_timeout_in_ms", 0) or 0
        self._values = {}          # graph Variable -> SessionValue
        self._plans = {}           # (fetch targets, fed tensors) -> RunPlan
        self._closed = False
        self._lock = threading.RLock()
        self._contexts = []

    # ------------------------------------------------------------------ running
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        fetch = _Fetches(self.graph, fetches)
        feeds = self._feeds(feed_dict)
        # by identity: graph elements live as long as their graph, and a plan never depends
        # on the eager tensors it may also fetch
        key = (tuple(map(id, fetch.targets)), frozenset(map(id, feeds)))
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = RunPlan(self.graph, fetch.targets, feeds)
        run = Run(self, self._deadline(options))
        values = plan.execute(self, dict(feeds), run)
        return fetch.build(self, values)

    def _deadline(self, options):
        ms = getattr(options, "timeout_in_ms", 0) or self._timeout_ms
        return time.monotonic() + ms / 1000.0 if ms > 0 else None

    def _feeds(self, feed_dict):
        feeds = {}
        for key, value in (feed_dict or {}).items():
            target = self._feed_target(key)
            feeds[target] = _feed_value(target, value)
        return feeds

    def _feed_target(self, key):
        if isinstance(key, str):
            try:
                key = self.graph.get_tensor_by_name(key)
            except (KeyError, ValueError) as exc:
                raise TypeError(f"feed_dict key {key!r}: {exc}") from None
        if isinstance(key, GraphTensor):
            if key.graph is not self.graph:
                raise ValueError(f"feed_dict key {key.name!r} is a tensor of another graph than "
                                 "this session's")
            return key
        if getattr(key, "_tf1_variable", False):
            raise TypeError(f"feed_dict key {key.name!r} is a Variable; feed a placeholder, or "
                            "assign the Variable (variable.load(value, sess))")
        if isinstance(key, Operation):
            raise TypeError(f"feed_dict key {key.name!r} is an operation; only tensors can be "
                            "fed")
        raise TypeError(f"feed_dict key {key!r} ({type(key).__name__}) is not a tensor of the "
                        "graph; keys are placeholders (or other graph tensors) or their names")

    # ------------------------------------------------------------------ variables
    def value_of(self, variable):
        """This session's values of a graph Variable (uninitialised until a run writes it)."""
        with self._lock:
            value = self._values.get(variable)
            if value is None:
                if variable.graph is not self.graph:
                    raise ValueError(f"Variable {variable.name!r} is from another graph than "
                                     "this session's")
                value = self._values[variable] = SessionValue(variable)
            return value

    # ------------------------------------------------------------------ lifetime
    def close(self):
        """Free the session's Variables and compiled runs; later runs raise."""
        self._closed = True
        self._values.clear()
        self._plans.clear()

    @property
    def closed(self):
        return self._closed

    def as_default(self):
        """Make this the default session (for Tensor.eval, Operation.run) in the block."""
        return default_session(self)

    def __enter__(self):
        graph_context = self.graph.as_default()
        session_context = self.as_default()
        graph_context.__enter__()
        session_context.__enter__()
        self._contexts.append((graph_context, session_context))
        return self

    def __exit__(self, *exc):
        graph_context, session_context = self._contexts.pop()
        session_context.__exit__(*exc)
        graph_context.__exit__(*exc)
        self.close()
        return False


class InteractiveSession(Session):
    """A Session that makes itself (and its graph) the default on creation, until closed."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        self.__enter__()

    def close(self):
        if self._contexts:
            graph_context, session_context = self._contexts.pop()
            session_context.__exit__(None, None, None)
            graph_context.__exit__(None, None, None)
        super().close()


# --------------------------------------------------------------------------- feeds

def _feed_value(target, value):
    """value as a numpy array of target's dtype and a shape its static shape accepts."""
    if isinstance(value, (GraphTensor, Operation)) or getattr(value, "_tf1_variable", False):
        raise TypeError(f"The value of a feed cannot be a graph tensor or operation; feed "
                        f"numpy arrays or Python values (feeding {target.name!r})")
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, (str, bytes)):
        raise TypeError(f"feed for {target.name!r} ({target.dtype}): got a string")
    try:
        array = np.asarray(value)
    except ValueError as exc:
        raise ValueError(f"feed for {target.name!r}: values form a ragged sequence") from exc
    kind = array.dtype.kind
    allowed = {dtypes.FLOAT32: "biuf", dtypes.INT32: "biu", dtypes.BOOL: "b"}[target.dtype]
    if kind not in allowed or array.dtype == object:
        raise TypeError(f"feed for {target.name!r}: {array.dtype} values cannot be fed to a "
                        f"{target.dtype} tensor")
    if target.dtype == dtypes.INT32 and array.size:
        info = np.iinfo(np.int32)
        if array.min() < info.min or array.max() > info.max:
            raise ValueError(f"feed for {target.name!r}: values outside the int32 range")
    array = array.astype(dtypes.numpy_dtype(target.dtype), copy=False)
    if not target.shape.accepts(array.shape):
        raise ValueError(f"Cannot feed value of shape {array.shape} for Tensor "
                         f"{target.name!r}, which has shape {target.shape}")
    return array


# --------------------------------------------------------------------------- fetches

class _Fetches:
    """The flat targets of a fetch structure, and how to rebuild it from their values."""

    def __init__(self, graph, fetches):
        self.graph = graph
        self.targets = []
        self.template = self._walk(fetches)

    def _walk(self, obj):
        if isinstance(obj, (list, tuple)) and not isinstance(obj, str):
            items = [self._walk(v) for v in obj]
            if hasattr(obj, "_fields"):
                return ("namedtuple", type(obj), items)
            return ("tuple" if isinstance(obj, tuple) else "list", None, items)
        if isinstance(obj, collections.abc.Mapping):
            return ("dict", type(obj), [(k, self._walk(v)) for k, v in obj.items()])
        return ("leaf", None, self._target(obj))

    def _target(self, obj):
        if isinstance(obj, str):
            try:
                obj = self.graph.as_graph_element(obj)
            except (KeyError, ValueError) as exc:
                raise ValueError(f"Fetch argument {obj!r} cannot be interpreted as a Tensor: "
                                 f"{exc}") from None
        if isinstance(obj, (GraphTensor, Operation)) or getattr(obj, "_tf1_variable", False):
            if obj.graph is not self.graph:
                raise ValueError(f"Fetch argument {obj!r} cannot be interpreted as a Tensor: it "
                                 "is not an element of this session's graph")
        elif not isinstance(obj, Tensor):
            raise TypeError(f"Fetch argument {obj!r} has invalid type {type(obj).__name__}; "
                            "fetch graph tensors, operations, Variables or their names")
        self.targets.append(obj)
        return len(self.targets) - 1

    def build(self, session, values):
        results = [_fetched(session, t, values) for t in self.targets]

        def make(node):
            kind, cls, items = node
            if kind == "leaf":
                return results[items]
            if kind == "list":
                return [make(v) for v in items]
            if kind == "tuple":
                return tuple(make(v) for v in items)
            if kind == "namedtuple":
                return cls(*[make(v) for v in items])
            pairs = [(k, make(v)) for k, v in items]
            try:
                return cls(pairs)
            except TypeError:
                return dict(pairs)
        return make(self.template)


def _fetched(session, target, values):
    if isinstance(target, Operation):
        return None
    if isinstance(target, GraphTensor):
        value = values[target]
    elif getattr(target, "_tf1_variable", False):
        value = session.value_of(target)
    else:
        value = target        # an eager glflow tensor: its values
    array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    return array[()] if array.ndim == 0 else array


__all__ = ["Session", "InteractiveSession", "RunOptions", "ConfigProto"]
