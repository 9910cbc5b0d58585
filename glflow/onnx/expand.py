"""Ops without a mapping whose ONNX schema defines them as a function of other ops
(SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss, Attention, ...) are replaced by that
function's body, so they run as the ops they are made of. ONNX's own definitions are used
(onnx.defs), at the newest version the model's opset allows."""
import itertools

import onnx
from onnx import defs, helper

from .graph import value_types

ROUNDS = 6  # a body may hold function ops in turn (SoftmaxCrossEntropyLoss -> NLLLoss)


def expand_functions(model, opset, keep):
    """(model with expanded nodes, the opset of each of its nodes, in order). `keep(op_type)`
    says which ops stay as they are (those with a mapping)."""
    versions = [opset] * len(model.graph.node)
    counter = itertools.count()
    for _ in range(ROUNDS):
        known = None
        nodes, new_versions, changed = [], [], False
        for node, version in zip(model.graph.node, versions):
            body = None
            if node.domain in ("", "ai.onnx") and not keep(node.op_type):
                if known is None:
                    known = _types(model)
                body = _function(node, version, known)
            if body is None:
                nodes.append(node)
                new_versions.append(version)
                continue
            fn, fn_version, defaults = body
            for inner in _inline(node, fn, defaults, next(counter)):
                nodes.append(inner)
                new_versions.append(fn_version)
            changed = True
        if not changed:
            break
        model, versions = _with_nodes(model, nodes), new_versions
    return model, versions


def _types(model):
    out = {}
    inferred = value_types(model)
    for name, (elem, shape) in inferred.items():
        out[name] = helper.make_tensor_type_proto(elem, shape)
    return out


def _function(node, opset, known):
    try:
        schema = defs.get_schema(node.op_type, opset, node.domain)
    except defs.SchemaError:
        return None
    plain = [v for v in schema.function_opset_versions if v <= opset]
    if plain:
        v = max(plain)
        fn = onnx.FunctionProto()
        fn.ParseFromString(schema.get_function_with_opset_version(v))
        return fn, _fn_opset(fn, v), _defaults(schema)
    dependent = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
    if not dependent:
        return None
    if any(name and name not in known for name in node.input):
        return None  # the body depends on input types nobody could infer
    v = max(dependent)
    in_types = [known[name].SerializeToString() if name else onnx.TypeProto().SerializeToString()
                for name in node.input]
    try:
        data = schema.get_context_dependent_function_with_opset_version(
            v, node.SerializeToString(), in_types)
    except Exception:  # the schema's builder refuses this node: leave it unexpanded
        return None
    if not data:
        return None
    fn = onnx.FunctionProto()
    fn.ParseFromString(data)
    return fn, _fn_opset(fn, v), _defaults(schema)


def _defaults(schema):
    """The schema's attribute defaults: a body may refer to an attribute the node omits."""
    out = {}
    for name, a in schema.attributes.items():
        if a.default_value is not None and a.default_value.type:
            out[name] = a.default_value
    return out


def _fn_opset(fn, version):
    return next((o.version for o in fn.opset_import if o.domain in ("", "ai.onnx")), version)


def _inline(node, fn, defaults, k):
    prefix = f"{node.name or node.op_type}__{k}__"
    rename = dict(zip(fn.input, list(node.input) + [""] * (len(fn.input) - len(node.input))))
    rename.update(zip(fn.output, node.output))
    attrs = dict(defaults)
    attrs.update({a.name: a for a in fn.attribute_proto})
    attrs.update({a.name: a for a in node.attribute})
    for inner in fn.node:
        new = onnx.NodeProto()
        new.CopyFrom(inner)
        new.name = prefix + (inner.name or inner.op_type)
        new.ClearField("input")
        new.ClearField("output")
        new.input.extend(_renamed(n, rename, prefix) for n in inner.input)
        new.output.extend(_renamed(n, rename, prefix) for n in inner.output)
        new.ClearField("attribute")
        for a in inner.attribute:
            if a.ref_attr_name:
                if a.ref_attr_name in attrs:
                    ref = onnx.AttributeProto()
                    ref.CopyFrom(attrs[a.ref_attr_name])
                    ref.name = a.name
                    new.attribute.append(ref)
            else:
                new.attribute.append(a)
                if a.type == onnx.AttributeProto.GRAPH:  # its names follow the body's
                    _rename_graph(new.attribute[-1].g, rename, prefix)
        yield new


def _rename_graph(g, rename, prefix):
    """Every name of a subgraph inside a function body renamed as the body's are, so its
    references to the body's values (outer scope for it) still resolve."""
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        vi.name = _renamed(vi.name, rename, prefix)
    for t in g.initializer:
        t.name = _renamed(t.name, rename, prefix)
    for node in g.node:
        node.input[:] = [_renamed(n, rename, prefix) for n in node.input]
        node.output[:] = [_renamed(n, rename, prefix) for n in node.output]
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                _rename_graph(a.g, rename, prefix)


def _renamed(name, rename, prefix):
    if not name:
        return ""
    return rename.get(name, prefix + name)


def _with_nodes(model, nodes):
    out = onnx.ModelProto()
    out.CopyFrom(model)
    out.graph.ClearField("node")
    out.graph.node.extend(nodes)
    return out
