"""Keras-style layers on glflow ops, split by family (core, activations, convolutional,
pooling, recurrent, attention, ...). Every layer follows Layer's lifecycle (see base.py)."""
from . import activations, initializers, regularizers, serialization
from .advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .attention import Attention, MultiHeadAttention
from .base import Layer, clear_session
from .convolutional import (Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
                            SeparableConv2D)
from .core import (Activation, Dense, Dropout, Flatten, Input, InputLayer, Lambda, Permute,
                   Reshape)
from .embedding import Embedding
from .masking import Masking
from .merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,
                    average, concatenate, maximum, minimum, multiply, subtract)
from .node import KerasTensor
from .noise import GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                      MaxPooling1D, MaxPooling2D)
from .preprocessing import Normalization, Rescaling
from .recurrent import GRU, LSTM, SimpleRNN
from .reshaping import Cropping1D, Cropping2D, RepeatVector, UpSampling2D, ZeroPadding2D
from .serialization import (custom_object_scope, deserialize, register_serializable,
                            serialize)
from .shapes import InputSpec
from .volumetric import (AveragePooling3D, Conv3D, GlobalAveragePooling3D,
                         GlobalMaxPooling3D, MaxPooling3D)
from .wrappers import Bidirectional, TimeDistributed

# Keras's other names for the same classes; a config naming either loads
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, SeparableConvolution2D = Conv2DTranspose, SeparableConv2D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
ALIASES = ["Convolution1D", "Convolution2D", "Convolution3D", "Convolution2DTranspose",
           "SeparableConvolution2D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
           "AvgPool2D", "AvgPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D"]
for _alias in ALIASES:
    serialization.register_serializable(_alias)(globals()[_alias])

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Dropout",
           "Flatten", "Reshape", "Permute", "Lambda", "Add", "Subtract", "Multiply", "Average",
           "Maximum", "Minimum", "Concatenate", "add", "subtract", "multiply", "average",
           "maximum", "minimum", "concatenate", "KerasTensor", "activations", "initializers",
           "regularizers", "serialize", "deserialize", "register_serializable",
           "custom_object_scope", "clear_session",
           "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Masking",
           "Rescaling", "Normalization",
           "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
           "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D",
           "Conv2DTranspose",
           "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
           "AveragePooling2D", "AveragePooling3D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
           "BatchNormalization", "LayerNormalization", "ZeroPadding2D", "UpSampling2D",
           "Cropping1D", "Cropping2D", "RepeatVector",
           "Embedding", "SimpleRNN", "GRU", "LSTM", "Bidirectional", "TimeDistributed",
           "Attention", "MultiHeadAttention",
           "Convolution1D", "Convolution2D", "Convolution3D", "Convolution2DTranspose",
           "SeparableConvolution2D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
           "AvgPool2D", "AvgPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D"]
