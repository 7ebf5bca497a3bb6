"""Keras 2's ``keras.layers.convolutional``, so programs that import from it run as written.

It re-exports the convolution layers, the padding and upsampling layers, and (as Keras 2 did, for
Keras 1 programs) the pooling layers. Importing it warns once: they live in
:mod:`numkeras.layers` today.
"""

from .. import legacy
from .conv import Conv1D, Conv2D, Convolution2D
from .pooling import AveragePooling2D, MaxPooling1D, MaxPooling2D
from .reshaping import UpSampling2D, ZeroPadding2D

legacy.moved_module(__name__, "numkeras.layers")

__all__ = [
    "AveragePooling2D",
    "Conv1D",
    "Conv2D",
    "Convolution2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "UpSampling2D",
    "ZeroPadding2D",
]
