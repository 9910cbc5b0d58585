"""glflow model -> TF.js layers-model topology (Keras 2's JSON as TensorFlow.js reads it) and
the weight list, named as TF.js names the variables it creates from that topology.

TF.js turns snake_case keys and values into its camelCase (`channels_last` -> channelsLast)
and ignores options it does not know, so an option whose meaning TF.js lacks is refused here
(a grouped convolution would otherwise load as an ungrouped one): Subtract and Lambda layers,
groups > 1, causal Conv1D, GRU reset_after=True, bilinear UpSampling2D (TF.js samples without
half-pixel centres), keepdims pooling, leaky_relu and exponential activations, a ReLU layer
with a slope or threshold, an ELU layer with alpha other than 1, a Softmax layer over several axes, custom layers.
"""
from .. import layers
from ..models import Model, Sequential
from .keras_model import keras_order

_LAYERS = {cls: cls.__name__ for cls in (
    layers.Dense, layers.Activation, layers.Dropout, layers.Flatten, layers.Reshape,
    layers.Permute, layers.Add, layers.Multiply, layers.Average, layers.Maximum,
    layers.Minimum, layers.Concatenate, layers.Conv1D, layers.Conv2D, layers.DepthwiseConv2D,
    layers.SeparableConv2D, layers.Conv2DTranspose, layers.MaxPooling1D, layers.MaxPooling2D,
    layers.AveragePooling1D, layers.AveragePooling2D, layers.GlobalAveragePooling1D,
    layers.GlobalAveragePooling2D, layers.GlobalMaxPooling1D, layers.GlobalMaxPooling2D,
    layers.BatchNormalization, layers.LayerNormalization, layers.Embedding, layers.SimpleRNN,
    layers.GRU, layers.LSTM, layers.Bidirectional, layers.TimeDistributed,
    layers.ZeroPadding2D, layers.UpSampling2D, layers.ReLU, layers.LeakyReLU, layers.PReLU,
    layers.ELU, layers.Softmax)}
_ACTIVATIONS = {"linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "elu", "selu",
                "softplus", "softsign", "softmax", "log_softmax", "gelu", "swish"}
_INITIALIZER_NAMES = {"LecunUniform": "LeCunUniform", "LecunNormal": "LeCunNormal"}


class _Refuse(ValueError):
    pass


def export(model, where):
    """(topology, [(weight name, float32 array)]) of a built Sequential or functional model."""
    functional = type(model) is Model and model.inputs is not None
    if not (functional or type(model) is Sequential):
        raise ValueError(f"{where}: TF.js stores Sequential and functional models; "
                         f"{type(model).__name__} {model.name!r} is defined by its Python code")
    if isinstance(model, Sequential):
        topology = _sequential(model, where)
    else:
        topology = _functional(model, where)
    weights = []
    for layer in model.layers:
        for var in keras_order(layer):
            weights.append((_weight_name(layer, var), var.numpy()))
    return topology, weights


def _weight_name(layer, var):
    """TF.js scopes a variable by its layer; a Bidirectional adds the direction's layer."""
    owner, short = var.name.rsplit("/", 1)
    if isinstance(layer, layers.Bidirectional):
        return f"{layer.name}/{owner}/{short}"
    return f"{layer.name}/{short}"


def _sequential(model, where):
    configs = [_layer(layer, where) for layer in model.layers]
    if not configs:
        raise ValueError(f"{where}: Sequential {model.name!r} has no layers")
    configs[0]["config"]["batch_input_shape"] = list(model.input_shape)
    return _top("Sequential", {"name": model.name, "layers": configs})


def _functional(model, where):
    config = model.get_config()
    inbound = {entry["name"]: [] for entry in config["layers"]}
    for node in config["nodes"]:
        if node.get("kwargs"):
            raise ValueError(f"{where}: layer {node['layer']!r} is called with "
                             f"{sorted(node['kwargs'])}; TF.js topologies carry no call "
                             "arguments")
        refs = _refs(node["args"], where, f"the inputs of layer {node['layer']!r}")
        inbound[node["layer"]].append([ref + [{}] for ref in refs])
    entries = []
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            entry = {"class_name": "InputLayer", "config": {
                "batch_input_shape": list(layer._batch_input_shape), "dtype": "float32",
                "sparse": False, "name": layer.name}}
        else:
            entry = _layer(layer, where)
            entry["config"].pop("batch_input_shape", None)
        entry.update(name=layer.name, inbound_nodes=inbound[layer.name])
        entries.append(entry)
    return _top("Model", {"name": model.name, "layers": entries,
                          "input_layers": _refs(config["inputs"], where, "the model inputs"),
                          "output_layers": _refs(config["outputs"], where,
                                                 "the model outputs")})


def _top(class_name, config):
    return {"class_name": class_name, "config": config, "keras_version": "glflow",
            "backend": "glflow"}


def _refs(encoded, where, what):
    """glflow's encoded structure -> a flat list of [layer, node, tensor]."""
    if isinstance(encoded, dict) and "ref" in encoded:
        return [list(encoded["ref"])]
    if isinstance(encoded, list) and all(isinstance(e, dict) and "ref" in e for e in encoded):
        return [list(e["ref"]) for e in encoded]
    raise ValueError(f"{where}: {what} are a nested or dict structure; TF.js takes a flat list")


def _layer(layer, where):
    """{'class_name', 'config'} of one glflow layer as TF.js reads it."""
    class_name = _LAYERS.get(type(layer))
    if class_name is None:
        raise ValueError(f"{where}: layer {layer.name!r} is a {type(layer).__name__}, which "
                         "TF.js cannot load (it has no such layer, or the layer is custom "
                         "code)")
    config = layer.get_config()
    try:
        _adapt(layer, config, where)
    except _Refuse as exc:
        raise ValueError(f"{where}: layer {layer.name!r} ({class_name}): {exc}; TF.js would "
                         "compute something else") from None
    for key, value in list(config.items()):
        if key.endswith("_initializer"):
            config[key] = _initializer(key, value)
        elif key.endswith("regularizer"):
            config[key] = _regularizer(value)
        elif key in ("activation", "recurrent_activation") and value not in _ACTIVATIONS:
            raise ValueError(f"{where}: layer {layer.name!r}: TF.js has no {value!r} "
                             f"activation ({key})")
        elif key == "layer":  # a wrapper's inner layer (Bidirectional keeps two copies)
            inner = layer.layer if isinstance(layer, layers.TimeDistributed) \
                else layer.forward_layer
            config[key] = _layer(inner, where)
            config[key]["config"]["name"] = value["config"]["name"]
            config[key]["config"].pop("batch_input_shape", None)
    return {"class_name": class_name, "config": config}


def _adapt(layer, config, where):
    """Drop what TF.js does not know when it is at TF.js' behaviour; refuse it otherwise."""
    if config.pop("groups", 1) != 1:
        raise _Refuse(f"groups={layer.groups}")
    if config.pop("keepdims", False):
        raise _Refuse("keepdims=True")
    if config.get("reset_after"):
        raise _Refuse("reset_after=True (TF.js' GRU has only reset_after=False)")
    if config.get("interpolation") == "bilinear":
        raise _Refuse("interpolation='bilinear' (TF.js resizes without half-pixel centres)")
    if config.get("padding") == "causal":
        raise _Refuse("padding='causal' (TF.js 4 does not run causal convolutions)")
    if config.get("backward_layer") is not None:
        raise _Refuse("an explicit backward_layer")
    if isinstance(layer, layers.Bidirectional) and config.get("merge_mode") is None:
        raise _Refuse("merge_mode=None")
    if isinstance(layer, layers.BatchNormalization) and isinstance(config["axis"], list):
        raise _Refuse(f"axis={config['axis']} (TF.js normalises over one axis)")
    if isinstance(layer, layers.Embedding) and config.get("input_length") is None:
        config.pop("input_length", None)
    if isinstance(layer, layers.ReLU):  # TF.js' ReLU has only maxValue
        if config.pop("negative_slope") != 0.0 or config.pop("threshold") != 0.0:
            raise _Refuse(f"negative_slope={layer.negative_slope}, threshold={layer.threshold}")
    if isinstance(layer, layers.ELU) and config["alpha"] != 1.0:
        raise _Refuse(f"alpha={layer.alpha} (TF.js 4.22's ELU layer takes only 1.0)")
    if isinstance(layer, layers.LeakyReLU):  # TF.js spells Keras 2's name
        config["alpha"] = config.pop("negative_slope")
    if isinstance(layer, layers.Softmax) and not isinstance(config["axis"], int):
        raise _Refuse(f"axis={config['axis']} (TF.js' Softmax takes one axis)")
    if "recurrent_dropout" in config:
        # A recurrent layer's dropout (TF.js takes dropout and recurrentDropout with the same
        # meaning); its seed is glflow's: TF.js' recurrent layers have none.
        config.pop("seed", None)
        for key in ("dropout", "recurrent_dropout"):
            if config.get(key) == 0.0:
                config.pop(key)


def _initializer(key, value):
    class_name = value["class_name"]
    config = dict(value["config"])
    if class_name == "VarianceScaling" and config.get("distribution") == "untruncated_normal":
        raise ValueError(f"{key}: TF.js has no untruncated_normal VarianceScaling")
    return {"class_name": _INITIALIZER_NAMES.get(class_name, class_name), "config": config}


def _regularizer(value):
    if value is None:
        return None
    config = value["config"]
    return {"class_name": "L1L2", "config": {"l1": config.get("l1", 0.0),
                                             "l2": config.get("l2", 0.0)}}
