"""The TF1 graph: operations recorded while a program builds it, run later by a Session.

A `Graph` keeps its `Operation`s in creation order (a topological order: an operation's inputs
and control inputs exist before it), unique names under name scopes, collections (the global
and trainable variables, the queue runners) and, per thread, the control dependencies of the
block being built. An operation's outputs are `GraphTensor`s: a dtype and a static
`TensorShape` with None where the graph does not know a dimension (a placeholder's batch), but
no values: values exist only inside `Session.run` (glflow/tf1/session.py).

What an operation does when a run needs it is its `kind`:
    "graph"     replayed into graph mode's IR (glflow/graph/) when a run compiles its segment:
                `replay(ctx)` calls glflow ops on the segment's symbolic tensors
    "host"      runs on the host between compiled segments (queues, py_func, iterators), with
                concrete values: `run_host(values, run)` -> arrays; it may block
    "feed"      a placeholder: its value comes from the feed_dict (or its default)
    "group"     nothing but its control inputs (group, no_op, initializers)

Default graphs: `with g.as_default():` makes g the graph ops are recorded into on this thread;
outside any such block ops run eagerly, unless `disable_eager_execution()` made the global
default graph the one every thread builds (TF1's behaviour). `get_default_graph()` returns the
innermost `as_default` graph, else the global one.
"""
import contextlib
import threading

from ..runtime.dispatch import DeferredArgument
from . import shapes

GRAPH, HOST, FEED, GROUP = "graph", "host", "feed", "group"


class GraphKeys:
    """Collection names (TF's tf.GraphKeys)."""
    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    QUEUE_RUNNERS = "queue_runners"
    GLOBAL_STEP = "global_step"
    TRAIN_OP = "train_op"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SUMMARIES = "summaries"


# Run when the first Graph is made: recording.py installs the op dispatch hook there, so
# eager programs that never build a graph never pay for it.
on_first_graph = []


class Graph:
    """Operations in creation order, their names, collections and per-thread building state."""

    def __init__(self):
        while on_first_graph:
            on_first_graph.pop(0)()
        self._ops = []
        self._by_name = {}
        self._name_counts = {}
        self._collections = {}
        self._finalized = False
        self._lock = threading.RLock()
        self._building = threading.local()   # name scope and control dependencies per thread
        self.seed = None                     # the graph-level seed (set_random_seed)
        self._version = 0                    # bumps with every new operation

    # ------------------------------------------------------------------ default graph
    @contextlib.contextmanager
    def as_default(self):
        """Record the block's ops into this graph (on this thread)."""
        stack = _stack()
        stack.append(self)
        try:
            yield self
        finally:
            _remove_last(stack, self)

    # ------------------------------------------------------------------ operations
    def _add(self, op):
        with self._lock:
            if self._finalized:
                raise RuntimeError(f"Graph is finalized and cannot be modified (adding "
                                   f"operation {op.name!r})")
            op._index = len(self._ops)
            self._ops.append(op)
            self._by_name[op.name] = op
            self._version += 1
        return op

    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name):
        op = self._by_name.get(name)
        if op is None:
            raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
        return op

    def get_tensor_by_name(self, name):
        if not isinstance(name, str) or ":" not in name:
            raise ValueError(f"The name {name!r} looks like an Operation name, not a Tensor "
                             "name ('op_name:output_index')")
        op_name, _, index = name.rpartition(":")
        op = self.get_operation_by_name(op_name)
        try:
            return op.outputs[int(index)]
        except (ValueError, IndexError):
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist: the "
                           f"operation {op_name!r} has {len(op.outputs)} outputs") from None

    def as_graph_element(self, obj):
        """A tensor, operation or variable of this graph named or given by obj."""
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else \
                self.get_operation_by_name(obj)
        graph = getattr(obj, "graph", None)
        if isinstance(obj, (GraphTensor, Operation)) or hasattr(obj, "_tf1_variable"):
            if graph is not self:
                raise ValueError(f"{obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a graph element")

    def finalize(self):
        """Refuse new operations from now on (TF's Graph.finalize)."""
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    @property
    def version(self):
        return self._version

    # ------------------------------------------------------------------ names
    def unique_name(self, name, mark_as_used=True):
        """`scope/name`, with `_1`, `_2`, ... when taken (as TensorFlow names operations)."""
        scope = self._scope()
        full = f"{scope}/{name}" if scope else name
        with self._lock:
            count = self._name_counts.get(full, 0)
            unique = full if count == 0 else f"{full}_{count}"
            while count and unique in self._name_counts:
                count += 1
                unique = f"{full}_{count}"
            if mark_as_used:
                self._name_counts[full] = count + 1
                self._name_counts.setdefault(unique, 1)
        return unique

    @contextlib.contextmanager
    def name_scope(self, name):
        """Prefix the names of the block's operations with `name/` (made unique)."""
        state = self._thread_state()
        previous = state.scope
        if name is None or name == "":
            state.scope = ""
        elif name.endswith("/"):
            state.scope = name[:-1]
        else:
            state.scope = self.unique_name(name)
        try:
            yield state.scope + "/" if state.scope else ""
        finally:
            state.scope = previous

    def _scope(self):
        return self._thread_state().scope

    # ------------------------------------------------------------------ control dependencies
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Operations made in the block run after `control_inputs` (operations, tensors or
        variables); None clears the dependencies of enclosing blocks."""
        state = self._thread_state()
        previous = state.control
        if control_inputs is None:
            state.control = []
        else:
            state.control = previous + [self._control_op(c) for c in control_inputs]
        try:
            yield
        finally:
            state.control = previous

    def _control_op(self, c):
        if isinstance(c, GraphTensor):
            c = c.op
        elif hasattr(c, "_tf1_variable"):
            c = c.op
        if not isinstance(c, Operation):
            raise TypeError(f"control_dependencies: expected operations or tensors of a graph, "
                            f"got {type(c).__name__} {c!r}")
        if c.graph is not self:
            raise ValueError(f"control_dependencies: {c.name!r} is from another graph")
        return c

    def current_control_inputs(self):
        return list(dict.fromkeys(self._thread_state().control))

    def _thread_state(self):
        state = self._building
        if not hasattr(state, "scope"):
            state.scope = ""
            state.control = []
        return state

    # ------------------------------------------------------------------ collections
    def add_to_collection(self, name, value):
        with self._lock:
            self._collections.setdefault(name, []).append(value)

    def get_collection(self, name, scope=None):
        items = list(self._collections.get(name, []))
        if scope is not None:
            items = [v for v in items if getattr(v, "name", "").startswith(scope)]
        return items

    def get_collection_ref(self, name):
        with self._lock:
            return self._collections.setdefault(name, [])

    def clear_collection(self, name):
        with self._lock:
            self._collections.pop(name, None)

    def __repr__(self):
        return f"<glflow TF1 Graph: {len(self._ops)} operations>"


class Operation:
    """One node of a TF1 graph (see the module docstring for `kind`)."""

    def __init__(self, graph, op_type, name, inputs=(), variables=(), out_specs=(),
                 kind=GRAPH, control_inputs=None):
        self.graph = graph
        self.type = op_type
        self.name = graph.unique_name(name or op_type)
        self.inputs = list(inputs)            # GraphTensors read
        self.variables = list(variables)      # graph Variables read or written
        self.kind = kind
        self.control_inputs = graph.current_control_inputs() if control_inputs is None \
            else list(control_inputs)
        for c in self.control_inputs:
            graph._control_op(c)
        self.outputs = [GraphTensor(self, i, dtype, shape)
                        for i, (shape, dtype) in enumerate(out_specs)]
        self.captured = []                    # eager Variables the op reads (minimize finds them)
        self.gradient_sources = ()            # what a gradient op differentiates with respect to
        self._index = None
        graph._add(self)

    # What running it means; set by the code that makes the operation.
    def replay(self, ctx):
        raise NotImplementedError(f"operation {self.name!r} ({self.type}) has no graph replay")

    def run_host(self, values, run):
        raise NotImplementedError(f"operation {self.name!r} ({self.type}) has no host run")

    def values(self):
        return tuple(self.outputs)

    def run(self, feed_dict=None, session=None):
        """Run this operation in `session` (default: the default session)."""
        from_session(session, f"Operation.run of {self.name!r}").run(self, feed_dict)

    def __repr__(self):
        return f"<tf.Operation {self.name!r} type={self.type}>"


class GroupOp(Operation):
    """An operation that only orders: running it runs its control inputs (group, no_op)."""

    def __init__(self, graph, control_inputs, name, op_type="NoOp"):
        super().__init__(graph, op_type, name, (), (), [], GROUP, control_inputs=control_inputs)


class GraphTensor:
    """An output of a TF1 graph operation: dtype and static shape, values only in a run."""
    __array_ufunc__ = None        # numpy defers `ndarray + tensor` to our reflected operators
    __array_priority__ = 200

    def __init__(self, op, index, dtype, shape):
        self.op = op
        self.value_index = index
        self.dtype = dtype
        self._shape = shapes.as_shape(shape)
        self.constant = None      # the value, when the op was computed while the graph was built

    @property
    def graph(self):
        return self.op.graph

    @property
    def name(self):
        return f"{self.op.name}:{self.value_index}"

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    def set_shape(self, shape):
        """Tell the graph more about this tensor's shape (merged with what it knows)."""
        try:
            self._shape = self._shape.merge_with(shape)
        except ValueError:
            raise ValueError(f"set_shape: tensor {self.name!r} has shape {self._shape}, which "
                             f"is not compatible with {shapes.as_shape(shape)}") from None

    @property
    def ndim(self):
        return self._shape.rank

    def consumers(self):
        return [op for op in self.graph.get_operations() if self in op.inputs]

    def eval(self, feed_dict=None, session=None):
        """The value in a run of `session` (default: the default session), as numpy."""
        return from_session(session, f"Tensor.eval of {self.name!r}").run(self, feed_dict)

    # ------------------------------------------------------------------ no values here
    def _no_values(self, what):
        raise TypeError(f"{what}: {self.name!r} is a TF1 graph tensor (shape {self._shape}, "
                        f"{self.dtype}); it has values only in Session.run. Fetch it with "
                        "sess.run(tensor) or tensor.eval(session=sess).")

    def numpy(self):
        self._no_values("numpy")

    def __array__(self, dtype=None, copy=None):
        # an eager op converting its arguments meets a graph tensor: the dispatchable wrapper
        # catches this and records the op into the tensor's graph instead
        raise DeferredArgument(f"{self.name!r} is a TF1 graph tensor (shape {self._shape}, "
                               f"{self.dtype}); it has values only in Session.run. Fetch it "
                               "with sess.run(tensor) or tensor.eval(session=sess).")

    def __bool__(self):
        raise TypeError(f"Using a graph tensor ({self.name!r}) as a Python bool is not allowed "
                        "in a TF1 graph: its value exists only when the graph runs. Use "
                        "gf.where or gf.cond-free arithmetic instead.")

    def __iter__(self):
        raise TypeError(f"Tensor {self.name!r} is not iterable while the graph is built; index "
                        "it (t[0]) or unstack it")

    def __len__(self):
        raise TypeError(f"len() of graph tensor {self.name!r} is not defined; use "
                        "tensor.shape[0] (None when unknown) or gf.shape(tensor)[0]")

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __repr__(self):
        return f"<tf.Tensor {self.name!r} shape={self._shape} dtype={self.dtype}>"


# The classes that put an op call into a graph when they are among its arguments (graph
# tensors; variables.py adds graph Variables).
LEAF_TYPES = {GraphTensor}


# --------------------------------------------------------------------------- default graphs

class _Defaults(threading.local):
    def __init__(self):
        self.stack = []       # graphs made default (as_default), innermost last
        self.sessions = []    # sessions made default (as_default, `with Session()`)


_defaults = _Defaults()
_global = {"graph": None, "eager": True}
_global_lock = threading.Lock()


def _stack():
    return _defaults.stack


def _remove_last(stack, item):
    """Leave the innermost block of `item` (blocks of one graph may nest)."""
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is item:
            del stack[i]
            return


def get_default_graph():
    """The innermost graph made default on this thread, else the global default graph."""
    stack = _defaults.stack
    if stack:
        return stack[-1]
    with _global_lock:
        if _global["graph"] is None:
            _global["graph"] = Graph()
        return _global["graph"]


def building_graph():
    """The graph ops are recorded into now, or None when they run eagerly."""
    stack = _defaults.stack
    if stack:
        return stack[-1]
    if not _global["eager"]:
        return get_default_graph()
    return None


def reset_default_graph():
    """A new, empty global default graph (refused inside a `with g.as_default()` block)."""
    if _defaults.stack:
        raise AssertionError("Do not use reset_default_graph() to clear nested graphs: it is "
                             "called inside a `with graph.as_default()` block")
    with _global_lock:
        _global["graph"] = Graph()


def disable_eager_execution():
    """Every thread records into the global default graph (TF1's behaviour) from now on."""
    _global["eager"] = False


def enable_eager_execution():
    """Ops outside `with g.as_default()` blocks run eagerly again (glflow's default)."""
    _global["eager"] = True


def executing_eagerly():
    return building_graph() is None


def control_dependencies(control_inputs):
    """`with control_dependencies([...]):` on the default graph."""
    return get_default_graph().control_dependencies(control_inputs)


def get_collection(key, scope=None):
    """The default graph's collection `key` (a copy)."""
    return (building_graph() or get_default_graph()).get_collection(key, scope)


def add_to_collection(name, value):
    (building_graph() or get_default_graph()).add_to_collection(name, value)


def name_scope(name, default_name=None, values=None):
    """`with name_scope("layer1"):` on the default graph (the graph building, when one is)."""
    graph = building_graph() or get_default_graph()
    return graph.name_scope(name if name is not None else default_name)


# --------------------------------------------------------------------------- sessions

@contextlib.contextmanager
def default_session(session):
    """Make `session` the default one on this thread for the block (Session.as_default)."""
    _defaults.sessions.append(session)
    try:
        yield session
    finally:
        _remove_last(_defaults.sessions, session)


def get_default_session():
    sessions = _defaults.sessions
    return sessions[-1] if sessions else None


def from_session(session, what):
    """The session given, else the default one, else a clear error."""
    if session is None:
        session = get_default_session()
    if session is None:
        raise ValueError(f"Cannot evaluate: {what} has no session. Pass one "
                         "(eval(session=sess)) or make one the default (`with sess.as_default():`"
                         " or `with gf.Session() as sess:`).")
    return session
