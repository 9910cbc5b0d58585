"""Tracer: turns primitive runs into graph nodes while Python code runs once.

While a Tracer is active on a thread (`with Tracer(name) as tr:`), every `Primitive.run`
(glflow/ops/_primitive.py) hands its call here instead of launching a kernel, and gets back
SymbolicTensors for the outputs. Tensors that are not symbolic become CONST nodes (captured by
reference: tensors are immutable), Variables become VARIABLE nodes read when the graph runs,
`Variable.assign` becomes a graph update, and `host_call` (glflow/ops/_host.py) a HOST node.

Gradients trace too: a primitive call made while a GradientTape records is offered to the tape
as in eager mode, and the tape's backward walk calls gradient functions that are glflow ops, so
under the tracer the backward pass becomes nodes of the same graph.

This is the API graph front ends build on (gf.function here; a TF1 Graph/Session can drive the
same calls):

    with Tracer("f") as tr:
        x = tr.input(TensorSpec([None, 3]), (2, 3))     # a SymbolicTensor fed at run time
        y = gf.relu(x) * 2.0                           # ops build nodes
        tr.returns([y])
    graph = tr.graph                                   # glflow/graph/ir.py
"""
from ..ops._host import HostScalar
from ..ops._primitive import Call, record
from ..runtime import state
from . import ir
from .executor import evaluate
from .symbolic import SymbolicTensor, SymbolicValueError

_thread = state.thread


class Tracer:
    def __init__(self, name="graph", backend=None):
        self.name = name
        self.graph = ir.Graph(name)
        self.backend = backend or state.backend()
        self._constants = {}      # id(tensor) -> (tensor, Value)
        self._variables = {}      # id(variable) -> (variable, current Value)
        self._previous = None
        self.active = False

    # ------------------------------------------------------------------ scope
    def __enter__(self):
        if _thread.tracer is not None:
            raise RuntimeError(f"graph: tracing {self.name!r} inside tracing "
                               f"{_thread.tracer.name!r}; nested traces inline instead")
        _thread.tracer = self
        self.active = True
        return self

    def __exit__(self, *exc):
        _thread.tracer = None
        self.active = False
        return False

    # ------------------------------------------------------------------ values
    def input(self, spec, shape, name=None):
        """A graph input of this concrete shape, accepting what `spec` accepts."""
        node = self.graph.add(ir.Node(ir.INPUT, out_specs=[(tuple(shape), spec.dtype)],
                                      attrs={"spec": spec}, name=name or spec.name or "input"))
        return self._symbolic(node.output)

    def value_of(self, t):
        """The Value a tensor stands for in this graph (capturing it if it is concrete)."""
        if t._symbolic:
            if t._tracer is not self:
                raise SymbolicValueError(
                    f"graph: a symbolic tensor of {t._tracer.name!r} (shape {t.shape}) is used "
                    f"while tracing {self.name!r}; tensors do not cross traced functions")
            if t._disposed:
                t._live_storage("graph")
            return t._value
        if t._is_variable:
            return self._variable_value(t)
        t._live_storage("graph")
        found = self._constants.get(id(t))
        if found is None:
            node = self.graph.add(ir.Node(ir.CONST, out_specs=[(t._shape, t._dtype)],
                                          tensor=t, name="const"))
            found = self._constants[id(t)] = (t, node.output)
        return found[1]

    def _variable_value(self, var):
        found = self._variables.get(id(var))
        if found is None:
            node = self.graph.add(ir.Node(ir.VARIABLE, out_specs=[(var._shape, var._dtype)],
                                          tensor=var, name=var.name))
            found = self._variables[id(var)] = (var, node.output)
        return found[1]

    def _symbolic(self, value):
        return SymbolicTensor(value, self)

    def tensor_for(self, value):
        """A SymbolicTensor standing for an existing Value (front ends use it)."""
        return self._symbolic(value)

    # ------------------------------------------------------------------ hooks
    def call(self, prim, inputs, out_shape, dtype, attrs):
        """Primitive.run under the tracer: one CALL node; returns its symbolic output(s)."""
        values = [self.value_of(t) for t in inputs]
        several = prim.n_outputs != 1
        specs = [(tuple(s), dtype) for s in out_shape] if several else [(tuple(out_shape), dtype)]
        recorded = attrs
        if attrs and any(isinstance(v, HostScalar) for v in attrs.values()):
            attrs = {k: ir.HostRef(self.value_of(v.tensor)) if isinstance(v, HostScalar) else v
                     for k, v in attrs.items()}
        node = self.graph.add(ir.Node(ir.CALL, values, specs, prim=prim, attrs=attrs))
        outputs = [self._symbolic(v) for v in node.outputs]
        if _thread.tapes and not _thread.paused:
            record(Call(prim, inputs, recorded, outputs))
        return outputs if several else outputs[0]

    def host(self, name, fn, inputs, out_specs, stateful=False, effect=False):
        """host_call under the tracer: one HOST node; returns its symbolic outputs."""
        values = [self.value_of(t) for t in inputs]
        node = self.graph.add(ir.Node(ir.HOST, values, out_specs, fn=fn, name=name,
                                      stateful=stateful, effect=effect))
        return [self._symbolic(v) for v in node.outputs]

    def assign(self, var, value):
        """Variable.assign under the tracer: later reads see `value`; the run writes it."""
        v = self.value_of(value)
        self._variables[id(var)] = (var, v)
        self.graph.updates.append((var, v))

    def read_variable(self, var):
        return self._symbolic(self._variable_value(var))

    def returns(self, tensors):
        """Set the graph's outputs (tensors: symbolic or concrete)."""
        self.graph.outputs = [self.value_of(t) for t in tensors]

    # ------------------------------------------------------------------ eager islands
    def materialize(self, t, op):
        """Compute a symbolic tensor now, eagerly (a Variable made inside a traced function
        gets its initial value as on a first eager call). It must not depend on inputs."""
        return evaluate(self.graph, t._value, op, self.backend)
