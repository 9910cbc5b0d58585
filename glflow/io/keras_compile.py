"""A Keras file's compile settings (optimizer, loss, metrics) -> `model.compile(...)`.

Best effort, as in Keras: the architecture and weights are what a file is loaded for, so a
setting glflow cannot reproduce (an optimizer it lacks, a custom loss, a learning-rate
schedule) leaves the model uncompiled with one warning naming it; `model.compile(...)` then
works as usual. Optimizer state (moments, step count) is not carried over.
"""
import warnings

from .. import losses, metrics, optimizers

# Keras keys with no glflow counterpart that are harmless at these values.
_OPTIMIZER_DEFAULTS = {"use_ema": (False,), "ema_momentum": None, "ema_overwrite_frequency":
                       (None,), "loss_scale_factor": (None,), "gradient_accumulation_steps":
                       (None,), "jit_compile": None, "is_legacy_optimizer": (False,),
                       "decay": (0, 0.0), "weight_decay": (None, 0, 0.0)}
# TF.js spells Adam's and RMSprop's arguments its own way
_OPTIMIZER_ALIASES = {"beta1": "beta_1", "beta2": "beta_2", "lr": "learning_rate",
                      "learningRate": "learning_rate"}


class _Skip(Exception):
    """A compile setting glflow cannot reproduce; the text says which."""


def restore_compile(model, config, where):
    """Compile `model` as the file says, or warn and leave it uncompiled."""
    if not (config.get("optimizer") or config.get("optimizer_config")) and \
            config.get("loss") is None:
        return  # saved uncompiled
    try:
        optimizer = _optimizer(config.get("optimizer") or config.get("optimizer_config"))
        loss = _loss(config.get("loss"))
        metric_list = _metrics(config.get("metrics"))
        weights = config.get("loss_weights")
        model.compile(optimizer=optimizer, loss=loss, metrics=metric_list, loss_weights=weights)
    except (_Skip, ValueError, TypeError) as exc:
        warnings.warn(f"{where}: the model is loaded uncompiled: its compile settings cannot "
                      f"be reproduced ({exc}); call model.compile(...) before fit/evaluate",
                      stacklevel=3)


def _optimizer(spec):
    if spec is None:
        raise _Skip("no optimizer")
    if isinstance(spec, str):
        return optimizers.get(spec)
    class_name = str(spec.get("class_name", "")).split(">")[-1]  # Keras 2.11: "Custom>Adam"
    cls = optimizers.CLASSES.get(class_name)
    if cls is None:
        raise _Skip(f"glflow has no {class_name} optimizer")
    kwargs = {}
    for key, value in (spec.get("config") or {}).items():
        key = _OPTIMIZER_ALIASES.get(key, key)
        if key in _OPTIMIZER_DEFAULTS:
            allowed = _OPTIMIZER_DEFAULTS[key]
            if allowed is not None and value not in allowed:
                raise _Skip(f"optimizer option {key}={value!r}")
            continue
        if isinstance(value, dict):
            raise _Skip(f"optimizer option {key} is a {value.get('class_name', 'schedule')}")
        if value is not None:
            kwargs[key] = value
    return cls(**kwargs)


# Keras loss/metric options glflow's classes lack, harmless at these values.
_HARMLESS = {"reduction": ("sum_over_batch_size", "auto", None), "dtype": ("float32", None),
             "ignore_class": (None,), "axis": (-1,), "summation_method": ("interpolation",),
             "multi_label": (False,), "num_labels": (None,), "label_weights": (None,)}


def _strip(spec):
    """A Keras {module, class_name, config, registered_name} dict in glflow's form, without
    the options that change nothing (others reach glflow's class, which refuses them)."""
    config = {k: v for k, v in (spec.get("config") or {}).items()
              if not (k in _HARMLESS and v in _HARMLESS[k])}
    return {"class_name": spec.get("class_name"), "config": config}


def _loss(spec):
    if spec is None:
        raise _Skip("no loss")
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _loss(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_loss(v) for v in spec]
    return losses.get(_strip(spec)) if isinstance(spec, dict) else spec  # names: compile()


def _metrics(spec):
    if spec is None:
        return None
    if isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], list):
        spec = spec[0]  # Keras 2 writes one list per output; one output here
    if not isinstance(spec, list):
        raise _Skip(f"metrics {spec!r}")
    out = []
    for item in spec:
        if isinstance(item, dict) and item.get("class_name") == "MeanMetricWrapper":
            # Keras 2 keeps the name the user gave ("accuracy"); its "fn" is a guess made
            # before the model ever ran (categorical_accuracy for sparse labels)
            config = item.get("config") or {}
            item = config.get("name") or config.get("fn")
        # names stay names: compile() picks the accuracy that fits the loss for "accuracy"
        out.append(metrics.get(_strip(item)) if isinstance(item, dict) else item)
    return out
