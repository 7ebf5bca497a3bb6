"""Keras 2's ``keras.layers.advanced_activations``, so programs that import from it run as written.

It re-exports the activation layers; importing it warns once: they live in
:mod:`numkeras.layers` today.
"""

from .. import legacy
from .activation import ELU, LeakyReLU, PReLU, ReLU, Softmax

legacy.moved_module(__name__, "numkeras.layers")

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
