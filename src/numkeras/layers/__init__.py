"""Step 1 of the course, define a set of functions: the layers."""

from .activation import ELU, LeakyReLU, Maxout, MaxoutDense, PReLU, ReLU, Softmax
from .core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from .layer import InputSpec, Layer

__all__ = [
    "ELU", "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec",
    "Layer", "LeakyReLU", "Maxout", "MaxoutDense", "PReLU", "ReLU", "Reshape", "Softmax",
]
