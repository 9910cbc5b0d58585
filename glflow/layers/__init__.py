"""Keras-style layers on glflow ops, split by family (core, merge; later conv, pooling,
recurrent, normalisation). Every layer follows Layer's lifecycle (see base.py)."""
from . import activations, initializers, regularizers
from .base import Layer, clear_session
from .core import (Activation, Dense, Dropout, Flatten, Input, InputLayer, Lambda, Permute,
                   Reshape)
from .merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,
                    average, concatenate, maximum, minimum, multiply, subtract)
from .node import KerasTensor
from .serialization import (custom_object_scope, deserialize, register_serializable,
                            serialize)
from .shapes import InputSpec

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Dropout",
           "Flatten", "Reshape", "Permute", "Lambda", "Add", "Subtract", "Multiply", "Average",
           "Maximum", "Minimum", "Concatenate", "add", "subtract", "multiply", "average",
           "maximum", "minimum", "concatenate", "KerasTensor", "activations", "initializers",
           "regularizers", "serialize", "deserialize", "register_serializable",
           "custom_object_scope", "clear_session"]
