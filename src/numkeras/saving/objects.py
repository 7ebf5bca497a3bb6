"""Keras 3's ``keras.saving`` functions for single objects: a layer, loss, optimizer or any
registered class to a JSON-ready config and back, as a custom layer's ``get_config`` and
``from_config`` use them for the layers it holds.

The registry (:mod:`numkeras.registry`) does the work: only numkeras's classes, the classes
registered with ``register_keras_serializable`` and those given in ``custom_objects`` are ever
built, so a config cannot name arbitrary code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import registry


def serialize_keras_object(obj: Any) -> Any:
    """``obj`` as a JSON-ready config: ``{"class_name", "config"}`` (with ``"module"`` for
    numkeras's own classes); a registered plain function as its name; None stays None."""
    return registry.serialize(obj)


def deserialize_keras_object(
    config: Any, custom_objects: Mapping[str, Any] | None = None, safe_mode: bool = True
) -> Any:
    """The object that :func:`serialize_keras_object` described. ``safe_mode`` is accepted
    for Keras programs: numkeras never builds unregistered classes, whatever it is."""
    return registry.deserialize(config, custom_objects)


def get_registered_name(obj: Any) -> str:
    """The name under which configs name ``obj``, a class or a function: ``"package>name"``
    for a class the user registered, else its ``__name__``."""
    return registry.class_entry(obj)["class_name"] if isinstance(obj, type) else obj.__name__


def get_registered_object(
    name: str,
    custom_objects: Mapping[str, Any] | None = None,
    module_objects: Mapping[str, Any] | None = None,
) -> Any:
    """The class or function that ``name`` means: in ``custom_objects``, the active custom
    object scopes, the registry, then ``module_objects``; None when nothing does."""
    found = registry.lookup(name, custom_objects)
    return found if found is not None else (module_objects or {}).get(name)
