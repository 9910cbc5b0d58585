"""TF1 graph Variables: state that lives in a Session, set by running an initializer.

`gf.Variable(initial_value)` while a TF1 graph is built (or on a graph tensor) makes a graph
Variable: a name, a dtype, a fully known static shape, an `initializer` operation (an assign
of the initial value) and its place in the GLOBAL_VARIABLES (and TRAINABLE_VARIABLES)
collections. Its values live in each Session that runs the graph (two sessions, two copies):
a `SessionValue`, a glflow Variable that graph mode captures by reference, so a compiled run
reads it and writes it as gf.function does. A run that reads one before any run wrote it
fails with TensorFlow's FailedPreconditionError ("Attempting to use uninitialized value").

Ops read a Variable where the run replays them (program order): after an assign the run made
earlier, they see the new value (`with control_dependencies([inc]): y = gf.identity(v)`).
Fetching the Variable itself gives its value at the end of the run.
"""
from .. import errors, ops
from ..runtime import dtypes, state
from ..runtime.dispatch import DeferredArgument
from ..tensor import Tensor
from ..tensor import Variable as EagerVariable
from . import graph as graphs
from . import recording
from .graph import (GRAPH, GROUP, GraphKeys, GraphTensor, GroupOp, Operation, building_graph,
                    from_session, get_default_graph)
from .shapes import TensorShape


class SessionValue(EagerVariable):
    """A graph Variable's values in one Session (no storage until a run initialises it)."""

    def __init__(self, variable):
        Tensor._init(self, None, variable.shape.dims, variable.dtype)
        self.trainable = variable.trainable
        self.name = variable.op.name
        self.graph_variable = variable

    @property
    def initialized(self):
        return self._storage is not None

    def _live_storage(self, op):
        # While a run's graph is traced nothing needs storage; when it runs, a read before
        # any write is the TF1 error.
        if self._storage is None and state.thread.tracer is None:
            raise errors.FailedPreconditionError(
                None, None, f"Attempting to use uninitialized value {self.name}: run its "
                f"initializer first (sess.run(gf.global_variables_initializer()))")
        return EagerVariable._live_storage(self, op)


class VariableOp(Operation):
    """The operation a Variable is: fetching it gives the Variable's value."""

    def __init__(self, graph, variable, name):
        super().__init__(graph, "VariableV2", name, (), (variable,), [], GROUP,
                         control_inputs=[])
        self.variable = variable


class AssignOp(Operation):
    """variable <- value (or += / -=); its output is the new value. The variable is a graph
    Variable, or an eager one a graph writes (a top-level TF1 script's)."""

    def __init__(self, variable, value, mode, name, graph=None):
        graph = graph or variable.graph
        super().__init__(graph, {"=": "Assign", "+": "AssignAdd", "-": "AssignSub"}[mode],
                         name, [value], [variable], [(variable.shape, variable.dtype)], GRAPH)
        self.variable = variable
        self.mode = mode
        if not getattr(variable, "_tf1_variable", False):
            self.variables = []
            self.captured = [variable]

    def replay(self, ctx):
        target = ctx.variable(self.variable)
        value = ctx.value(self.inputs[0])
        if self.mode == "+":
            value = ops.add(target, value)
        elif self.mode == "-":
            value = ops.sub(target, value)
        target.assign(value)
        return [target.read_value()]


class ReadOp(Operation):
    """A snapshot of a Variable's value at this point of the run (Variable.value())."""

    def __init__(self, variable, name):
        super().__init__(variable.graph, "ReadVariableOp", name, (), [variable],
                         [(variable.shape, variable.dtype)], GRAPH)
        self.variable = variable

    def replay(self, ctx):
        # a copy, not the Variable: later assigns in the run must not change this value, and
        # the copy is a recorded op, so gradients flow through it to the Variable
        return [ops.identity(ctx.variable(self.variable))]


class Variable:
    """A TF1 graph Variable (see the module docstring)."""
    _tf1_variable = True
    __array_ufunc__ = None
    __array_priority__ = 200

    def __init__(self, initial_value=None, trainable=None, collections=None,
                 validate_shape=True, caching_device=None, name=None, variable_def=None,
                 dtype=None, expected_shape=None, import_scope=None, constraint=None,
                 use_resource=None, shape=None, graph=None):
        # TF1's positional order; caching_device, use_resource and import_scope change nothing
        if initial_value is None:
            raise ValueError("Variable: initial_value must be given")
        if variable_def is not None or constraint is not None:
            raise NotImplementedError("Variable: variable_def and constraint are not supported")
        trainable = True if trainable is None else trainable
        graph = graph or building_graph() or _graph_of(initial_value) or get_default_graph()
        with graph.as_default():
            if callable(initial_value):
                initial_value = initial_value()
            initial = as_graph_tensor(graph, initial_value, dtype, "Variable")
        for given in (shape, expected_shape):
            if given is not None and not initial.shape.is_compatible_with(given):
                raise ValueError(f"Variable {name or 'Variable'!r}: initial value of shape "
                                 f"{initial.shape} for shape {given}")
        if validate_shape and not initial.shape.is_fully_defined():
            raise ValueError(f"Variable {name or 'Variable'!r}: the initial value's shape "
                             f"{initial.shape} must be fully known (give the placeholder a "
                             "full shape, or set_shape)")
        self._graph = graph
        self._shape = initial.shape
        self.dtype = initial.dtype
        self.trainable = bool(trainable)
        self.initial_value = initial
        self._snapshot = None
        with graph.control_dependencies(None):
            self.op = VariableOp(graph, self, name or "Variable")
            with graph.name_scope(self.op.name + "/"):
                self.initializer = AssignOp(self, initial, "=", "Assign")
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        if self.trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections = list(collections) + [GraphKeys.TRAINABLE_VARIABLES]
        for key in collections:
            graph.add_to_collection(key, self)

    # ------------------------------------------------------------------ what it is
    @property
    def graph(self):
        return self._graph

    @property
    def name(self):
        return f"{self.op.name}:0"

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    # ------------------------------------------------------------------ reading and writing
    def value(self):
        """The Variable's value as a graph tensor (one snapshot op, made on first use)."""
        if self._snapshot is None:
            self._snapshot = self._read("read")
        return self._snapshot

    def read_value(self):
        """A new read of the value, ordered by the control dependencies of its block."""
        return self._read("Read")

    def _read(self, name):
        with self._graph.name_scope(self.op.name + "/"):
            return ReadOp(self, name).outputs[0]

    def initialized_value(self):
        """The initial value (TF1 used it to initialise one Variable from another)."""
        return self.initial_value

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return assign_op(self, value, "=", name)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return assign_op(self, delta, "+", name)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return assign_op(self, delta, "-", name)

    def eval(self, session=None):
        return from_session(session, f"Variable {self.name!r}").run(self)

    def load(self, value, session=None):
        """Write values into this Variable in `session` now, without running an op."""
        sess = from_session(session, f"Variable {self.name!r}")
        target = sess.value_of(self)
        with recording.suspended():
            tensor = ops.convert(value, "Variable.load", self.dtype)
        if tensor._shape != target._shape:
            raise ValueError(f"Variable.load: value of shape {tensor.shape} for Variable "
                             f"{self.name!r} of shape {self._shape}")
        target._storage = tensor._live_storage("Variable.load")

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __bool__(self):
        raise TypeError(f"Using Variable {self.name!r} as a Python bool is not allowed in a "
                        "TF1 graph")

    def __array__(self, dtype=None, copy=None):
        raise DeferredArgument(f"Variable {self.name!r} of a TF1 graph has values only in a "
                               "Session: sess.run(variable) reads them")

    def __repr__(self):
        return f"<tf.Variable {self.name!r} shape={self._shape} dtype={self.dtype}>"


def _graph_of(value):
    return getattr(value, "graph", None) if hasattr(value, "op") else None


def assign_op(variable, value, mode, name, graph=None):
    """The graph operation variable <- value (mode "=", "+" or "-"); returns its output."""
    graph = graph or variable.graph
    value = as_graph_tensor(graph, value, variable.dtype, "assign")
    if value.dtype != variable.dtype:
        raise TypeError(f"assign: value dtype {value.dtype} differs from Variable "
                        f"{variable.name!r} dtype {variable.dtype}")
    if not TensorShape(variable.shape).is_compatible_with(value.shape):
        raise ValueError(f"assign: value of shape {value.shape} for Variable {variable.name!r} "
                         f"of shape {variable.shape}")
    default = {"=": "Assign", "+": "AssignAdd", "-": "AssignSub"}[mode]
    return AssignOp(variable, value, mode, name or default, graph).outputs[0]


def as_graph_tensor(graph, value, dtype, what):
    """A graph tensor of `graph` for value: itself, a Variable's snapshot, or a constant."""
    if isinstance(value, GraphTensor):
        if value.graph is not graph:
            raise ValueError(f"{what}: {value.name!r} is from another graph")
        if dtype is not None and value.dtype != dtypes.normalize(dtype, what):
            return recording.record(graph, ops.cast, (value, dtype), {})
        return value
    if getattr(value, "_tf1_variable", False):
        return as_graph_tensor(graph, value.value(), dtype, what)
    with graph.as_default():
        return recording.record(graph, ops.convert, (value, what, dtype), {}, name="Const")


# --------------------------------------------------------------------------- collections

def _graph():
    return building_graph() or get_default_graph()


def global_variables(scope=None):
    """The default graph's Variables (GLOBAL_VARIABLES)."""
    return _graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope=None):
    return _graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    return _graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """One operation running the initializers of var_list (a no-op for an empty list)."""
    var_list = list(var_list)
    graph = var_list[0].graph if var_list else _graph()
    return GroupOp(graph, [v.initializer for v in var_list], name)


def global_variables_initializer():
    """The operation initialising every Variable of the default graph made so far."""
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer():
    return variables_initializer(local_variables(), name="init")


def make_in_graph(*args, **kwargs):
    """gf.Variable(...) while a TF1 graph is built (or on a graph tensor): a graph Variable;
    None otherwise, and gf.Variable makes an eager one (glflow/tensor.py asks here first)."""
    if recording.is_suspended() or state.thread.tracer is not None:
        return None
    initial = args[0] if args else kwargs.get("initial_value")
    if initial is None:
        return None
    graph = building_graph() or _graph_of(initial)
    if graph is None:
        return None
    return Variable(*args, graph=graph, **kwargs)


EagerVariable.graph_factory = make_in_graph
graphs.LEAF_TYPES.add(Variable)
