"""Keras 2's ``keras.layers.noise``, so programs that import from it run as written.

It re-exports :class:`GaussianNoise`; importing it warns once: it lives in
:mod:`numkeras.layers` today.
"""

from .. import legacy
from .regularization import GaussianNoise

legacy.moved_module(__name__, "numkeras.layers")

__all__ = ["GaussianNoise"]
