"""What a loaded graph knows before it runs: its values' ONNX types and static shapes, its
inputs and outputs as ports (names, shapes with symbolic dims kept, types)."""
import onnx
from onnx import numpy_helper

from . import types


class Port:
    """A graph input or output: name, shape (ints, dim names as str, None when unknown), ONNX
    element type, and kind: 'tensor', 'sequence' (of tensors: a list), 'optional' (a tensor or
    None) or 'optional sequence'."""
    __slots__ = ("name", "shape", "elem_type", "kind")

    def __init__(self, name, shape, elem_type, kind="tensor"):
        self.name = name
        self.shape = shape
        self.elem_type = elem_type
        self.kind = kind

    @property
    def dtype(self):
        """The numpy dtype of the ONNX type ('float32', 'int64', ...)."""
        return str(types.numpy_dtype(self.elem_type)) if self.elem_type else None

    def __repr__(self):
        shape = "?" if self.shape is None else [d if d is not None else "?" for d in self.shape]
        kind = "" if self.kind == "tensor" else f", kind={self.kind!r}"
        return f"Port({self.name!r}, shape={shape}, dtype={self.dtype}{kind})"


def tensor_shape(type_proto):
    """A TypeProto's shape: ints, dim names, None per unknown dim; None when no shape."""
    if not type_proto.tensor_type.HasField("shape"):
        return None
    dims = []
    for d in type_proto.tensor_type.shape.dim:
        if d.HasField("dim_value") and d.dim_value >= 0:  # some exporters write -1: unknown
            dims.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return dims


def unwrap(type_proto):
    """(kind, the tensor TypeProto inside): kind 'tensor', 'sequence', 'optional' or
    'optional sequence'."""
    kind, inner = [], type_proto
    if inner.HasField("optional_type"):
        kind, inner = ["optional"], inner.optional_type.elem_type
    if inner.HasField("sequence_type"):
        kind, inner = kind + ["sequence"], inner.sequence_type.elem_type
    return " ".join(kind) or "tensor", inner


def port(value_info):
    kind, inner = unwrap(value_info.type)
    if not inner.HasField("tensor_type"):
        return Port(value_info.name, None, None, kind)
    return Port(value_info.name, tensor_shape(inner), inner.tensor_type.elem_type, kind)


def value_types(model):
    """{value name: (elem_type, static shape)} from ONNX's own shape inference (best effort:
    a value inference cannot type stays unknown)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:  # inference is an aid: a model it fails on may still run
        inferred = model
    out = {}
    _graph_types(inferred.graph, out)
    return out


def _graph_types(g, out):
    """Value types of a graph and of the subgraphs of its nodes (names are unique across
    them, as ONNX requires)."""
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            out[vi.name] = (vi.type.tensor_type.elem_type, tensor_shape(vi.type))
    for init in g.initializer:
        out[init.name] = (init.data_type, list(init.dims))
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                _graph_types(a.g, out)


def initializers(graph):
    """{name: numpy array} of the graph's initializers (exact dtypes)."""
    return {t.name: numpy_helper.to_array(t) for t in graph.initializer}
