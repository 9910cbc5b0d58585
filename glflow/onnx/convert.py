"""ONNX graph -> a plan of steps, decided once at load time.

Every value of the graph falls in one of three classes, decided from the graph alone:
- constant: initializers, Constant nodes, and every deterministic node whose inputs are all
  constant, folded here with ONNX's reference implementation (onnx.reference);
- host: a value that depends only on input shapes (Shape, Size and the arithmetic on them):
  computed on the host at call time, exactly (int64), from shapes alone, never reading a
  tensor back; this is what makes a dynamic batch dimension work without re-import;
- device: everything else, computed by a mapping (mappings/) as glflow ops.

So the per-call function is a list of steps: host steps on small numpy arrays and device
steps that call glflow ops, the shape of program graph mode can trace. Everything the plan
refuses (an op without mapping, an attribute, a dtype) is refused here, at load time.
"""
from collections import deque

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from . import control, graph, types
from .expand import expand_functions
from .errors import UnsupportedError, where
from .mappings import TABLE, NodeInfo

DEFAULT_DOMAINS = ("", "ai.onnx")
# never folded or moved to the host: each call must draw new values
NONDETERMINISTIC = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                    "Bernoulli", "Multinomial"}
# outputs as large as a data tensor, from a shape alone: made on the device, not uploaded
GENERATORS = {"ConstantOfShape", "Expand", "Tile", "EyeLike"}
# output shapes that depend on tensor values, not on shapes
DATA_SHAPED = {"NonZero", "Compress"}
# onnx.reference holds optionals its own way (wrapped in lists): these are never folded, so
# an optional is always glflow's (a value, or None for an empty one)
OPTIONALS = {"Optional", "OptionalHasElement", "OptionalGetElement"}


class Plan:
    """The steps of one graph, with its constants and ports."""

    def __init__(self, inputs, outputs, constants, steps, host):
        self.inputs = inputs        # Ports the caller feeds (initializer-backed ones excluded)
        self.outputs = outputs      # Ports
        self.constants = constants  # {name: numpy array}
        self.steps = steps
        self.host = host            # names of the values host steps compute per call
        # When every host value is a function of the input shapes alone (no op whose output
        # shape depends on tensor values, no host argument computed on the device), a call
        # may reuse the host values of an earlier call with the same input shapes.
        self.shape_pure = not any(
            isinstance(s, control.ControlStep) or isinstance(s, DeviceStep) and (
                s.node.op_type in DATA_SHAPED or any(
                    name and i in s.host and name not in constants and name not in host
                    for i, name in enumerate(s.inputs)))
            for s in steps)
        self.device_constants = sorted(
            {name for s in steps if isinstance(s, DeviceStep) for i, name in enumerate(s.inputs)
             if name in constants and i not in s.host}
            | {name for s in steps if isinstance(s, control.ControlStep)
               for body in s.bodies.values() for name in body.device_constants}
            | {name for s in steps if isinstance(s, control.ControlStep)
               for name in s.inputs if name in constants})


class HostStep:
    """A node run on the host with ONNX's reference implementation (shape arithmetic)."""
    __slots__ = ("node", "inputs", "outputs", "evaluator")

    def __init__(self, node, opsets):
        self.node = node
        self.inputs = list(node.input)
        self.outputs = list(node.output)
        self.evaluator = ReferenceEvaluator(node, opsets=opsets)

    def run(self, values):
        feeds = {n: values[n] for n in self.inputs if n}
        return self.evaluator.run(None, feeds)


class ShapeStep:
    """Shape and Size: read from a value's shape, which the host always knows."""
    __slots__ = ("node", "inputs", "outputs", "start", "end")

    def __init__(self, node):
        self.node = node
        self.inputs = list(node.input)
        self.outputs = list(node.output)
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        self.start, self.end = attrs.get("start", 0), attrs.get("end")

    def run(self, values):
        shape = tuple(values[self.inputs[0]].shape)
        if self.node.op_type == "Size":
            return [np.array(int(np.prod(shape, dtype=np.int64)), np.int64)]
        return [np.array(shape[slice(self.start, self.end)], np.int64)]


class DeviceStep:
    """A node computed by its mapping, as glflow ops."""
    __slots__ = ("node", "inputs", "outputs", "fn", "info", "host", "traced")

    def __init__(self, node, mapping, info):
        self.node = node
        self.inputs = list(node.input)
        self.outputs = list(node.output)
        self.fn = mapping.fn
        self.info = info
        self.host = mapping.host
        self.traced = mapping.traced  # host inputs a trace may give as device tensors


def build(model):
    """The Plan of a checked ModelProto (reader.read_model)."""
    opsets = {o.domain: o.version for o in model.opset_import}
    opset = opsets.get("", opsets.get("ai.onnx"))
    _check_ports(model.graph)
    model, versions = expand_functions(model, opset, _kept)
    known = graph.value_types(model)
    constants = graph.initializers(model.graph)
    context = (opsets, opset, known, constants)
    plan = _build_graph(model.graph, versions, context, set())
    inits = {t.name for t in model.graph.initializer}
    plan.inputs = [p for p in plan.inputs if p.name not in inits]
    for p in plan.outputs:  # an output without a declared type takes the inferred one
        if not p.elem_type and p.name in known:
            p.elem_type = known[p.name][0]
    return plan


def _build_graph(g, versions, context, outer_host):
    """The Plan of a graph or subgraph; `outer_host` names the host values in scope."""
    opsets, opset, known, constants = context
    host = set(outer_host)  # names of values computed on the host at call time
    steps = []
    work = deque(zip(g.node, versions))
    while work:
        node, version = work.popleft()
        _check_plain(node)
        node_opsets = dict(opsets, **{"": version}) if version != opset else opsets
        inputs = [n for n in node.input if n]
        if node.op_type in control.STEPS:
            if node.op_type == "If" and node.input[0] in constants:  # decided now: inline
                work.extendleft(reversed([(n, version) for n in _branch(node, constants)]))
            else:
                steps.append(_control_step(node, version, context, host))
            continue
        if node.op_type in ("Shape", "Size"):
            step = ShapeStep(node)
            if inputs[0] in constants:
                _store(constants, node, step.run(constants))
            else:
                steps.append(step)
                host.update(n for n in node.output if n)
            continue
        foldable = node.op_type not in NONDETERMINISTIC and node.op_type not in OPTIONALS
        if foldable and all(n in constants for n in inputs):
            _store(constants, node, _fold(node, node_opsets, constants))
            continue
        if (foldable and node.op_type not in GENERATORS
                and all(n in constants or n in host for n in inputs)):
            steps.append(HostStep(node, node_opsets))
            host.update(n for n in node.output if n)
            continue
        steps.append(_device_step(node, version, known))
    return Plan([graph.port(vi) for vi in g.input], [graph.port(vi) for vi in g.output],
                constants, steps, host - set(outer_host))


def _branch(node, constants):
    """The nodes of the branch a constant condition takes, ending in Identity nodes that
    give its outputs the If's names."""
    taken = "then_branch" if np.asarray(constants[node.input[0]]).reshape(-1)[0] else \
        "else_branch"
    body = next(a.g for a in node.attribute if a.name == taken)
    constants.update(graph.initializers(body))
    nodes = list(body.node)
    for inner, outer in zip(body.output, node.output):
        if outer:
            nodes.append(helper.make_node("Identity", [inner.name], [outer],
                                          name=f"{node.name}__{taken}__{outer}"))
    return nodes


def _control_step(node, version, context, host):
    constants = context[3]
    bodies = {}
    for a in node.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            constants.update(graph.initializers(a.g))
            bodies[a.name] = _build_graph(a.g, [version] * len(a.g.node), context, host)
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute
             if a.type != onnx.AttributeProto.GRAPH}
    return control.STEPS[node.op_type](node, bodies, attrs)


def _kept(op_type):
    """Ops that stay as they are: mapped ones, and those the plan handles itself."""
    return op_type in TABLE or op_type in ("Shape", "Size", "Constant")


def _check_ports(g):
    """Graph inputs and outputs: tensors, sequences of tensors, optional tensors."""
    for side, values in (("input", g.input), ("output", g.output)):
        for vi in values:
            kind, inner = graph.unwrap(vi.type)
            if not inner.HasField("tensor_type"):
                raise UnsupportedError(f"onnx: graph {side} {vi.name!r} has a type glflow "
                                       "does not hold (it holds tensors, and sequences and "
                                       "optionals of them)")


def _check_plain(node):
    if node.domain not in DEFAULT_DOMAINS:
        raise UnsupportedError(f"onnx: {where(node)}: op {node.op_type!r} of domain "
                               f"{node.domain!r} is not supported by glflow (only the default "
                               "ONNX domain)")
    for a in node.attribute:
        if (a.type == onnx.AttributeProto.GRAPHS or a.type == onnx.AttributeProto.GRAPH
                and node.op_type not in control.STEPS):
            raise UnsupportedError(f"onnx: {where(node)}: subgraph attribute {a.name!r} of "
                                   f"{node.op_type} is not supported by glflow (If, Loop and "
                                   "Scan are)")


def _fold(node, opsets, constants):
    try:
        return ReferenceEvaluator(node, opsets=opsets).run(
            None, {n: constants[n] for n in node.input if n})
    except Exception as exc:  # the reference implementation's own refusals
        raise UnsupportedError(f"onnx: {where(node)}: folding this constant node failed "
                               f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                               ) from None


def _store(constants, node, values):
    for name, value in zip(node.output, values):
        if name:  # sequences stay lists, empty optionals None
            constants[name] = value if isinstance(value, list) or value is None else \
                np.asarray(value)


def _device_step(node, opset, known):
    mapping = TABLE.get(node.op_type)
    if mapping is None:
        raise UnsupportedError(f"onnx: {where(node)}: op {node.op_type!r} is not supported by "
                               "glflow")
    attrs = dict(mapping.attrs)
    for a in node.attribute:
        if a.name not in mapping.attrs:
            raise UnsupportedError(f"onnx: {where(node)}: attribute {a.name!r} is not "
                                   "supported by glflow")
        attrs[a.name] = _attr_value(a)
    in_types = [known.get(n, (None, None))[0] if n else None for n in node.input]
    out_types = [known.get(n, (None, None))[0] if n else None for n in node.output]
    in_shapes = [known.get(n, (None, None))[1] if n else None for n in node.input]
    info = NodeInfo(node, attrs, opset, in_types, out_types, in_shapes)
    for i, (name, t) in enumerate(zip(node.input, in_types)):
        if t is not None and i not in mapping.host and t not in types.SUPPORTED:
            info.refuse(f"input {name!r} of dtype {types.name(t)}")
    for name, t in zip(node.output, out_types):
        if t is not None and t not in types.SUPPORTED:
            info.refuse(f"output {name!r} of dtype {types.name(t)}")
    if mapping.check is not None:
        mapping.check(info)
    return DeviceStep(node, mapping, info)


def _attr_value(a):
    value = helper.get_attribute_value(a)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode("utf-8") for v in value]
    return value
