"""Keras layer configs -> glflow layers, for the three dialects that write them.

    'keras3'  Keras 3: .keras files and Keras 3's legacy .h5 (dtype policies, `batch_shape`)
    'keras2'  tf.keras / tf_keras: legacy .h5 and its .keras files (`batch_input_shape`)
    'tfjs'    TensorFlow.js layers models: Keras 2's JSON, with TF.js' own defaults

glflow's layers take Keras' argument names and weight layouts, so most options pass straight
through. Everything else is checked here, before any tensor exists: an option that changes
what a layer computes and that glflow's layer lacks is refused with the layer, the option and
the value named; an option that cannot change the numbers (unroll, implementation, seeds of
unused dropout) is dropped. A layer class glflow does not have is refused by name.
"""
from .. import layers

# Raised for anything in a file that glflow cannot represent faithfully.
UnsupportedError = ValueError

# Activation names that mean the same function in glflow and in every dialect.
_SAME_ACTIVATIONS = {"linear", "relu", "relu6", "sigmoid", "tanh", "elu", "selu", "softplus",
                     "softsign", "softmax", "log_softmax", "exponential", "gelu", "swish",
                     "leaky_relu"}
_ACTIVATION_ALIASES = {"silu": "swish", "logSoftmax": "log_softmax",
                       "hardSigmoid": "hard_sigmoid"}
# TF.js has no leaky_relu or exponential activation; Keras 2's leaky_relu slope is 0.3
_MISSING_ACTIVATIONS = {"tfjs": {"leaky_relu", "exponential"}, "keras2": {"leaky_relu"}}

_INITIALIZERS = {"Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal", "TruncatedNormal",
                 "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
                 "LecunUniform", "LecunNormal", "Orthogonal"}
_INITIALIZER_ALIASES = {"LeCunUniform": "LecunUniform", "LeCunNormal": "LecunNormal"}
_INITIALIZER_KEYS = {"Constant": {"value"}, "RandomUniform": {"minval", "maxval", "seed"},
                     "RandomNormal": {"mean", "stddev", "seed"},
                     "TruncatedNormal": {"mean", "stddev", "seed"},
                     "VarianceScaling": {"scale", "mode", "distribution", "seed"},
                     "Orthogonal": {"gain", "seed"}}
_REGULARIZERS = {"L1": {"l1"}, "L2": {"l2"}, "L1L2": {"l1", "l2"}}

# Keys any layer may carry that glflow handles elsewhere or that change nothing it computes.
_COMMON_DROPPED = {"name", "trainable", "dtype", "batch_input_shape", "batch_shape",
                   "input_shape", "batch_size", "autocast"}


class LayerSpec:
    """One layer of a Keras file, checked and translated: `make()` returns the glflow layer
    (constructing it allocates nothing; its weights appear when the model is built)."""

    def __init__(self, keras_class, name, cls, kwargs, children=None):
        self.keras_class = keras_class
        self.name = name
        self.cls = cls
        self.kwargs = kwargs
        self.children = children or {}  # argument name -> LayerSpec (wrapped layers)

    def make(self):
        kwargs = dict(self.kwargs)
        kwargs.update({arg: child.make() for arg, child in self.children.items()})
        return self.cls(name=self.name, **kwargs)


# --------------------------------------------------------------------------- option values

class Context:
    """Where we are, for error messages: the file and the layer."""

    def __init__(self, where, dialect, layer_name="?", keras_class="?"):
        self.where, self.dialect = where, dialect
        self.layer_name, self.keras_class = layer_name, keras_class

    def at(self, layer_name, keras_class):
        return Context(self.where, self.dialect, layer_name, keras_class)

    def error(self, text):
        return UnsupportedError(f"{self.where}: layer {self.layer_name!r} "
                                f"({self.keras_class}): {text}")

    def refuse(self, option, value, why=""):
        return self.error(f"option {option}={value!r} is not supported by glflow"
                          + (f" ({why})" if why else ""))


def activation(ctx, option, value):
    name = value
    if isinstance(value, dict):  # Keras 3 may wrap a built-in function's name in a dict
        name = value.get("config") if value.get("class_name") == "function" else None
        if not isinstance(name, str):
            raise ctx.refuse(option, value, "only built-in activations by name load")
    if name is None:
        return "linear"
    name = _ACTIVATION_ALIASES.get(name, name)
    if name == "hard_sigmoid":
        if ctx.dialect == "keras3":
            raise ctx.refuse(option, value, "Keras 3's hard_sigmoid is relu6(x + 3) / 6; "
                                            "glflow's is Keras 2's clip(0.2 x + 0.5, 0, 1)")
        return name
    if name not in _SAME_ACTIVATIONS or name in _MISSING_ACTIVATIONS.get(ctx.dialect, ()):
        raise ctx.refuse(option, value, "unknown activation")
    return name


def initializer(ctx, option, value):
    if value is None:
        raise ctx.refuse(option, value)
    if isinstance(value, str):
        if value not in layers.initializers.ALIASES:
            raise ctx.refuse(option, value, "unknown initializer")
        return value
    if not isinstance(value, dict):
        raise ctx.refuse(option, value)
    class_name = _INITIALIZER_ALIASES.get(value.get("class_name"), value.get("class_name"))
    if class_name not in _INITIALIZERS:
        raise ctx.refuse(option, class_name, "unknown initializer")
    config = dict(value.get("config") or {})
    for key in ("input_axes", "output_axes"):  # Keras 3 extras, None unless sharded
        if config.pop(key, None) is not None:
            raise ctx.refuse(f"{option}.{key}", value["config"][key])
    allowed = _INITIALIZER_KEYS.get(class_name, {"seed"})
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ctx.refuse(f"{option}.{unknown[0]}", config[unknown[0]])
    if not isinstance(config.get("seed"), (int, type(None))):
        config["seed"] = None  # a seed generator object: only initial values depend on it
    if class_name == "VarianceScaling" and config.get("distribution") == "normal":
        config["distribution"] = "truncated_normal"  # Keras 2's and TF.js' name for it
    if class_name == "Constant" and not isinstance(config.get("value", 0), (int, float)):
        raise ctx.refuse(f"{option}.value", config["value"], "only a scalar constant")
    return {"class_name": class_name, "config": config}


def regularizer(ctx, option, value):
    if value is None:
        return None
    if isinstance(value, str):
        if value not in layers.regularizers.NAMES:
            raise ctx.refuse(option, value, "unknown regularizer")
        return value
    class_name = value.get("class_name") if isinstance(value, dict) else None
    config = value.get("config") or {} if isinstance(value, dict) else {}
    if class_name not in _REGULARIZERS or set(config) - _REGULARIZERS[class_name]:
        raise ctx.refuse(option, value, "only L1, L2 and L1L2 regularizers")
    return {"class_name": class_name, "config": dict(config)}


def check_dtype(ctx, value, allowed=("float32",)):
    name = value
    if isinstance(value, dict):  # a dtype policy: Keras 3 DTypePolicy, tf.keras Policy
        name = (value.get("config") or {}).get("name")
    if value is None:  # TF.js leaves it out
        return
    if name not in allowed:
        raise ctx.refuse("dtype", name if name is not None else value,
                         "glflow computes in float32")


def _must_be(ctx, option, value, *wanted):
    """Refuse `value` unless it is one of `wanted` (JSON lists compare as tuples)."""
    if (tuple(value) if isinstance(value, list) else value) not in wanted:
        raise ctx.refuse(option, value)


# --------------------------------------------------------------------------- layer table

def _kinds(key):
    if key in ("activation", "recurrent_activation"):
        return activation
    if key.endswith("_initializer"):
        return initializer
    if key.endswith("_regularizer"):
        return regularizer
    return None


class _Rule:
    """keep: options passed to the glflow layer; fixed: options glflow supports only at the
    given value(s); ignore: options that cannot change what the layer computes."""

    def __init__(self, cls, keep=(), fixed=None, ignore=()):
        self.cls, self.keep, self.fixed, self.ignore = cls, set(keep), dict(fixed or {}), \
            set(ignore)


_CONV = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
         "activation", "use_bias", "bias_initializer", "bias_regularizer")
_NO_CONSTRAINTS = {k: (None,) for k in ("kernel_constraint", "bias_constraint",
                                        "depthwise_constraint", "pointwise_constraint",
                                        "beta_constraint", "gamma_constraint",
                                        "embeddings_constraint", "recurrent_constraint")}
_NO_LORA = {"lora_rank": (None,), "quantization_config": (None,)}
_RNN = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
        "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
        "return_sequences", "return_state", "go_backwards", "dropout", "recurrent_dropout",
        "seed")
_RNN_FIXED = dict(_NO_CONSTRAINTS, stateful=(False,), time_major=(False,))
# zero_output_for_mask is checked with the model's masks (keras_model.check_masks)
_RNN_IGNORE = ("unroll", "implementation", "use_cudnn", "zero_output_for_mask")
_POOL = ("pool_size", "strides", "padding", "data_format")
_NORM = ("axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
         "beta_regularizer", "gamma_regularizer")

RULES = {
    "Dense": _Rule(layers.Dense, ("units", "activation", "use_bias", "kernel_initializer",
                                  "bias_initializer", "kernel_regularizer",
                                  "bias_regularizer"),
                   dict(_NO_CONSTRAINTS, **_NO_LORA), ("lora_alpha",)),
    "Activation": _Rule(layers.Activation, ("activation",)),
    "Dropout": _Rule(layers.Dropout, ("rate", "noise_shape", "seed")),
    "Flatten": _Rule(layers.Flatten, (), {"data_format": ("channels_last", None)}),
    "Reshape": _Rule(layers.Reshape, ("target_shape",)),
    "Permute": _Rule(layers.Permute, ("dims",)),
    "Add": _Rule(layers.Add), "Subtract": _Rule(layers.Subtract),
    "Multiply": _Rule(layers.Multiply), "Average": _Rule(layers.Average),
    "Maximum": _Rule(layers.Maximum), "Minimum": _Rule(layers.Minimum),
    "Concatenate": _Rule(layers.Concatenate, ("axis",)),
    "Conv1D": _Rule(layers.Conv1D, _CONV + ("groups", "kernel_initializer",
                                            "kernel_regularizer"),
                    dict(_NO_CONSTRAINTS, **_NO_LORA)),
    "Conv2D": _Rule(layers.Conv2D, _CONV + ("groups", "kernel_initializer",
                                            "kernel_regularizer"),
                    dict(_NO_CONSTRAINTS, **_NO_LORA)),
    "DepthwiseConv2D": _Rule(layers.DepthwiseConv2D,
                             tuple(k for k in _CONV if k != "filters")
                             + ("depth_multiplier", "depthwise_initializer",
                                "depthwise_regularizer"),
                             dict(_NO_CONSTRAINTS, groups=(1,), filters=(None,))),
    "SeparableConv2D": _Rule(layers.SeparableConv2D,
                             _CONV + ("depth_multiplier", "depthwise_initializer",
                                      "pointwise_initializer", "depthwise_regularizer",
                                      "pointwise_regularizer"),
                             dict(_NO_CONSTRAINTS, groups=(1,)),
                             # Keras 2 writes a plain conv's kernel options; they are unused
                             ("kernel_initializer", "kernel_regularizer")),
    "Conv2DTranspose": _Rule(layers.Conv2DTranspose,
                             _CONV + ("kernel_initializer", "kernel_regularizer"),
                             dict(_NO_CONSTRAINTS, output_padding=(None,), groups=(1,))),
    "MaxPooling1D": _Rule(layers.MaxPooling1D, _POOL),
    "MaxPooling2D": _Rule(layers.MaxPooling2D, _POOL),
    "AveragePooling1D": _Rule(layers.AveragePooling1D, _POOL),
    "AveragePooling2D": _Rule(layers.AveragePooling2D, _POOL),
    "GlobalAveragePooling1D": _Rule(layers.GlobalAveragePooling1D, ("data_format", "keepdims")),
    "GlobalAveragePooling2D": _Rule(layers.GlobalAveragePooling2D, ("data_format", "keepdims")),
    "GlobalMaxPooling1D": _Rule(layers.GlobalMaxPooling1D, ("data_format", "keepdims")),
    "GlobalMaxPooling2D": _Rule(layers.GlobalMaxPooling2D, ("data_format", "keepdims")),
    "BatchNormalization": _Rule(layers.BatchNormalization,
                                _NORM + ("momentum", "moving_mean_initializer",
                                         "moving_variance_initializer"),
                                dict(_NO_CONSTRAINTS, renorm=(False,), renorm_clipping=(None,),
                                     virtual_batch_size=(None,), adjustment=(None,)),
                                # training-time options with no effect on the numbers here
                                ("synchronized", "fused", "renorm_momentum")),
    "LayerNormalization": _Rule(layers.LayerNormalization, _NORM,
                                dict(_NO_CONSTRAINTS, rms_scaling=(False,))),
    "Embedding": _Rule(layers.Embedding, ("input_dim", "output_dim", "embeddings_initializer",
                                          "embeddings_regularizer", "mask_zero",
                                          "input_length"),
                       dict(_NO_CONSTRAINTS, sparse=(False,), **_NO_LORA)),
    "SimpleRNN": _Rule(layers.SimpleRNN, _RNN, _RNN_FIXED, _RNN_IGNORE),
    "GRU": _Rule(layers.GRU, _RNN + ("recurrent_activation", "reset_after"), _RNN_FIXED,
                 _RNN_IGNORE),
    "LSTM": _Rule(layers.LSTM, _RNN + ("recurrent_activation", "unit_forget_bias"), _RNN_FIXED,
                  _RNN_IGNORE),
    "Bidirectional": _Rule(layers.Bidirectional, ("merge_mode",)),
    "TimeDistributed": _Rule(layers.TimeDistributed),
    "ZeroPadding2D": _Rule(layers.ZeroPadding2D, ("padding", "data_format")),
    "UpSampling2D": _Rule(layers.UpSampling2D, ("size", "data_format", "interpolation")),
    "Cropping1D": _Rule(layers.Cropping1D, ("cropping",)),
    "Cropping2D": _Rule(layers.Cropping2D, ("cropping", "data_format")),
    "RepeatVector": _Rule(layers.RepeatVector, ("n",)),
    "ReLU": _Rule(layers.ReLU, ("max_value", "negative_slope", "threshold")),
    # Keras 2 and TF.js call the slope `alpha` (glflow's LeakyReLU takes either name)
    "LeakyReLU": _Rule(layers.LeakyReLU, ("negative_slope", "alpha")),
    "PReLU": _Rule(layers.PReLU, ("alpha_initializer", "alpha_regularizer", "shared_axes"),
                   {"alpha_constraint": (None,)}),
    "ELU": _Rule(layers.ELU, ("alpha",)),
    "Softmax": _Rule(layers.Softmax, ("axis",)),
    "Masking": _Rule(layers.Masking, ("mask_value",)),
    "Rescaling": _Rule(layers.Rescaling, ("scale", "offset")),
    # mean/variance in the config: fixed values (no weights in the file); without them the
    # adapted values are weights (keras_model.glflow_arrays drops Keras' extra `count`)
    "Normalization": _Rule(layers.Normalization, ("axis", "mean", "variance", "invert")),
    # Keras 2 writes a Dropout's noise_shape (always None for these)
    "SpatialDropout1D": _Rule(layers.SpatialDropout1D, ("rate", "seed"),
                              {"noise_shape": (None,)}),
    "SpatialDropout2D": _Rule(layers.SpatialDropout2D, ("rate", "seed", "data_format"),
                              {"noise_shape": (None,)}),
    "GaussianNoise": _Rule(layers.GaussianNoise, ("stddev", "seed")),
    "GaussianDropout": _Rule(layers.GaussianDropout, ("rate", "seed")),
    # `causal` is tf.keras 2.x's deprecated spelling of use_causal_mask (a call argument)
    "Attention": _Rule(layers.Attention, ("use_scale", "score_mode", "dropout", "seed"),
                       {"causal": (False,)}),
    "MultiHeadAttention": _Rule(layers.MultiHeadAttention,
                                ("num_heads", "key_dim", "value_dim", "dropout", "use_bias",
                                 "output_shape", "kernel_initializer", "bias_initializer",
                                 "kernel_regularizer", "bias_regularizer", "seed"),
                                # a built layer writes its default axes: the steps axis of
                                # [batch, steps, features], glflow's only one
                                dict(_NO_CONSTRAINTS, flash_attention=(None, False),
                                     attention_axes=(None, (1,), 1, (-2,), -2),
                                     use_gate=(False,), sliding_window=(None,)),
                                # tf.keras records the build shapes; the model has them
                                ("query_shape", "key_shape", "value_shape")),
    "Conv3D": _Rule(layers.Conv3D, _CONV + ("groups", "kernel_initializer",
                                            "kernel_regularizer"),
                    dict(_NO_CONSTRAINTS, **_NO_LORA)),
    "MaxPooling3D": _Rule(layers.MaxPooling3D, _POOL),
    "AveragePooling3D": _Rule(layers.AveragePooling3D, _POOL),
    "GlobalAveragePooling3D": _Rule(layers.GlobalAveragePooling3D, ("data_format", "keepdims")),
    "GlobalMaxPooling3D": _Rule(layers.GlobalMaxPooling3D, ("data_format", "keepdims")),
}
WRAPPERS = {"Bidirectional": ("layer", "backward_layer"), "TimeDistributed": ("layer",)}
RECURRENT = {"SimpleRNN", "GRU", "LSTM"}


def translate_layer(ctx, entry):
    """A Keras layer entry {'class_name', 'config'} -> LayerSpec, or a clear error."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise UnsupportedError(f"{ctx.where}: a layer entry is malformed: {str(entry)[:200]}")
    keras_class = entry["class_name"]
    config = entry.get("config")
    if not isinstance(config, dict):
        raise UnsupportedError(f"{ctx.where}: layer {keras_class} has no config dict")
    name = config.get("name") or entry.get("name")
    ctx = ctx.at(name, keras_class)
    rule = RULES.get(keras_class)
    if keras_class == "Lambda":
        raise ctx.error("a Lambda layer's Python function cannot be loaded from a file; "
                        "rebuild the model in glflow and load its weights")
    if rule is None:
        known = ", ".join(sorted(RULES))
        raise ctx.error(f"glflow has no {keras_class} layer (it loads {known})")
    if not isinstance(name, str) or not name or "/" in name:
        raise ctx.error("the layer name must be a non-empty string without '/'")
    check_dtype(ctx, config.get("dtype"))
    kwargs, children = {}, {}
    for key, value in config.items():
        if key in _COMMON_DROPPED or key in rule.ignore:
            continue
        if key in WRAPPERS.get(keras_class, ()):
            if value is not None:
                children[key] = translate_layer(ctx, value)
            continue
        if key == "activity_regularizer":
            kwargs[key] = regularizer(ctx, key, value)
        elif key in rule.fixed:
            _must_be(ctx, key, value, *rule.fixed[key])
        elif key in rule.keep:
            convert = _kinds(key)
            kwargs[key] = convert(ctx, key, value) if convert else value
        else:
            raise ctx.refuse(key, value, f"glflow's {rule.cls.__name__} has no such option")
    if config.get("trainable") is False:
        kwargs["trainable"] = False
    _special_cases(ctx, keras_class, config, kwargs)
    return LayerSpec(keras_class, name, rule.cls, kwargs, children)


def _special_cases(ctx, keras_class, config, kwargs):
    if keras_class == "Softmax" and isinstance(kwargs.get("axis"), list):
        kwargs["axis"] = tuple(kwargs["axis"])  # JSON's list of axes; glflow takes a tuple
    elif keras_class == "LSTM" and kwargs.get("unit_forget_bias") is None:
        kwargs.pop("unit_forget_bias", None)  # TF.js writes null for its default
    elif keras_class == "UpSampling2D" and ctx.dialect == "tfjs" and \
            kwargs.get("interpolation") == "bilinear":
        raise ctx.refuse("interpolation", "bilinear", "TF.js resizes without half-pixel "
                                                      "centres; glflow and Keras use them")
    elif keras_class in ("Bidirectional", "TimeDistributed") and "layer" not in \
            config:
        raise ctx.error("the wrapped layer is missing from the config")
    if keras_class in ("MaxPooling1D", "AveragePooling1D"):
        for key in ("pool_size", "strides"):  # Keras writes [2] where glflow takes 2
            if isinstance(kwargs.get(key), list) and len(kwargs[key]) == 1:
                kwargs[key] = kwargs[key][0]


def input_shape(ctx, config):
    """The batch shape an InputLayer (or a Sequential's first layer) declares, or None."""
    for key in ("batch_shape", "batch_input_shape"):
        shape = config.get(key)
        if shape is not None:
            if not isinstance(shape, (list, tuple)) or not all(
                    d is None or (isinstance(d, int) and d >= 0) for d in shape):
                raise ctx.refuse(key, shape, "a list of sizes or nulls")
            return tuple(shape)
    return None


def translate_input(ctx, entry):
    """An InputLayer entry -> LayerSpec of glflow's InputLayer (ids may be ints)."""
    config = entry.get("config") or {}
    name = config.get("name") or entry.get("name")
    ctx = ctx.at(name, "InputLayer")
    shape = input_shape(ctx, config)
    if shape is None:
        raise ctx.error("the input has no batch_shape")
    check_dtype(ctx, config.get("dtype"), ("float32", "int32", "int64", "float64"))
    for key in ("sparse", "ragged", "optional"):
        _must_be(ctx, key, config.get(key, False), False, None)
    return LayerSpec("InputLayer", name, layers.InputLayer, {"batch_shape": shape})
