"""Step 1 of the course, define a set of functions: the layers."""

from .activation import ELU, LeakyReLU, Maxout, MaxoutDense, PReLU, ReLU, Softmax
from .augmentation import (
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from .core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from .dropconnect import DropConnect
from .layer import InputSpec, Layer

__all__ = [
    "ELU", "Activation", "Dense", "DropConnect", "Dropout", "Flatten", "Input", "InputLayer",
    "InputSpec", "Layer", "LeakyReLU", "Maxout", "MaxoutDense", "PReLU", "RandomContrast",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "ReLU", "Reshape",
    "Softmax",
]
