"""The layer graph of a functional model: found by walking back from the outputs, run in
topological order, and written to / rebuilt from a JSON config."""
from ..layers import serialization
from ..layers.core import InputLayer
from ..layers.node import KerasTensor, flatten, map_structure
from ..layers.shapes import show


class Graph:
    def __init__(self, model_name, inputs, outputs):
        self.model_name = model_name
        self.input_structure = _plain_structure(inputs)
        self.output_structure = _plain_structure(outputs)
        self.inputs = flatten(self.input_structure)
        self.outputs = flatten(self.output_structure)
        where = f"Model {model_name!r}"
        for kind, group in (("inputs", self.inputs), ("outputs", self.outputs)):
            if not group:
                raise ValueError(f"{where}: {kind} is empty")
            for t in group:
                if not isinstance(t, KerasTensor):
                    raise TypeError(f"{where}: {kind} must be symbolic tensors from Input() and "
                                    f"layer calls, got a {type(t).__name__}")
        for t in self.inputs:
            if not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(  # noqa: TRY004 - a KerasTensor, but of the wrong origin
                    f"{where}: inputs must come straight from Input(); {t.name!r} is the "
                    f"output of layer {t._keras_history[0].name!r}")
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError(f"{where}: the same Input appears twice in inputs")
        self.input_layers = [t._keras_history[0] for t in self.inputs]
        self.nodes = self._reachable_nodes()
        self.layers = self._ordered_layers()

    def _reachable_nodes(self):
        seen, stack = {}, [_producer(t) for t in self.outputs]
        while stack:
            node = stack.pop()
            if node.serial in seen:
                continue
            seen[node.serial] = node
            stack.extend(node.parents())
        ordered = [seen[k] for k in sorted(seen)]
        given = {id(layer) for layer in self.input_layers}
        for node in ordered:
            if isinstance(node.layer, InputLayer) and id(node.layer) not in given:
                raise ValueError(f"Model {self.model_name!r}: the outputs depend on Input "
                                 f"{node.layer.name!r}, which is not among the model's inputs")
        return [n for n in ordered if not isinstance(n.layer, InputLayer)]

    def _ordered_layers(self):
        layers, ids = list(self.input_layers), {id(layer) for layer in self.input_layers}
        for node in self.nodes:
            if id(node.layer) not in ids:
                ids.add(id(node.layer))
                layers.append(node.layer)
        names = {}
        for layer in layers:
            if layer.name in names:
                raise ValueError(f"Model {self.model_name!r}: two layers are named "
                                 f"{layer.name!r}; layer names must be unique in a model")
            names[layer.name] = layer
        return layers

    @property
    def input_names(self):
        return [layer.name for layer in self.input_layers]

    @property
    def output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    # ------------------------------------------------------------------ running
    def match_inputs(self, inputs):
        """The given inputs as a flat list in model-input order, with clear errors."""
        where = f"Model {self.model_name!r}"
        names = self.input_names
        if isinstance(inputs, dict):
            missing = [n for n in names if n not in inputs]
            extra = [k for k in inputs if k not in names]
            if missing or extra:
                raise ValueError(f"{where}: inputs dict keys {sorted(inputs)} do not match the "
                                 f"model's inputs {names}")
            return [inputs[n] for n in names]
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(names):
            raise ValueError(f"{where} expects {len(names)} input(s) {names}, got {len(flat)}")
        return flat

    def run(self, inputs):
        values = {}
        for t, layer, x in zip(self.inputs, self.input_layers, self.match_inputs(inputs)):
            values[id(t)] = layer(x)
        for node in self.nodes:
            args = map_structure(lambda t: values[id(t)], node.inputs)
            out = node.layer(args, **node.kwargs)
            outs = out if isinstance(out, (list, tuple)) else [out]
            for t, y in zip(node.outputs, outs):
                values[id(t)] = y
        return map_structure(lambda t: values[id(t)], self.output_structure)

    def output_shapes(self, input_shapes):
        shapes = {}
        flat = self.match_inputs(input_shapes) if not isinstance(input_shapes, tuple) \
            else [input_shapes]
        for t, shape in zip(self.inputs, flat):
            want = t.shape
            if len(shape) != len(want) or any(w is not None and s is not None and w != s
                                              for w, s in zip(want, shape)):
                raise ValueError(f"Model {self.model_name!r}: input {t.name!r} expects shape "
                                 f"{show(want)}, got {show(shape)}")
            shapes[id(t)] = tuple(shape)
        for node in self.nodes:
            args = map_structure(lambda t: shapes[id(t)], node.inputs)
            out = node.layer.compute_output_shape(args)
            outs = [out] if isinstance(out, tuple) else list(out)
            for t, s in zip(node.outputs, outs):
                shapes[id(t)] = tuple(s)
        out = [shapes[id(t)] for t in self.outputs]
        return out[0] if len(out) == 1 and isinstance(self.output_structure, KerasTensor) else out

    # ------------------------------------------------------------------ config
    def get_config(self):
        keys, counts = {}, {}
        for layer in self.input_layers:
            keys[id(layer.output)] = [layer.name, 0, 0]
            counts[layer.name] = 1
        nodes = []
        for node in self.nodes:
            name = node.layer.name
            k = counts.get(name, 0)
            counts[name] = k + 1
            for i, t in enumerate(node.outputs):
                keys[id(t)] = [name, k, i]
            nodes.append({"layer": name, "args": _encode(node.inputs, keys),
                          "kwargs": node.kwargs})
        return {"layers": [dict(serialization.serialize(layer), name=layer.name)
                           for layer in self.layers],
                "nodes": nodes, "inputs": _encode(self.input_structure, keys),
                "outputs": _encode(self.output_structure, keys)}

    @staticmethod
    def from_config(config):
        """(inputs, outputs) structures of new symbolic tensors rebuilt from get_config()."""
        try:
            created, table, counts = {}, {}, {}
            for entry in config["layers"]:
                layer = serialization.deserialize(entry)
                created[entry["name"]] = layer
                if isinstance(layer, InputLayer):
                    table[(layer.name, 0, 0)] = layer.output
                    counts[layer.name] = 1
            for node in config["nodes"]:
                layer = created[node["layer"]]
                out = layer(_decode(node["args"], table), **node.get("kwargs", {}))
                k = counts.get(layer.name, 0)
                counts[layer.name] = k + 1
                for i, t in enumerate(out if isinstance(out, list) else [out]):
                    table[(layer.name, k, i)] = t
            return _decode(config["inputs"], table), _decode(config["outputs"], table)
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"functional model config is malformed: {type(exc).__name__}: "
                             f"{exc}") from None


def _producer(t):
    layer, node_index, _ = t._keras_history
    return layer._inbound_nodes[node_index]


def _plain_structure(s):
    if isinstance(s, tuple):
        return [_plain_structure(v) for v in s]
    if isinstance(s, list):
        return [_plain_structure(v) for v in s]
    if isinstance(s, dict):
        return {k: _plain_structure(v) for k, v in s.items()}
    return s


def _encode(structure, keys):
    if isinstance(structure, KerasTensor):
        return {"ref": keys[id(structure)]}
    if isinstance(structure, dict):
        return {"dict": {k: _encode(v, keys) for k, v in structure.items()}}
    return [_encode(v, keys) for v in structure]


def _decode(encoded, table):
    if isinstance(encoded, dict) and "ref" in encoded:
        return table[tuple(encoded["ref"])]
    if isinstance(encoded, dict):
        return {k: _decode(v, table) for k, v in encoded["dict"].items()}
    return [_decode(v, table) for v in encoded]
