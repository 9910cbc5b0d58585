"""Symbolic tensors and the nodes that connect them: the graph a functional Model is made of.

`Input(shape=...)` returns a KerasTensor: a shape and dtype with no values. Calling a layer on
KerasTensors records a Node (layer, its input KerasTensors, its output KerasTensors) instead of
computing anything; Model(inputs, outputs) walks those nodes back from the outputs.
"""
import itertools


class KerasTensor:
    """A placeholder for a tensor of `shape` (None = unknown, e.g. the batch dimension)."""

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        # (layer, node index in layer._inbound_nodes, output index) of the producing node
        self._keras_history = history

    @property
    def ndim(self):
        return len(self.shape)

    rank = ndim

    def __repr__(self):
        return f"<KerasTensor shape={list(self.shape)} dtype={self.dtype} name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(f"KerasTensor {self.name!r} (shape {list(self.shape)}) is symbolic: it "
                        "has no values. Build a Model(inputs, outputs) and call it on data.")

    def __bool__(self):
        raise TypeError(f"KerasTensor {self.name!r} is symbolic and has no truth value")


class Node:
    """One call of `layer` on symbolic inputs. `inputs` keeps the structure passed to the layer
    (one KerasTensor or a list of them); `outputs` is always a list. Nodes are numbered in
    creation order, which is a topological order: a node's inputs exist before it does."""

    _serial = itertools.count()

    def __init__(self, layer, inputs, outputs, kwargs):
        self.serial = next(Node._serial)
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.kwargs = dict(kwargs)

    @property
    def flat_inputs(self):
        return flatten(self.inputs)

    def parents(self):
        """Nodes producing this node's inputs, in input order."""
        out = []
        for t in self.flat_inputs:
            layer, node_index, _ = t._keras_history
            out.append(layer._inbound_nodes[node_index])
        return out


def flatten(structure):
    """The leaves (anything not a list, tuple or dict) of a nested structure, in order."""
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, v) for v in structure)
    return fn(structure)


def is_symbolic(structure):
    return any(isinstance(t, KerasTensor) for t in flatten(structure))
