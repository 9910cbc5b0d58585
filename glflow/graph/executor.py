"""Program: a graph made runnable on one backend, then run as a tight loop over prepared steps.

Compiling resolves everything that does not change between runs: a storage slot for every
value (an alias such as reshape shares its input's slot), a prepared launch per kernel node
(`backend.prepare(kernel, in_shapes, out_shape, dtype, attrs)`: on GL, elementwise and fused
kernels get their program, uniforms and viewport fixed, glflow/backends/gl/prepared.py), the
memory plan (memory_plan.py: intermediates a prepared draw can write into get buffers shared
by liveness) and, for every step, the slots whose last reader it is. A run then fills the input,
constant and variable slots, loops over the steps, returns what other kernels made to the
texture pool right after their last reader, wraps the outputs as tensors and commits the
Variable writes at the end (a run that fails writes nothing and frees what it made).
"""
import contextlib
import threading
import weakref

from ..ops._host import check_results
from ..runtime import dtypes
from ..tensor import Storage, Tensor
from . import ir, memory_plan, profile
from .symbolic import SymbolicValueError


class Step:
    """One launch: inputs are slot indices, outputs slot indices."""
    __slots__ = ("node", "launch", "ins", "outs", "many", "into", "frees", "label")

    def __init__(self, node, launch, ins, outs, many):
        self.node = node
        self.launch = launch
        self.ins = ins
        self.outs = outs
        self.many = many
        self.into = False      # draws into its planned buffer (slots[outs[0]] is set)
        self.frees = ()        # slots to give back after this step
        self.label = None      # (kernel, shapes) for profiles


class HostLaunch:
    """A HOST node's run: read the inputs back, call the function, upload the results."""
    into_buffer = False

    def __init__(self, node, backend):
        self.node = node
        self.backend = backend
        self.in_specs = [(v.shape, v.dtype) for v in node.inputs]
        self.out_specs = [(v.shape, v.dtype) for v in node.outputs]

    def __call__(self, handles, out=None):
        b = self.backend
        arrays = [b.read(h, shape, dtype) for h, (shape, dtype) in zip(handles, self.in_specs)]
        results = check_results(self.node.name, self.node.fn(*arrays), self.out_specs)
        self.results = results  # for kernels taking them as attrs (DynamicLaunch)
        limit = b.limit("exact_int")
        for r, (_, dtype) in zip(results, self.out_specs):
            if limit is not None and dtype == dtypes.INT32 and r.size and abs(r).max() > limit:
                raise ValueError(f"{self.node.name}: int32 value {int(abs(r).max())} exceeds "
                                 f"+-{limit}, the largest the {b.name} backend stores exactly")
        return tuple(b.upload(r) for r in results)


class DynamicLaunch:
    """A kernel with attrs HOST nodes compute on every run (ir.HostRef): the attrs are
    completed from the host values each call, then the kernel runs through backend.run."""
    into_buffer = False

    def __init__(self, backend, kernel, in_shapes, out_shape, dtype, attrs, sources):
        self.backend = backend
        self.kernel = kernel
        self.in_shapes = [tuple(s) for s in in_shapes]
        self.out_shape = out_shape
        self.dtype = dtype
        self.attrs = attrs
        self.sources = sources    # [(attr name, HostLaunch, output index)]

    def __call__(self, handles, out=None):
        attrs = dict(self.attrs)
        for name, launch, index in self.sources:
            attrs[name] = float(launch.results[index].reshape(-1)[0])
        return self.backend.run(self.kernel, list(zip(handles, self.in_shapes)),
                                self.out_shape, self.dtype, attrs)


class Program:
    """A graph compiled for one backend. `run(feeds)` -> output tensors (Variables written)."""

    def __init__(self, graph, backend, plan_memory=True):
        self.graph = graph
        self.backend = backend
        slot_of = {}
        sizes = []
        for node in graph.nodes:
            if node.is_alias:
                slot_of[node.output] = slot_of[node.inputs[0]]
                continue
            for v in node.outputs:
                slot_of[v] = len(sizes)
                sizes.append(v.size)
        self.slot_of = slot_of
        self._sizes = sizes
        self.n_slots = len(sizes)
        self.inputs = [slot_of[n.output] for n in graph.inputs]
        self.input_specs = [(n.output.shape, n.output.dtype) for n in graph.inputs]
        self.sources = [(slot_of[n.output], n.tensor) for n in graph.nodes
                        if n.kind in (ir.CONST, ir.VARIABLE)]
        self.outputs = [(slot_of[v], v.shape, v.dtype) for v in graph.outputs]
        self.updates = [(var, slot_of[v]) for var, v in graph.updates]
        self._host_launches = {}   # HOST node -> its launch (DynamicLaunch reads its results)
        self.steps = [self._step(node) for node in graph.nodes
                      if node.kind == ir.HOST or (node.kind == ir.CALL and not node.prim.alias)]
        # A program whose kernels read host values keeps them on its HOST launches between
        # steps: one run at a time (GL runs serialise on the context anyway).
        self._lock = threading.Lock() if any(
            isinstance(s.launch, DynamicLaunch) for s in self.steps) else None
        escaping = {s for s, _, _ in self.outputs} | {s for _, s in self.updates}
        self.planned, self._buffer_classes = self._plan(sizes, escaping, plan_memory)
        self._schedule_frees(escaping)
        self._buffers = None       # allocated on the first run
        self._planned_data = None  # [(slot, handle)] to place at the start of each run

    # ------------------------------------------------------------------ compiling
    def _step(self, node):
        b = self.backend
        ins = [self.slot_of[v] for v in node.inputs]
        outs = [self.slot_of[v] for v in node.outputs]
        if node.kind == ir.HOST:
            launch = self._host_launches[node] = HostLaunch(node, b)
            step = Step(node, launch, ins, outs, True)
            step.label = (node.name, [list(v.shape) for v in node.inputs])
            return step
        several = node.prim.n_outputs != 1
        out_shape = tuple(v.shape for v in node.outputs) if several else node.output.shape
        in_shapes = [v.shape for v in node.inputs]
        prepare = getattr(b, "prepare", None)
        attrs = node.kernel_attrs()
        refs = ir.host_refs(node)
        if refs:
            sources = [(name, self._host_launches[ref.value.node], ref.value.index)
                       for name, ref in refs]
            launch = DynamicLaunch(b, node.prim.kernel, in_shapes, out_shape,
                                   node.output.dtype, attrs, sources)
        elif prepare is not None:
            launch = prepare(node.prim.kernel, in_shapes, out_shape, node.output.dtype, attrs)
        else:
            launch = _generic(b, node.prim.kernel, in_shapes, out_shape, node.output.dtype,
                              attrs)
        step = Step(node, launch, ins, outs, several)
        step.label = (node.prim.kernel, [list(s) for s in in_shapes])
        return step

    def _plan(self, sizes, escaping, enabled):
        """{slot: buffer index} for values a prepared draw writes into, by liveness."""
        buffers = getattr(self.backend, "buffers", None)
        if not enabled or buffers is None:
            return {}, []
        self._buffer_api = buffers()
        last = {}
        for k, step in enumerate(self.steps):
            for s in step.ins:
                last[s] = k
        lifetimes = []
        for k, step in enumerate(self.steps):
            if step.many or not getattr(step.launch, "into_buffer", False):
                continue
            slot = step.outs[0]
            if slot in escaping or sizes[slot] == 0:
                continue
            cls = self._buffer_api.key(sizes[slot])
            lifetimes.append(memory_plan.Lifetime(slot, cls, k, last.get(slot, k)))
            step.into = True
        return memory_plan.assign(lifetimes)

    def _schedule_frees(self, escaping):
        """Each slot made by an unplanned kernel goes back to the pool after its last reader."""
        owned = {}
        for k, step in enumerate(self.steps):
            for s in step.outs:
                if s not in escaping and s not in self.planned:
                    owned[s] = k
        last = dict(owned)
        for k, step in enumerate(self.steps):
            for s in step.ins:
                if s in owned:
                    last[s] = k
        frees = {}
        for s, k in last.items():
            frees.setdefault(k, []).append(s)
        for k, step in enumerate(self.steps):
            step.frees = tuple(frees.get(k, ()))
        self._owned = owned

    def _allocate_buffers(self):
        api = self._buffer_api
        self._buffers = [api.make(cls) for cls in self._buffer_classes]
        weakref.finalize(self, _release_all, api, list(self._buffers))
        self._planned_data = [(slot, api.data(self._buffers[buf], self._sizes[slot]))
                              for slot, buf in self.planned.items()]

    # ------------------------------------------------------------------ running
    def run(self, feeds=()):
        """Run once on input tensors (in graph.inputs order); returns the output tensors."""
        b = self.backend
        if len(feeds) != len(self.inputs):
            raise ValueError(f"{self.graph.name}: {len(feeds)} inputs fed, the graph takes "
                             f"{len(self.inputs)}")
        slots = [None] * self.n_slots
        storages = {}
        for slot, t, (shape, dtype) in zip(self.inputs, feeds, self.input_specs):
            if t._shape != shape or t._dtype != dtype:
                raise ValueError(f"{self.graph.name}: input of shape {t.shape} ({t.dtype}) "
                                 f"fed where the graph takes {list(shape)} ({dtype})")
            st = storages[slot] = _storage_on(t, b)
            slots[slot] = st.handle
        for slot, t in self.sources:
            st = storages[slot] = _storage_on(t, b)
            slots[slot] = st.handle
        if self.planned and self._buffers is None:
            self._allocate_buffers()
        if self._planned_data:
            for slot, data in self._planned_data:
                slots[slot] = data
        recorder = profile.active()
        section = getattr(b, "gl", None) or contextlib.nullcontext()
        with section, (self._lock or contextlib.nullcontext()):
            try:
                if recorder is None:
                    self._loop(slots)
                else:
                    recorder.run_program(self, slots)
            except BaseException:
                self._free_made(slots)
                raise
        return self._finish(slots, storages)

    def _loop(self, slots):
        free = self.backend.free
        for step in self.steps:
            if step.into:
                step.launch([slots[i] for i in step.ins], slots[step.outs[0]])
            else:
                made = step.launch([slots[i] for i in step.ins], None)
                if step.many:
                    for i, h in zip(step.outs, made):
                        slots[i] = h
                else:
                    slots[step.outs[0]] = made
            for i in step.frees:
                free(slots[i])
                slots[i] = None

    def run_step(self, step, slots):
        """One step of _loop (the profiler's loop times them one by one)."""
        if step.into:
            step.launch([slots[i] for i in step.ins], slots[step.outs[0]])
        else:
            made = step.launch([slots[i] for i in step.ins], None)
            if step.many:
                for i, h in zip(step.outs, made):
                    slots[i] = h
            else:
                slots[step.outs[0]] = made
        for i in step.frees:
            self.backend.free(slots[i])
            slots[i] = None

    def _free_made(self, slots):
        """After a failed run: give back everything this run made that nothing will own."""
        seen = set()
        for step in self.steps:
            for s in step.outs:
                h = slots[s]
                if h is not None and s not in self.planned and id(h) not in seen:
                    seen.add(id(h))
                    self.backend.free(h)
                    slots[s] = None

    def _finish(self, slots, storages):
        b = self.backend
        made = {}

        def storage(slot):
            st = storages.get(slot) or made.get(slot)
            if st is None:
                st = made[slot] = Storage(b, slots[slot], self._sizes[slot] * 4)
            return st
        outs = []
        for slot, shape, dtype in self.outputs:
            t = Tensor.__new__(Tensor)
            t._init(storage(slot), shape, dtype)
            outs.append(t)
        for var, slot in self.updates:
            var._storage = storage(slot)
        return outs

    # ------------------------------------------------------------------ reporting
    def kernel_count(self):
        return sum(1 for s in self.steps if s.node.kind == ir.CALL)

    def buffer_bytes(self):
        """Bytes of the planned buffers this program keeps (allocated on its first run)."""
        if not self._buffers:
            return 0
        return sum(getattr(buf, "nbytes", 0) for buf in self._buffers)


def _release_all(api, buffers):
    for buf in buffers:
        try:
            api.release(buf)
        except Exception:  # interpreter shutdown
            pass


def _generic(backend, kernel, in_shapes, out_shape, dtype, attrs):
    """A launch through backend.run, for backends without prepare()."""
    def launch(handles, out=None):
        return backend.run(kernel, list(zip(handles, in_shapes)), out_shape, dtype, attrs)
    launch.into_buffer = False
    return launch


def _storage_on(t, b):
    """The tensor's storage on backend b (uploaded once if it lives on another backend)."""
    st = t._live_storage("graph")
    if st.backend is b:
        return st
    st = Storage(b, b.upload(t.numpy()), st.nbytes)
    t._storage = st
    return st


def evaluate(graph, value, op, backend):
    """Compute one Value of a graph under construction now (eagerly), from the nodes it needs.
    Refused when it depends on a graph input (its values come with each call)."""
    needed, stack = set(), [value.node]
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        if node.kind == ir.INPUT:
            raise SymbolicValueError(
                f"{op}: its value depends on the inputs of {graph.name!r}, which exist only "
                "when the function runs; make it from constants or variables, or outside")
        needed.add(node)
        stack.extend(v.node for v in node.inputs)
    sub = ir.Graph(f"{graph.name}/{op}")
    sub.nodes = [n for n in graph.nodes if n in needed]
    sub.outputs = [value]
    return Program(sub, backend, plan_memory=False).run([])[0]


def evaluate_node(node, backend):
    """Run one node whose inputs are all CONST nodes; returns its outputs as tensors."""
    sub = ir.Graph(f"fold/{node.name}")
    sub.nodes = list(dict.fromkeys(v.node for v in node.inputs)) + [node]
    sub.outputs = list(node.outputs)
    return Program(sub, backend, plan_memory=False).run([])


__all__ = ["Program", "evaluate", "evaluate_node"]
