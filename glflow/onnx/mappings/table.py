"""The node -> glflow op table: one small function per ONNX op type.

A mapping is `fn(node, *inputs)`, called once per model run with glflow Tensors (or numpy
arrays for the inputs listed in `host=`, values the op needs on the host: a reshape's target
shape, a slice's bounds; lists for sequences) and None for an omitted optional input. It
returns a Tensor (or a list: a sequence) or a tuple of them, one per node output. `node` is a
NodeInfo: its attributes (the declared defaults filled in), its opset and the ONNX types of
its values.

`traced=` lists the host inputs whose values only pick data, never a shape (a gather's
indices): when graph mode traces the model and such a value is computed on the device or fed
by the caller, the mapping gets it as a device tensor instead (its checks then run as HOST
nodes with each call's values), so the model can still run compiled (onnx/compiled.py).

`attrs` declares every attribute the mapping understands, with its default; a node with any
other attribute is refused at load time. `check(node)` refuses, at load time too, the
attribute values and dtypes the mapping cannot compute (`node.refuse(...)`).
"""
from ..errors import UnsupportedError, where

TABLE = {}


class Mapping:
    __slots__ = ("op_type", "fn", "attrs", "host", "traced", "check")

    def __init__(self, op_type, fn, attrs, host, check, traced=()):
        self.op_type = op_type
        self.fn = fn
        self.attrs = attrs
        self.host = frozenset(host)
        self.traced = frozenset(traced)
        self.check = check


def mapping(*op_types, attrs=None, host=(), traced=(), check=None):
    """Register `fn` as the mapping of each op type."""
    def register(fn):
        for op_type in op_types:
            if op_type in TABLE:
                raise ValueError(f"glflow.onnx: two mappings for {op_type}")
            TABLE[op_type] = Mapping(op_type, fn, dict(attrs or {}), host, check, traced)
        return fn
    return register


class NodeInfo:
    """What a mapping knows about its node: filled in once, at load time."""
    __slots__ = ("proto", "op_type", "name", "attrs", "opset", "input_types", "output_types",
                 "input_shapes", "n_outputs")

    def __init__(self, proto, attrs, opset, input_types, output_types, input_shapes):
        self.proto = proto
        self.op_type = proto.op_type
        self.name = proto.name
        self.attrs = attrs
        self.opset = opset
        self.input_types = input_types    # ONNX elem types (None: unknown or omitted)
        self.output_types = output_types
        self.input_shapes = input_shapes  # static shapes where shape inference knows them
        self.n_outputs = len(proto.output)

    def __getitem__(self, name):
        return self.attrs[name]

    def refuse(self, what):
        raise UnsupportedError(f"onnx: {where(self.proto)}: {what} is not supported by glflow")
