"""Saving and loading models: one safe zip format, written atomically, read as untrusted input.

::

    model.save("mnist.numkeras")                      # architecture, weights, training state
    model = numkeras.models.load_model("mnist.numkeras")
    model.save_weights("mnist.weights.npz")           # weights only
    model.load_weights("mnist.weights.npz", by_name=True)
    model.save_weights("mnist.weights.h5")            # Keras 3's weights file (h5py needed)
    model.save("mnist.keras")                         # Keras 3's model file (h5py needed)
    clone = numkeras.models.model_from_json(model.to_json())

A file holds JSON and ``.npy`` arrays only. Loading never unpickles, never runs code named by
the file, builds only numkeras classes (or those you pass in ``custom_objects`` or register with
:func:`register_keras_serializable`), checks every size before unpacking, and raises
:class:`ModelFileError` (a ValueError) for anything malformed.
Every file is written to a temporary file beside the target and renamed over it, so a failed or
interrupted save leaves the previous file intact. The layout is in docs/file-format.md.
Keras 3's ``.weights.h5`` and ``.keras`` files, and Keras 2's (and 1's) ``.h5`` files, are read
with the same care (:mod:`.keras_weights_h5`, :mod:`.keras_file`, :mod:`.keras_legacy_h5`).
"""

from __future__ import annotations

from ..registry import custom_object_scope, register_keras_serializable
from . import archive
from .archive import Limits, ModelFileError
from .format import FORMAT_VERSION
from .model_file import load_model, model_from_json, model_to_json, save_model
from .objects import (
    deserialize_keras_object,
    get_registered_name,
    get_registered_object,
    serialize_keras_object,
)
from .weights import load_weights, save_weights


def get_limits() -> Limits:
    """The :class:`Limits` that every load checks files against."""
    return archive.LIMITS


def set_limits(limits: Limits) -> Limits:
    """Use ``limits`` for every later load (e.g. to read a model over 8 GiB); return the old ones.

    Example: ``set_limits(dataclasses.replace(get_limits(), max_total_bytes=32 * 2**30))``.
    """
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a numkeras.saving.Limits. Received: {limits!r}")
    previous, archive.LIMITS = archive.LIMITS, limits
    return previous


__all__ = [
    "FORMAT_VERSION",
    "Limits",
    "ModelFileError",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_registered_name",
    "get_registered_object",
    "get_limits",
    "load_model",
    "load_weights",
    "model_from_json",
    "model_to_json",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
    "set_limits",
]
