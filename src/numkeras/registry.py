"""Names of things, and the only classes a config (and so a model file) may ask for.

Every public class that can appear in a config registers itself with :func:`register`. A config
is plain JSON, ``{"class_name": ..., "config": {...}}``, and :func:`deserialize` builds objects
only from registered classes or from ``custom_objects`` that the caller passes in: a model file
can never name arbitrary code to run.

Each family (activations, losses, optimizers, ...) resolves user identifiers through
:func:`resolve`, so every one accepts the same spellings and gives the same kind of error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_CLASSES: dict[str, type] = {}
_SCOPES: list[Mapping[str, Any]] = []


@contextlib.contextmanager
def custom_object_scope(custom_objects: Mapping[str, Any] | None) -> Iterator[None]:
    """Within the block, every name lookup also finds ``custom_objects`` (as in Keras).

    ``load_model(..., custom_objects=...)`` uses it, so that a user's activation function named
    inside a layer's config resolves wherever the layer looks it up.
    """
    _SCOPES.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        _SCOPES.pop()


class _Lookup:
    """The caller's ``custom_objects`` first, then the active scopes, innermost first."""

    def __init__(self, first: Any, scopes: list[Mapping[str, Any]]):
        self.layers = ([first] if first else []) + scopes[::-1]

    def get(self, name: str, default: Any = None) -> Any:
        for layer in self.layers:
            found = layer.get(name)
            if found is not None:
                return found
        return default

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __bool__(self) -> bool:
        return bool(self.layers)


def _with_scope(custom_objects: Any) -> Any:
    return _Lookup(custom_objects, _SCOPES) if _SCOPES else custom_objects


def register(cls: type[T]) -> type[T]:
    """Class decorator: allow ``cls`` to be rebuilt from a config by its class name."""
    _CLASSES[cls.__name__] = cls
    return cls


def registered_class(name: str) -> type | None:
    return _CLASSES.get(name)


def serialize(obj: Any) -> Any:
    """A JSON-ready description of ``obj``: a registered object's class name and config.

    Plain functions registered in a family table serialize as their name. ``None`` stays None.
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    name = getattr(obj, "__name__", None)
    if callable(obj) and name and name != "<lambda>":
        return name
    raise TypeError(
        f"Cannot serialize {obj!r}: only numkeras objects with get_config() and named "
        "functions can be stored in a config."
    )


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild an object from :func:`serialize`'s output, allowing registered classes only."""
    if not isinstance(config, dict):
        return config
    custom_objects = _with_scope(custom_objects)
    name = config.get("class_name")
    inner = config.get("config", {})
    if not isinstance(name, str) or not isinstance(inner, dict):
        raise ValueError(
            "A serialized object must be {'class_name': str, 'config': dict}. "
            f"Received: {config!r:.200}"
        )
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown class {name!r}: it is neither a numkeras class nor in custom_objects. "
            "Pass custom_objects={'" + name + "': YourClass} to load it."
        )
    return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


def resolve(
    identifier: Any,
    table: Mapping[str, Any],
    kind: str,
    make: Callable[[Any], Any] | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Turn a user's identifier into the object it names, the same way for every family.

    ``identifier`` may be a name in ``table`` (case-insensitive), a config dict, a class (it is
    instantiated with no arguments) or an object already usable (returned as it is).
    ``make`` post-processes table entries (e.g. instantiates a class found by name).
    A name that is not found raises a ValueError listing the valid names.
    """
    custom_objects = _with_scope(custom_objects)
    if isinstance(identifier, str):
        key = identifier if identifier in table else identifier.lower()
        if custom_objects and identifier in custom_objects:
            found = custom_objects[identifier]
        elif key in table:
            found = table[key]
        else:
            valid = ", ".join(sorted(table))
            raise ValueError(f"Unknown {kind} {identifier!r}. Valid names: {valid}.")
        return make(found) if make else found
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier) or hasattr(identifier, "get_config"):
        return identifier
    raise ValueError(
        f"Could not interpret {kind} identifier: expected a name, a config dict, a class or a "
        f"callable. Received: {identifier!r}"
    )
