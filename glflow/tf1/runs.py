"""What one `Session.run` does: the operations its fetches need, in stages, compiled by graph
mode per fed-shape signature.

A RunPlan is made once per (fetches, fed tensors) of a session: the operations the fetches
need (through inputs and control inputs, stopping at fed tensors), in creation order, cut into
stages. "host" operations (queues, py_func, iterators) run on the host with concrete values and
may block, so they never run inside a compiled program (which holds the GL context): the
graph operations between them form *segments*. A graph operation goes in the first segment
after every host operation it depends on; a host operation runs right after the segment
that makes its inputs (before segment 0 when it needs none). A consumer's run is then
typically one dequeue on the host and one compiled program.

A Segment is traced into graph mode's IR (glflow/graph/) when it first runs with a given
signature (the shapes and dtypes of its inputs: feeds, host results, earlier segments'
outputs) and the backend: a Tracer gets one input per such tensor, the operations replay in
creation order on the symbolic tensors (Variables are the session's SessionValues, captured by
reference), the fetched and later-needed tensors become the graph's outputs and the assigns
its updates. The graph is optimised by graph mode's passes and compiled into a Program, kept
for every later run of that signature. A segment holding a gradient operation traces under
one persistent GradientTape watching the gradient sources, so the backward pass is part of
the same graph and optimised with it.
"""
import threading

from ..autodiff import GradientTape, no_record
from ..graph import passes
from ..graph.executor import Program
from ..graph.ir import TensorSpec
from ..graph.tracer import Tracer
from ..ops import _core
from ..runtime import state
from ..tensor import Tensor
from .. import errors
from . import recording
from .graph import FEED, GROUP, HOST, GraphTensor, Operation


class Run:
    """One Session.run call in progress: its session and deadline (for blocking host ops)."""
    __slots__ = ("session", "deadline")

    def __init__(self, session, deadline):
        self.session = session
        self.deadline = deadline


class ReplayContext:
    """What an operation's replay reads: the segment's tensors and the session's Variables."""

    def __init__(self, session, env, tape):
        self.session = session
        self.env = env
        self.tape = tape

    def value(self, leaf):
        if isinstance(leaf, GraphTensor):
            return self.env[leaf]
        return self.variable(leaf)

    def variable(self, variable):
        if getattr(variable, "_tf1_variable", False):
            return self.session.value_of(variable)
        return variable       # an eager glflow Variable the graph captured


class RunPlan:
    """The stages of one (fetches, fed tensors) signature of a session (module docstring)."""

    def __init__(self, graph, targets, fed):
        self.graph = graph
        self.fed = frozenset(fed)
        fetched = {t for t in targets if isinstance(t, GraphTensor)}
        target_ops = [t if isinstance(t, Operation) else t.op for t in targets
                      if isinstance(t, Operation) or t in fetched and t not in self.fed]
        needed = _needed(target_ops, self.fed)
        _check_feeds(needed, self.fed)
        # What runs for its own sake must not be optimised away: the outputs of fetched and
        # control-input operations are computed as if fetched (TF runs them; a HOST check
        # among them may fail the run).
        forced = set(target_ops) | {c for op in needed for c in op.control_inputs}
        fetched = fetched | {t for op in forced for t in op.outputs}
        self.stages = _stages(needed, self.fed, fetched)

    def execute(self, session, values, run):
        """Run every stage; `values` (GraphTensor -> numpy array or Tensor) starts with the
        feeds and ends with every tensor the plan made that a fetch may read."""
        for kind, stage in self.stages:
            if kind == HOST:
                inputs = [_as_numpy(values[t]) for t in stage.inputs]
                outputs = stage.run_host(inputs, run)
                if len(outputs) != len(stage.outputs):
                    raise errors.InternalError(None, stage, f"{stage.name}: {len(outputs)} "
                                               f"results for {len(stage.outputs)} outputs")
                values.update(zip(stage.outputs, outputs))
            else:
                stage.run(session, values)
        return values


def _needed(target_ops, fed):
    """Operations the targets need, in creation order (an iterative walk)."""
    seen, stack = set(), list(target_ops)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs if t not in fed)
        stack.extend(op.control_inputs)
    return sorted(seen, key=lambda op: op._index)


def _check_feeds(needed, fed):
    for op in needed:
        if op.kind == FEED and op.outputs[0] not in fed:
            t = op.outputs[0]
            raise errors.InvalidArgumentError(
                None, op, f"You must feed a value for placeholder tensor {op.name!r} with "
                f"dtype {t.dtype} and shape {_shape_text(t.shape)}")


def _shape_text(shape):
    if shape.dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.dims) + "]"


def _stages(needed, fed, fetched):
    """[(HOST, op) or ("segment", Segment)] in the order they run (module docstring)."""
    segment_of, after = {}, {}
    in_plan = set(needed)
    for op in needed:
        if op.kind == FEED:
            continue
        deps = [t.op for t in op.inputs if t not in fed] + list(op.control_inputs)
        deps = [d for d in deps if d in in_plan and d.kind != FEED]
        if op.kind == HOST:
            after[op] = max((segment_of[d] if d in segment_of else after[d] for d in deps),
                            default=-1)
        else:
            segment_of[op] = max((segment_of[d] if d in segment_of else after[d] + 1
                                  for d in deps), default=0)
    count = max(list(segment_of.values()) + [-1]) + 1
    host_after = {}
    for op, k in after.items():
        host_after.setdefault(k, []).append(op)
    readers = _later_readers(needed, fed)
    stages = [(HOST, op) for op in host_after.get(-1, [])]
    for k in range(count):
        ops = [op for op in needed if segment_of.get(op) == k]
        if any(op.kind != GROUP for op in ops):
            stages.append(("segment", Segment(ops, fed, fetched, readers)))
        stages.extend((HOST, op) for op in host_after.get(k, []))
    return stages


def _later_readers(needed, fed):
    """{tensor: operations of the plan reading it}."""
    readers = {}
    for op in needed:
        for t in op.inputs:
            if t not in fed:
                readers.setdefault(t, []).append(op)
    return readers


class Segment:
    """Graph operations compiled and run as one program (module docstring)."""

    def __init__(self, ops, fed, fetched, readers):
        self.ops = [op for op in ops if op.kind != GROUP]
        made = {t for op in self.ops for t in op.outputs}
        inputs = []
        for op in self.ops:
            for t in op.inputs:
                if t not in made and t not in inputs:
                    inputs.append(t)
        own = set(self.ops)
        self.inputs = inputs
        self.outputs = [t for op in self.ops for t in op.outputs
                        if t in fetched or any(r not in own for r in readers.get(t, ()))]
        sources = [s for op in self.ops for s in op.gradient_sources]
        self.tensor_sources = {s for s in sources if isinstance(s, GraphTensor)}
        self.variable_sources = [s for s in dict.fromkeys(sources)
                                 if not isinstance(s, GraphTensor)]
        self.needs_tape = bool(sources)
        self.name = self.ops[0].name if len(self.ops) == 1 else \
            f"{self.ops[0].name}..{self.ops[-1].name}"
        self._compiled = {}
        self._lock = threading.Lock()

    def run(self, session, values):
        backend = state.backend()
        tensors = [_as_tensor(values, t) for t in self.inputs]
        key = (backend, tuple((x._shape, x._dtype) for x in tensors))
        with self._lock:
            compiled = self._compiled.get(key)
            if compiled is None:
                compiled = self._compiled[key] = Compiled(self, session, tensors, backend)
        outputs = compiled.run(tensors)
        values.update(zip(self.outputs, outputs))


class Compiled:
    """One segment traced for one signature: the graphs and the program that runs them."""

    def __init__(self, segment, session, tensors, backend):
        thread = state.thread
        tapes, scopes = thread.tapes, thread.scopes
        thread.tapes, thread.scopes = [], []
        tracer = Tracer(f"session run {segment.name}", backend)
        try:
            with recording.suspended(), tracer:
                env = {}
                for t, x in zip(segment.inputs, tensors):
                    spec = TensorSpec(t.shape.dims, x._dtype, name=t.name)
                    env[t] = tracer.input(spec, x._shape, name=t.name)
                tape = GradientTape(persistent=True, watch_accessed_variables=False) \
                    if segment.needs_tape else None
                ctx = ReplayContext(session, env, tape)
                if tape is None:
                    _replay(segment, ctx)
                else:
                    with tape:
                        for v in segment.variable_sources:
                            tape.watch(ctx.variable(v))
                        _watch(tape, segment, env, segment.inputs)
                        _replay(segment, ctx)
                tracer.returns([env[t] for t in segment.outputs])
        finally:
            thread.tapes, thread.scopes = tapes, scopes
        self.traced_graph = tracer.graph
        self.graph = tracer.graph.copy()
        self.log = passes.optimize(self.graph, backend, fuse=True)
        self.program = Program(self.graph, backend)
        self._lock = threading.Lock()   # one run at a time: a program's buffers are its own

    def run(self, tensors):
        with self._lock:
            return self.program.run(tensors)


def _replay(segment, ctx):
    for op in segment.ops:
        outputs = op.replay(ctx)
        if len(outputs) != len(op.outputs):
            raise errors.InternalError(None, op, f"{op.name}: replay gave {len(outputs)} "
                                       f"values for {len(op.outputs)} outputs")
        for t, value in zip(op.outputs, outputs):
            if not t.shape.accepts(value._shape) or value._dtype != t.dtype:
                raise errors.InvalidArgumentError(
                    None, op, f"{op.name}: computed {value._dtype}{list(value._shape)} where "
                    f"the graph promised {t.dtype} of shape {t.shape}")
            ctx.env[t] = value
        if ctx.tape is not None:
            _watch(ctx.tape, segment, ctx.env, op.outputs)


def _watch(tape, segment, env, tensors):
    for t in tensors:
        if t in segment.tensor_sources:
            tape.watch(env[t])


def _as_tensor(values, t):
    value = values[t]
    if not isinstance(value, Tensor):
        with recording.suspended(), no_record():
            value = _core.convert(value, t.name, t.dtype)
        values[t] = value
    return value


def _as_numpy(value):
    return value.numpy() if isinstance(value, Tensor) else value


__all__ = ["RunPlan", "Run", "ReplayContext"]
