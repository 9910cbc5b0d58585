"""A Keras model config (Sequential or functional) -> a Plan: every layer checked and
translated (keras_config), and how the layers connect. Pure Python: no tensor is made here, so
a file glflow cannot load is refused before anything is allocated.

Functional graphs come in two encodings of a call ("node"): Keras 2 and TF.js write
`[[layer, node_index, tensor_index, kwargs], ...]`, Keras 3 writes
`{"args": [structure of {"class_name": "__keras_tensor__", ...}], "kwargs": {...}}`. Both
name producers as (layer, node index among that layer's calls, output index).
"""
from ..layers.node import flatten
from . import keras_config as kc
from .keras_config import UnsupportedError

MODEL_CLASSES = ("Sequential", "Functional", "Model")


class Plan:
    """A checked model: layer specs in file order plus how they connect."""

    def __init__(self, kind, name, specs, input_shape=None, nodes=None, inputs=None,
                 outputs=None):
        self.kind = kind                # "sequential" or "functional"
        self.name = name
        self.specs = specs              # [LayerSpec], the file's layer order
        self.input_shape = input_shape  # sequential: the batch shape, if the file knows it
        self.nodes = nodes or {}        # functional: layer name -> [(args, kwargs)]
        self.inputs = inputs            # functional: structures of (layer, node, tensor)
        self.outputs = outputs
        self.made = {}                  # layer name -> the glflow layer (no weights yet)

    @property
    def weighted_specs(self):
        return [s for s in self.specs if s.keras_class != "InputLayer"]


# --------------------------------------------------------------------------- plan

def plan(config, where, dialect):
    """Check and translate a model config {'class_name', 'config'}; no tensors are made."""
    ctx = kc.Context(where, dialect)
    if not isinstance(config, dict) or config.get("class_name") not in MODEL_CLASSES:
        found = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise UnsupportedError(f"{where}: the model is a {found}; glflow loads Sequential and "
                               "functional models (a subclassed model's code is not in the "
                               "file)")
    body = config.get("config")
    if isinstance(body, list):  # Keras 2.0-2.2 wrote a Sequential's layers as a bare list
        body = {"layers": body}
    if not isinstance(body, dict) or not isinstance(body.get("layers"), list):
        raise UnsupportedError(f"{where}: the model config has no layer list")
    for entry in body["layers"]:
        if isinstance(entry, dict) and entry.get("class_name") in MODEL_CLASSES:
            raise UnsupportedError(f"{where}: layer {_entry_name(entry)!r} is a nested "
                                   f"{entry['class_name']} model; glflow loads flat models only")
    try:
        if config["class_name"] == "Sequential":
            result = _plan_sequential(ctx, config, body)
        else:
            result = _plan_functional(ctx, body)
    except (TypeError, KeyError, AttributeError, IndexError) as exc:
        # an entry of an unexpected shape (a number where a dict belongs, a missing key):
        # the checks above name what they know; this names the rest
        raise UnsupportedError(f"{where}: the model config is malformed "
                               f"({type(exc).__name__}: {exc})") from None
    check_masks(ctx, result)
    # constructing a glflow layer checks its arguments and allocates nothing
    for spec in result.specs:
        try:
            result.made[spec.name] = spec.make()
        except (ValueError, TypeError) as exc:
            raise ctx.at(spec.name, spec.keras_class).error(str(exc)) from None
    return result


def _entry_name(entry):
    return (entry.get("config") or {}).get("name") or entry.get("name")


def _plan_sequential(ctx, config, body):
    specs, shape = [], None
    for i, entry in enumerate(body["layers"]):
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
            if i:
                raise UnsupportedError(f"{ctx.where}: an InputLayer may only come first")
            spec = kc.translate_input(ctx, entry)
            shape = spec.kwargs["batch_shape"]
        else:
            spec = kc.translate_layer(ctx, entry)
            if i == 0:  # Keras 2 and TF.js put the input shape on the first layer
                shape = kc.input_shape(ctx.at(spec.name, spec.keras_class), entry["config"])
        specs.append(spec)
    if shape is None:
        built = body.get("build_input_shape") or (config.get("build_config") or {}).get(
            "input_shape")
        shape = tuple(built) if isinstance(built, list) else None
    if shape is None:
        raise UnsupportedError(f"{ctx.where}: the Sequential model has no input shape (it "
                               "was saved before being built)")
    return Plan("sequential", body.get("name"), specs, input_shape=shape)


def _plan_functional(ctx, body):
    specs, nodes, padding_masks = [], {}, {}
    for entry in body["layers"]:
        if not isinstance(entry, dict):
            raise UnsupportedError(f"{ctx.where}: a layer entry is malformed: {entry!r}")
        if entry.get("class_name") == "NotEqual":
            padding_masks.update(_padding_mask(ctx, entry))
            continue
        if entry.get("class_name") == "InputLayer":
            spec = kc.translate_input(ctx, entry)
        else:
            spec = kc.translate_layer(ctx, entry)
        if spec.name in nodes:
            raise UnsupportedError(f"{ctx.where}: two layers are named {spec.name!r}")
        specs.append(spec)
        lctx = ctx.at(spec.name, spec.keras_class)
        nodes[spec.name] = [_node(lctx, n) for n in entry.get("inbound_nodes") or []]
    _drop_implicit_masks(ctx, specs, nodes, padding_masks)
    inputs = _refs(ctx, body.get("input_layers"), "input_layers")
    outputs = _refs(ctx, body.get("output_layers"), "output_layers")
    names = {s.name for s in specs}
    for ref in flatten(inputs) + flatten(outputs):
        if ref.key[0] not in names:
            raise UnsupportedError(f"{ctx.where}: the model's inputs/outputs name an unknown "
                                   f"layer {ref.key[0]!r}")
    return Plan("functional", body.get("name"), specs, nodes=nodes, inputs=inputs,
                outputs=outputs)


def _padding_mask(ctx, entry):
    """Keras 3 writes the mask of Embedding(mask_zero=True) in a functional model as an
    operation `ids != 0` passed to the next layer's `mask`: {its output: the ids}."""
    name = _entry_name(entry)
    found = {}
    for k, node in enumerate(entry.get("inbound_nodes") or []):
        args = node.get("args") if isinstance(node, dict) else None
        if not (isinstance(args, list) and len(args) == 2 and args[1] == 0
                and not node.get("kwargs")):
            raise ctx.at(name, "NotEqual").error(
                "glflow has no NotEqual layer; only the padding mask `ids != 0` of "
                "Embedding(mask_zero=True) loads")
        found[Ref((name, k, 0))] = _keras3_structure(ctx, args[0])
    return found


def _drop_implicit_masks(ctx, specs, nodes, padding_masks):
    """An explicit mask is accepted when it is exactly the one glflow's Embedding attaches to
    the layer's input (the padding mask of the very ids that Embedding read)."""
    by_name = {s.name: s for s in specs}
    for name, calls in nodes.items():
        for inputs, kwargs in calls:
            mask = kwargs.pop("mask", None)
            if mask is None:
                continue
            producer = by_name.get(inputs.key[0]) if isinstance(inputs, Ref) else None
            implicit = (
                mask in padding_masks and producer is not None
                and producer.keras_class == "Embedding" and producer.kwargs.get("mask_zero")
                and inputs.key[1] < len(nodes[producer.name])
                and nodes[producer.name][inputs.key[1]][0] == padding_masks[mask])
            if not implicit:
                raise ctx.at(name, by_name[name].keras_class).error(
                    "is called with a mask glflow cannot reproduce (glflow masks only with "
                    "the padding mask of the Embedding(mask_zero=True) feeding the layer)")


class Ref:
    """(layer name, node index, tensor index) of a tensor in the graph; not a tuple, so that
    structure helpers (flatten, map_structure) treat it as one leaf."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __eq__(self, other):
        return isinstance(other, Ref) and other.key == self.key

    def __hash__(self):
        return hash(self.key)

    def __lt__(self, other):
        return self.key < other.key

    def __repr__(self):
        return repr(list(self.key))


def _ref(ctx, value):
    if (isinstance(value, (list, tuple)) and len(value) >= 3 and isinstance(value[0], str)
            and isinstance(value[1], int) and isinstance(value[2], int)):
        return Ref((value[0], value[1], value[2]))
    raise UnsupportedError(f"{ctx.where}: bad tensor reference {value!r}")


def _refs(ctx, value, what):
    """input_layers/output_layers: one reference or a list of them."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return _ref(ctx, value)  # Keras 3 writes a single input or output unwrapped
    if not isinstance(value, list) or not value:
        raise UnsupportedError(f"{ctx.where}: the model's {what} {str(value)[:80]} are not a "
                               "list of layer references (dict inputs/outputs do not load)")
    return [_ref(ctx, v) for v in value]


def _keras3_structure(ctx, value):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return _ref(ctx, (value.get("config") or {}).get("keras_history"))
    if isinstance(value, (list, tuple)):
        return [_keras3_structure(ctx, v) for v in value]
    if isinstance(value, dict):
        return {k: _keras3_structure(ctx, v) for k, v in value.items()}
    return value


def _node(ctx, node):
    """One inbound node -> (input structure of Refs, call kwargs)."""
    if isinstance(node, dict):  # Keras 3
        args = node.get("args") or []
        kwargs = _keras3_structure(ctx, node.get("kwargs") or {})
        if ctx.keras_class == "MultiHeadAttention" and len(args) in (2, 3):
            # mha(query, value[, key]): glflow's call takes the same names
            kwargs.update(zip(("value", "key"), (_keras3_structure(ctx, a) for a in args[1:])))
            args = args[:1]
        if len(args) != 1:
            raise ctx.error(f"a call with {len(args)} positional arguments is not supported")
        inputs = _keras3_structure(ctx, args[0])
    elif isinstance(node, list) and node:  # Keras 2 / TF.js
        refs = [_ref(ctx, item) for item in node]
        kwargs = node[0][3] if len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
        kwargs = {k: _keras2_kwarg(ctx, v) for k, v in kwargs.items()}
        inputs = refs[0] if len(refs) == 1 else refs
    else:
        raise ctx.error(f"malformed inbound node {node!r}")
    return inputs, _call_kwargs(ctx, kwargs)


def _keras2_kwarg(ctx, value):
    """Keras 2 writes a tensor argument as [layer, node, tensor] (a list of them for several)."""
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return [_ref(ctx, v) for v in value]
    if (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:])):
        return _ref(ctx, value)  # mha(query, value=...): one tensor
    return value


# call arguments that are tensors of the graph, by layer (Keras 2 passes MultiHeadAttention's
# value and key as keyword arguments, Keras 3 as positional ones: both arrive here by name)
_TENSOR_KWARGS = {"initial_state": None, "value": "MultiHeadAttention",
                  "key": "MultiHeadAttention", "attention_mask": "MultiHeadAttention"}
# call flags glflow's attention layers take as Keras does
_FLAG_KWARGS = ("use_causal_mask", "return_attention_scores")


def _call_kwargs(ctx, kwargs):
    out = {}
    for key, value in kwargs.items():
        if key == "training" and value in (False, None):
            continue  # glflow passes the training flag itself
        if key.endswith("mask") and all(v is None for v in flatten(value)):
            continue  # no explicit mask (Keras 3 writes [None, None] for two inputs)
        if key == "mask" and isinstance(value, Ref):
            out[key] = value  # checked by _drop_implicit_masks
            continue
        if (key in _TENSOR_KWARGS and _TENSOR_KWARGS[key] in (None, ctx.keras_class)
                and all(isinstance(v, Ref) for v in flatten(value))):
            out[key] = value
            continue
        if key in _FLAG_KWARGS and isinstance(value, bool):
            out[key] = value
            continue
        raise ctx.error(f"a call with {key}={value!r} is not supported")
    return out


def check_masks(ctx, result):
    """glflow passes a mask only from Embedding(mask_zero=True) or Masking straight into a
    recurrent layer that returns its last step; Keras carries masks further. Refuse the
    rest."""
    masking = {s.name for s in result.specs if s.keras_class == "Masking" or (
        s.keras_class == "Embedding" and s.kwargs.get("mask_zero"))}
    if not masking:
        return
    if result.kind == "sequential":
        consumers = [(a.name, b) for a, b in zip(result.specs, result.specs[1:])]
    else:
        by_name = {s.name: s for s in result.specs}
        consumers = [(ref.key[0], by_name[name]) for name, calls in result.nodes.items()
                     for inputs, _ in calls for ref in flatten(inputs)]
    for producer, spec in consumers:
        if producer not in masking:
            continue
        inner = spec.children.get("layer", spec)
        if inner.keras_class not in kc.RECURRENT or inner.kwargs.get("return_sequences"):
            raise ctx.at(spec.name, spec.keras_class).error(
                f"reads the mask of {producer!r} (Embedding with mask_zero=True, or "
                "Masking); glflow passes masks only into a recurrent layer with "
                "return_sequences=False")
