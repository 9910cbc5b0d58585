"""Optimizers (by class or name: 'sgd', 'adam', 'adamw', 'adamax', 'rmsprop', 'adagrad',
'adadelta') and learning-rate schedules."""
from . import schedules
from .adaptive import Adadelta, Adagrad, Adam, Adamax, AdamW, RMSprop
from .base import Optimizer
from .schedules import (CosineDecay, ExponentialDecay, InverseTimeDecay, LearningRateSchedule,
                        PiecewiseConstantDecay)
from .sgd import SGD

CLASSES = {c.__name__: c for c in (SGD, Adam, AdamW, Adamax, RMSprop, Adagrad, Adadelta)}
NAMES = {name.lower(): cls for name, cls in CLASSES.items()}


def get(identifier):
    """An Optimizer from a name ('adam'), a {'class_name', 'config'} dict, or an Optimizer."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = NAMES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizers.get: unknown optimizer {identifier!r}; known: "
                             f"{', '.join(sorted(NAMES))}")
        return cls()
    if isinstance(identifier, dict):
        cls = CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"optimizers.get: unknown optimizer class "
                             f"{identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    raise TypeError(f"optimizers.get: expected a name, dict or Optimizer, got {identifier!r}")


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


deserialize = get

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "RMSprop", "Adagrad", "Adadelta",
           "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay",
           "InverseTimeDecay", "schedules", "get", "serialize", "deserialize"]
