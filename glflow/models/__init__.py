"""Models: functional Model(inputs, outputs), subclassed Model, Sequential; training
(compile/fit/evaluate/predict), summary and one-file saving."""
from ..layers import serialization
from .functional import Model
from .json_config import model_from_json
from .saving import load_model, load_weights, save_model, save_weights
from .sequential import Sequential


def clone_model(model):
    """A new model of the same architecture with freshly initialised weights."""
    return serialization.deserialize(serialization.serialize(model))


__all__ = ["Model", "Sequential", "load_model", "save_model", "load_weights", "save_weights",
           "clone_model", "model_from_json"]
