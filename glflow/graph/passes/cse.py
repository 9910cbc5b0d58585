"""Common-subexpression elimination: two nodes running the same kernel with the same attrs on
the same values make the same values, so the later one goes and its readers read the first.

Stateful HOST nodes (random draws) are never merged: each must draw its own numbers. Attrs
are compared by value (views and shapes are hashable values, glflow/runtime/views.py; small
numpy arrays by their bytes); an attr that cannot be compared keeps the node apart."""
import numpy as np

from .. import ir

ARRAY_BYTES = 1 << 16   # larger host arrays are compared by identity


def run(graph, backend=None):
    seen = {}
    merged = 0
    for node in list(graph.nodes):
        key = _key(node)
        if key is None:
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = node
            continue
        for old, new in zip(node.outputs, first.outputs):
            graph.replace_uses(old, new)
        graph.remove(node)
        merged += 1
    return merged


def _key(node):
    if node.kind == ir.CALL:
        head = ("call", id(node.prim))
    elif node.kind == ir.HOST and not node.stateful and not node.effect:
        head = ("host", id(node.fn))
    else:
        return None
    attrs = freeze(node.attrs)
    if attrs is None:
        return None
    return head + (tuple(v.id for v in node.inputs), attrs,
                   tuple((v.shape, v.dtype) for v in node.outputs))


class _Unhashable(Exception):
    pass


def freeze(value):
    """A hashable stand-in for an attr value, or None when it has none."""
    try:
        return _freeze(value)
    except _Unhashable:
        return None


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        if value.nbytes > ARRAY_BYTES:
            return ("array-id", id(value))
        return ("array", value.shape, value.dtype.str, value.tobytes())
    try:
        hash(value)
    except TypeError:
        raise _Unhashable() from None
    return value
