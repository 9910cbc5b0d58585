"""Recording public op calls into a TF1 graph, with static shapes that may hold None.

While a TF1 graph is being built, a dispatchable public op (glflow/runtime/dispatch.py) called
inside `with graph.as_default():`, or on a graph tensor, becomes one Operation whose replay calls
the same op again when a Session run compiles it, on that run's tensors. Graph mode's IR
traces with concrete shapes, so nothing of the op is traced now except to learn its outputs:

- an op on no graph tensor and no Variable that draws no random numbers (a constant, zeros,
  a numpy array) runs once, now, eagerly; its value is the operation's constant output;
- any other op is traced on symbolic inputs of *trial* shapes: each None dimension becomes a
  trial size (13, then 17), each unknown rank a trial rank. Output dimensions equal in both
  trials are static, the others None. When a trial fails (a reshape to a fixed batch, a None
  broadcast against a known size) sizes found in the arguments are tried instead; when every
  trial fails the op's own error is raised, now, as TensorFlow raises shape errors while the
  graph is built.
"""
import contextlib
import numbers
import threading

from ..graph.ir import TensorSpec
from ..graph.signature import fill_template, output_template
from ..graph.tracer import Tracer
from ..runtime import dispatch, state
from ..tensor import Tensor
from . import graph as graphs
from .graph import GRAPH, GraphTensor, Operation
from .shapes import TensorShape

TRIAL_SIZES = (13, 17)
TRIAL_RANKS = (1, 2, 3, 4)
# Ops that draw random numbers: recorded even without graph-tensor inputs, so each run draws.
STATEFUL = frozenset({"random_uniform", "random_normal", "truncated_normal", "bernoulli",
                      "multinomial", "shuffle", "dropout"})
# Ops that act on the Python side at once, never recorded.
IMMEDIATE = frozenset({"set_seed", "convert", "sum_to_shape", "variable"})


class _Local(threading.local):
    def __init__(self):
        self.suspended = 0


_local = _Local()


@contextlib.contextmanager
def suspended():
    """Run public ops eagerly in the block even while a graph is being built."""
    _local.suspended += 1
    try:
        yield
    finally:
        _local.suspended -= 1


def is_suspended():
    return _local.suspended > 0


_thread = state.thread


def while_building(fn, args, kwargs):
    """Record the call into the graph being built (NotImplemented when none is, or while a
    graph is traced: the op runs on symbolic tensors then)."""
    if _thread.tracer is not None or _local.suspended:
        return NotImplemented
    graph = graphs.building_graph()
    if graph is None or fn.__name__ in IMMEDIATE:
        return NotImplemented
    return _record_call(graph, fn, args, kwargs)


def on_graph_tensor(fn, args, kwargs):
    """An eager call met a graph tensor: record it into that tensor's graph."""
    graph = _graph_of(args) or _graph_of(kwargs.values())
    if graph is None or _thread.tracer is not None or _local.suspended:
        raise TypeError(f"{fn.__name__}: a TF1 graph tensor cannot be used here: it has "
                        "values only in Session.run")
    return _record_call(graph, fn, args, kwargs)


def _record_call(graph, fn, args, kwargs):
    kwargs = dict(kwargs)
    name = kwargs.pop("name", None)
    return record(graph, fn, args, kwargs, name=name)


def _graph_of(values):
    """The graph of the first graph tensor or Variable among values (and one level into
    lists, tuples and dicts), else None."""
    for value in values:
        if isinstance(value, (list, tuple)):
            found = _graph_of(value)
        elif isinstance(value, dict):
            found = _graph_of(value.values())
        else:
            found = value.graph if type(value) in graphs.LEAF_TYPES else None
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- templates

class Slot:
    """Where a graph tensor or graph Variable sat in a call's arguments."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def split_arguments(args, kwargs):
    """(template, leaves, captured): the arguments with every graph tensor and graph Variable
    replaced by a Slot, those leaves in order, and the eager Variables found."""
    leaves, captured = [], []

    def walk(obj):
        if isinstance(obj, GraphTensor) or getattr(obj, "_tf1_variable", False):
            leaves.append(obj)
            return Slot(len(leaves) - 1)
        if isinstance(obj, Tensor):
            if obj._is_variable:
                captured.append(obj)
            return obj
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        if isinstance(obj, tuple):
            items = [walk(v) for v in obj]
            return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
        if isinstance(obj, dict):
            return {k: walk(v) for k, v in obj.items()}
        return obj
    template = (walk(list(args)), walk(dict(kwargs)))
    return template, leaves, captured


def fill_arguments(template, values):
    def walk(obj):
        if isinstance(obj, Slot):
            return values[obj.index]
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        if isinstance(obj, tuple):
            items = [walk(v) for v in obj]
            return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
        if isinstance(obj, dict):
            return {k: walk(v) for k, v in obj.items()}
        return obj
    args, kwargs = template
    return walk(args), walk(kwargs)


# --------------------------------------------------------------------------- recording

class CallOp(Operation):
    """A public op call: replay calls it again on the run's tensors."""

    def __init__(self, graph, fn, template, leaves, out_specs, name=None, captured=()):
        self.fn = fn
        self.template = template
        tensors = [leaf for leaf in leaves if isinstance(leaf, GraphTensor)]
        variables = [leaf for leaf in leaves if not isinstance(leaf, GraphTensor)]
        super().__init__(graph, fn.__name__, name, tensors, variables, out_specs, GRAPH)
        self.leaves = list(leaves)
        self.captured = list(captured)

    def replay(self, ctx):
        args, kwargs = fill_arguments(self.template, [ctx.value(x) for x in self.leaves])
        return output_template(self.fn(*args, **kwargs))[1]


class ConstantOp(Operation):
    """An op computed while the graph was built (no graph inputs, no random draws)."""

    def __init__(self, graph, op_type, values, name=None):
        super().__init__(graph, op_type, name, (), (), [(t._shape, t._dtype) for t in values],
                         GRAPH)
        for out, value in zip(self.outputs, values):
            out.constant = value

    def replay(self, ctx):
        return [out.constant for out in self.outputs]


def record(graph, fn, args, kwargs, name=None):
    """Record fn(*args, **kwargs) into graph; returns its result with graph tensors."""
    template, leaves, captured = split_arguments(args, kwargs)
    for leaf in leaves:
        if leaf.graph is not graph:
            raise ValueError(f"{fn.__name__}: {leaf.name!r} is from another graph than the "
                             "one being built; tensors of two graphs cannot meet in one op")
    if not leaves and not captured and fn.__name__ not in STATEFUL:
        with suspended():
            result = fn(*args, **kwargs)
        out_template, values = output_template(result)
        op = ConstantOp(graph, fn.__name__, values, name)
    else:
        out_template, specs = infer(fn, template, leaves)
        op = CallOp(graph, fn, template, leaves, specs, name, captured)
    return fill_template(out_template, op.outputs)


# --------------------------------------------------------------------------- static shapes

def infer(fn, template, leaves):
    """(output template, [(TensorShape, dtype)]) of fn on the leaves' static shapes, by trials
    (see the module docstring)."""
    shapes = [leaf.shape for leaf in leaves]
    if all(s.is_fully_defined() for s in shapes):
        out_template, outs = _trial(fn, template, leaves, [s.dims for s in shapes])
        return out_template, [(TensorShape(s), d) for s, d in outs]
    first, error = _first_success(fn, template, leaves, shapes, TRIAL_SIZES[0], TRIAL_RANKS)
    if first is None:
        first, size = _fallback(fn, template, leaves, shapes, error)
        out_template, outs = first[1]
        return out_template, [(TensorShape([None if d == size else d for d in s]), dt)
                              for s, dt in outs]
    rank, (out_template, outs_a) = first
    ranks = [r for r in TRIAL_RANKS if r != rank] + [rank]
    second, _ = _first_success(fn, template, leaves, shapes, TRIAL_SIZES[1], ranks)
    if second is None:
        return out_template, [(TensorShape(None), dt) for _, dt in outs_a]
    outs_b = second[1][1]
    if len(outs_b) != len(outs_a):
        return out_template, [(TensorShape(None), dt) for _, dt in outs_a]
    return out_template, [(_static(a, b), da) for (a, da), (b, _) in zip(outs_a, outs_b)]


def _static(a, b):
    if len(a) != len(b):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a, b)])


def _concrete(shape, size, rank):
    if shape.dims is None:
        return (size,) * rank
    return tuple(size if d is None else d for d in shape.dims)


def _first_success(fn, template, leaves, shapes, size, ranks):
    """The first rank guess (only one matters without unknown ranks) whose trial succeeds."""
    if all(s.dims is not None for s in shapes):
        ranks = ranks[:1]
    error = None
    for rank in ranks:
        try:
            return (rank, _trial(fn, template, leaves,
                                 [_concrete(s, size, rank) for s in shapes])), None
        except Exception as exc:  # the op refuses these trial sizes
            error = error or exc
    return None, error


def _fallback(fn, template, leaves, shapes, error):
    """Trial sizes taken from the arguments (a reshape's fixed batch); else the op's error."""
    for size in _sizes_in(template, shapes):
        found, _ = _first_success(fn, template, leaves, shapes, size, TRIAL_RANKS)
        if found is not None:
            return found, size
    raise error


def _sizes_in(template, shapes):
    sizes = []

    def walk(obj):
        if isinstance(obj, (list, tuple)):
            for v in obj:
                walk(v)
        elif isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, numbers.Integral) and not isinstance(obj, bool) and obj > 1:
            sizes.append(int(obj))
    walk(template)
    for s in shapes:
        if s.dims is not None:
            sizes.extend(d for d in s.dims if d is not None and d > 1)
    return [s for s in dict.fromkeys(sizes) if s not in TRIAL_SIZES][:8]


def _trial(fn, template, leaves, concrete_shapes):
    """Trace fn once on symbolic inputs of these shapes: (output template, [(shape, dtype)])."""
    thread = state.thread
    tapes, scopes = thread.tapes, thread.scopes
    thread.tapes, thread.scopes = [], []
    try:
        with Tracer(f"shapes of {fn.__name__}") as tracer:
            inputs = [tracer.input(TensorSpec(shape, leaf.dtype), shape)
                      for leaf, shape in zip(leaves, concrete_shapes)]
            args, kwargs = fill_arguments(template, inputs)
            out_template, outs = output_template(fn(*args, **kwargs))
    finally:
        thread.tapes, thread.scopes = tapes, scopes
    return out_template, [(tuple(t._shape), t._dtype) for t in outs]


def install():
    """Make public ops record while graphs are built (called when the first graph is made)."""
    dispatch.install(while_building, on_graph_tensor)


graphs.on_first_graph.append(install)
