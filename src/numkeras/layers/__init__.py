"""Step 1 of the course, define a set of functions: the layers."""

from . import ops_layer as ops_layer  # ops on symbolic tensors record OpLayer nodes
from .activation import ELU, LeakyReLU, Maxout, MaxoutDense, PReLU, ReLU, Softmax
from .augmentation import (
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from .conv import Conv1D, Conv2D, Convolution2D
from .core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from .dropconnect import DropConnect
from .layer import InputSpec, Layer
from .normalization import BatchNormalization
from .pooling import (
    AveragePooling2D,
    AvgPool2D,
    GlobalAveragePooling2D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .regularization import GaussianNoise, SpatialDropout2D
from .reshaping import UpSampling2D, ZeroPadding2D
from .symbolic import KerasTensor

__all__ = [
    "ELU",
    "Activation",
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Conv1D",
    "Conv2D",
    "Convolution2D",
    "Dense",
    "DropConnect",
    "Dropout",
    "Flatten",
    "GaussianNoise",
    "GlobalAveragePooling2D",
    "GlobalAvgPool2D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "LeakyReLU",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maxout",
    "MaxoutDense",
    "PReLU",
    "RandomContrast",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "Reshape",
    "Softmax",
    "SpatialDropout2D",
    "UpSampling2D",
    "ZeroPadding2D",
]
