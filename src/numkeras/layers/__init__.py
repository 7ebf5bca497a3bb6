"""Step 1 of the course, define a set of functions: the layers."""

from .core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from .layer import InputSpec, Layer

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec",
           "Layer", "Reshape"]
