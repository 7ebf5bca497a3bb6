"""Global settings under Keras 3's ``keras.config`` names.

These are the settings of :mod:`numkeras.backend`, not copies: ``config.set_floatx("float64")``
and ``backend.set_floatx("float64")`` change the same value. Defaults as in Keras: floatx
``'float32'``, epsilon ``1e-7``, image data format ``'channels_last'``. ``backend()`` names the
array backend, ``'numpy'`` or ``'cupy'`` (where Keras names ``'jax'``, ``'tensorflow'``, ...);
``device()`` and ``set_device('cpu' | 'gpu')`` name and choose the same thing by its device.
``enable_unsafe_deserialization()`` turns safe mode off for every later load, as in Keras.
"""

from __future__ import annotations

from .backend import (
    backend,
    device,
    enable_unsafe_deserialization,
    epsilon,
    floatx,
    image_data_format,
    set_backend,
    set_device,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "backend",
    "device",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_backend",
    "set_device",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]
