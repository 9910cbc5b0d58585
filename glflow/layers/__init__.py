"""Keras-style layers on glflow ops, split by family (core, merge; later conv, pooling,
recurrent, normalisation). Every layer follows Layer's lifecycle (see base.py)."""
from . import activations, initializers, regularizers
from .base import Layer, clear_session
from .convolutional import (Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
                            SeparableConv2D)
from .core import (Activation, Dense, Dropout, Flatten, Input, InputLayer, Lambda, Permute,
                   Reshape)
from .embedding import Embedding
from .merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,
                    average, concatenate, maximum, minimum, multiply, subtract)
from .node import KerasTensor
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                      MaxPooling1D, MaxPooling2D)
from .recurrent import GRU, LSTM, SimpleRNN
from .reshaping import UpSampling2D, ZeroPadding2D
from .serialization import (custom_object_scope, deserialize, register_serializable,
                            serialize)
from .shapes import InputSpec
from .wrappers import Bidirectional, TimeDistributed

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Dropout",
           "Flatten", "Reshape", "Permute", "Lambda", "Add", "Subtract", "Multiply", "Average",
           "Maximum", "Minimum", "Concatenate", "add", "subtract", "multiply", "average",
           "maximum", "minimum", "concatenate", "KerasTensor", "activations", "initializers",
           "regularizers", "serialize", "deserialize", "register_serializable",
           "custom_object_scope", "clear_session",
           "Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose",
           "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "BatchNormalization", "LayerNormalization", "ZeroPadding2D",
           "UpSampling2D",
           "Embedding", "SimpleRNN", "GRU", "LSTM", "Bidirectional", "TimeDistributed"]
