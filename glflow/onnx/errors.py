"""The errors glflow.onnx raises, each naming what it refuses."""


class UnsupportedError(ValueError):
    """A model glflow cannot run: an op, an attribute value or a dtype it has no mapping for.
    Raised at load time, naming the op type, the node and the attribute or dtype."""


def where(node):
    """How an error names a node: its op type and its name (or its first output)."""
    label = node.name or (node.output[0] if node.output else "")
    return f"{node.op_type} node {label!r}"
