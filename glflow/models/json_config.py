"""A model's architecture as JSON, in Keras's layout: {"class_name": ..., "config": ...}.
Weights are not part of it (model.save holds both)."""
import json

from ..layers import serialization


def model_to_json(model, **json_kwargs):
    """The architecture of `model` as a JSON string; json_kwargs go to json.dumps (indent=2)."""
    return json.dumps(serialization.serialize(model), **json_kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from model.to_json(); custom layers come through
    custom_objects, a custom_object_scope or @register_serializable, never by import."""
    where = "model_from_json"
    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{where}: expected a JSON object with 'class_name' and 'config', got "
                         f"{type(config).__name__}")
    try:
        return serialization.deserialize(config, custom_objects)
    except TypeError as exc:  # a config key the class does not take
        raise ValueError(f"{where}: the config of {config['class_name']!r} is malformed "
                         f"({exc})") from None
