"""A loaded model's compiled path: whether its plan can run as one gf.function, and the
calls that do.

Graph mode traces a Python function once per input signature (shapes and dtypes) and
replays the optimised, fused graph on every later call with that signature. A plan traces
correctly when every value it computes on the host is a function of the input shapes
alone: then a trace's host values (the shape arithmetic, a reshape's target) hold for every
call with those shapes. `eager_reason` decides that at load time, from the plan alone, and
names the first step that breaks it:
- control flow (If, Loop, Scan, SequenceMap) decides on values at each call: a trace would
  keep the branch or trip count it saw;
- an op whose output shape depends on values (NonZero, Compress);
- a step that needs a device value, or a value the caller feeds, on the host (a Clip bound,
  a Reshape target computed on the GPU, a scatter's indices): under a trace that value does
  not exist yet. A Gather's indices are the exception (its mapping's `traced=`): they only
  pick rows, so the trace takes them as a tensor and checks them in a HOST node per call;
- sequences and optionals (ports, ops or constants): gf.function passes tensors only.
Random ops trace fine: each draw is a HOST node that draws again on every call.

Outputs that are constants or host values (numpy arrays, exact int64) are not graph
outputs: the trace notes them per input shapes and the call puts them back, so `run`
returns them exactly as the eager path does.
"""
import weakref

from ..graph.function import Function
from ..runtime import state
from ..tensor import Tensor
from . import control, convert
from .errors import where

# distinct input shapes a model keeps traces for (each holds its programs and planned
# buffers); one more starts afresh, as the eager path's host-value cache does
TRACE_CACHE_SIZE = 64
# ops on sequences and optionals (glflow/onnx/mappings/sequence.py): their values are lists
# or None, which a graph does not hold
SEQUENCE_OPS = frozenset({
    "SequenceEmpty", "SequenceConstruct", "SequenceAt", "SequenceInsert", "SequenceErase",
    "SequenceLength", "SplitToSequence", "ConcatFromSequence",
    "Optional", "OptionalHasElement", "OptionalGetElement"})


def eager_reason(plan):
    """None when the plan traces as one function of its input tensors (see the module doc),
    else why it runs eagerly: the first port or step that prevents it, named."""
    for side, ports in (("input", plan.inputs), ("output", plan.outputs)):
        for p in ports:
            if p.kind != "tensor":
                return f"{side} {p.name!r} is a {p.kind}; graph mode passes tensors only"
    for s in plan.steps:
        if isinstance(s, control.ControlStep):
            return (f"{where(s.node)} is control flow: it decides on values at every call, "
                    "which a trace would fix")
        if not isinstance(s, convert.DeviceStep):
            continue  # host steps on shapes and constants
        if s.node.op_type in convert.DATA_SHAPED:
            return f"{where(s.node)}: its output's shape depends on its input's values"
        if s.node.op_type in SEQUENCE_OPS:
            return f"{where(s.node)} works on a sequence or an optional; graph mode holds tensors"
        for i, name in enumerate(s.inputs):
            if not name:
                continue
            value = plan.constants.get(name)
            if isinstance(value, list) or (name in plan.constants and value is None):
                return (f"{where(s.node)} reads constant {name!r}, a sequence or an optional; "
                        "graph mode holds tensors")
            if (i in s.host and i not in s.traced and name not in plan.constants
                    and name not in plan.host):
                return (f"{where(s.node)} needs input {name!r} on the host, and it is computed "
                        "on the device or fed by the caller: a trace has no values for it")
    return None


class CompiledCall:
    """A model's calls through gf.function: `run(tensors)` -> one value per graph output
    (Tensors, and numpy arrays for the outputs that are constants or host values).

    `execute(feeds)` is the eager plan runner (OnnxModel._execute): traced, it builds the
    graph. One gf.function per backend, because a trace captures the constants uploaded to
    the backend it ran on and the passes optimise for that backend."""

    def __init__(self, execute, input_names, name):
        # weakly: the model owns this, and a cycle through it would keep its plan (the
        # weights as numpy arrays) alive until a garbage collection
        self._execute = weakref.WeakMethod(execute)
        self._names = list(input_names)
        self._name = name
        self._functions = {}  # backend name -> Function
        self._fixed = {}      # input shapes and dtypes -> {output index: numpy value}

    def function(self):
        """The gf.function of the active backend (its `graph`, `trace_count`, summary())."""
        backend = state.get_backend()
        fn = self._functions.get(backend)
        if fn is None:
            fn = self._functions[backend] = Function(self._traced, name=self._name)
        return fn

    def run(self, tensors):
        if len(self._fixed) >= TRACE_CACHE_SIZE and _key(tensors) not in self._fixed:
            self._functions.clear()  # a model fed ever new shapes keeps no unbounded cache
            self._fixed.clear()
        outs = self.function()(*tensors)
        fixed = self._fixed[_key(tensors)]  # noted by the trace of these shapes
        device = iter(outs)
        return [fixed[i] if i in fixed else next(device) for i in range(len(fixed) + len(outs))]

    def _traced(self, *tensors):
        """The function gf.function traces: the plan on symbolic tensors; returns the device
        outputs, noting the others for run()."""
        values = self._execute()(dict(zip(self._names, tensors)))
        self._fixed[_key(tensors)] = {i: v for i, v in enumerate(values)
                                      if not isinstance(v, Tensor)}
        return [v for v in values if isinstance(v, Tensor)]


def _key(tensors):
    """What the host values and constant outputs of a call depend on (in a compilable plan)."""
    return tuple((tuple(t.shape), t.dtype) for t in tensors)
