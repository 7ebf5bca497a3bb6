"""Models: ``Sequential`` and the functional ``Model``, with saving and loading."""

from typing import Any

from .cloning import clone_model
from .model import Model
from .sequential import Sequential


def load_model(
    filepath: Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> Model:
    """Read a model written by ``model.save`` (see ``numkeras.saving.load_model``)."""
    from .. import saving

    return saving.load_model(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


def model_from_json(
    json_string: str, custom_objects: dict | None = None, safe_mode: bool = True
) -> Model:
    """Rebuild an (untrained) model from ``model.to_json()`` (see
    ``numkeras.saving.model_from_json``)."""
    from .. import saving

    return saving.model_from_json(json_string, custom_objects=custom_objects, safe_mode=safe_mode)


__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json"]
