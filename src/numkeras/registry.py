"""Names of things, and the only classes a config (and so a model file) may ask for.

A config is plain JSON, ``{"class_name": ..., "config": {...}}``, and :func:`deserialize` builds
objects only from registered classes or from ``custom_objects`` that the caller passes in: a
model file can never name arbitrary code to run.

Which classes are registered: numkeras's own, under their bare class name (every ``Layer``
subclass defined inside the package registers itself), and the user's classes registered
explicitly with :func:`register_keras_serializable`, under Keras 3's ``"package>name"`` key. A
class defined by the application and not registered can be built only from ``custom_objects``
(or a :func:`custom_object_scope`), so a file cannot reach it, and it can never take a name
that numkeras or another registration already holds.

Each family (activations, losses, optimizers, ...) resolves user identifiers through
:func:`resolve` with its :class:`Family`, so every one accepts the same spellings, builds only
classes of its own kind, and gives the same kind of error.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

#: Registered classes by key: numkeras's own by bare class name, the user's by "package>name".
_CLASSES: dict[str, type] = {}
#: The key of each class registered by the user (what :func:`serialize` writes for it).
_KEYS: dict[type, str] = {}
_SCOPES: list[Mapping[str, Any]] = []


@dataclasses.dataclass(frozen=True)
class Family:
    """A kind of object a config slot holds, and the classes that may fill it.

    Attributes:
        kind: what the slot holds, for messages (``'initializer'``).
        bases: a class fits if it subclasses one of these.
        users_own: a class of the user's own fits too, if it derives from no numkeras class (a
            layer, a loss, ...): activations are mostly plain functions, so any callable class
            of the user's may be one.
    """

    kind: str
    bases: tuple[type, ...] = ()
    users_own: bool = False

    def accepts(self, cls: Any) -> bool:
        """Whether objects of ``cls`` may fill a slot of this family."""
        if not isinstance(cls, type):
            return False
        if self.bases and issubclass(cls, self.bases):
            return True
        return self.users_own and not any(is_own(base) for base in cls.__mro__)

    def expected(self) -> str:
        kinds = [" or ".join(b.__name__ for b in self.bases)] if self.bases else []
        if self.users_own:
            kinds.append("your own class, derived from no numkeras class")
        return "a subclass of " + ", or ".join(kinds) if self.bases else kinds[0]


class FamilyError(ValueError):
    """A config names a class of another kind than its slot holds (say a layer as a loss).

    Attributes:
        kind: the slot's family (``'activation'``).
        class_name: the name the config gave.
    """

    def __init__(self, family: Family, class_name: str, cls: Any):
        self.kind, self.class_name = family.kind, class_name
        given = f"{cls.__module__}.{cls.__qualname__}" if isinstance(cls, type) else repr(cls)
        super().__init__(
            f"{_article(family.kind).capitalize()} {family.kind} config names the class "
            f"{class_name!r}, which is not {_article(family.kind)} {family.kind}: expected "
            f"{family.expected()}, received {given}."
        )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def is_own(cls: type) -> bool:
    """Whether ``cls`` is defined inside the numkeras package."""
    module = getattr(cls, "__module__", "") or ""
    return module == "numkeras" or module.startswith("numkeras.")


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
    """Class decorator for numkeras's own classes: rebuildable from a config by class name.

    A class defined outside numkeras is registered as :func:`register_keras_serializable`
    does, under ``"Custom>ClassName"``.
    """
    if not is_own(cls):
        return register_keras_serializable()(cls)
    # numkeras's own classes may share a bare name across families (the loss and the metric
    # MeanSquaredError): each family looks its own classes up first, so the last one here is
    # only the fallback of a bare lookup.
    _CLASSES[cls.__name__] = cls
    return cls


def register_keras_serializable(package: str = "Custom",
                                name: str | None = None) -> Callable[[type[T]], type[T]]:
    """Class decorator: let configs (and model files) name your class, as in Keras 3.

    The class is registered as ``"package>name"`` (``name`` defaults to the class name), which
    :func:`serialize` writes; a config may also give the bare ``name`` when no other package
    registered it. A key already registered to another class raises a ValueError.

    Args:
        package: the key's prefix, to keep apart classes of the same name. Defaults to
            ``'Custom'``.
        name: the name in the key. Defaults to the class's ``__name__``.
    """
    for argument, value in (("package", package), ("name", name)):
        if value is not None and (not isinstance(value, str) or not value or ">" in value):
            raise ValueError(f"{argument} must be a non-empty string without '>'. Received: "
                             f"{argument}={value!r}")

    def decorator(cls: type[T]) -> type[T]:
        key = f"{package}>{name or cls.__name__}"
        held = _CLASSES.get(key)
        # The same class defined again (a re-run notebook cell, a reloaded module) takes its
        # key back; any other class would silently change what existing files load.
        if held is not None and (held.__module__, held.__qualname__) != (
                cls.__module__, cls.__qualname__):
            raise ValueError(
                f"The name {key!r} is already registered to {held.__module__}."
                f"{held.__qualname__}, so {cls.__module__}.{cls.__qualname__} cannot take it: "
                "register it with another package (register_keras_serializable(package=...)) "
                "or pass it in custom_objects instead."
            )
        _CLASSES[key] = cls
        _KEYS[cls] = key
        return cls

    return decorator


def registered_class(name: str) -> type | None:
    """The class registered under ``name``: a numkeras class name, a ``"package>name"`` key,
    or the bare name of exactly one of the user's registered classes (else None)."""
    found = _CLASSES.get(name)
    if found is not None or ">" in name:
        return found
    matches = [cls for key, cls in _CLASSES.items() if key.endswith(">" + name)]
    if len(matches) > 1:
        keys = sorted(_KEYS[cls] for cls in matches)
        raise ValueError(f"The class name {name!r} is registered by several packages ({keys}): "
                         "a config must name one by its full key.")
    return matches[0] if matches else None


def lookup(name: str, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """What ``name`` means: ``custom_objects``, then the active scopes, then the registry."""
    custom = _with_scope(custom_objects)
    found = custom.get(name) if custom else None
    return found if found is not None else registered_class(name)


def class_key(cls: type) -> str:
    """The name a config gives ``cls``: its registered ``"package>name"`` key, else its name."""
    return _KEYS.get(cls, cls.__name__)


def serialize(obj: Any) -> Any:
    """A JSON-ready description of ``obj``: a registered object's class name and config.

    Plain functions registered in a family table serialize as their name. ``None`` stays None.
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": class_key(type(obj)), "config": obj.get_config()}
    name = getattr(obj, "__name__", None)
    if callable(obj) and name and name != "<lambda>":
        return name
    raise TypeError(
        f"Cannot serialize {obj!r}: only numkeras objects with get_config() and named "
        "functions can be stored in a config."
    )


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None,
                family: Family | None = None) -> Any:
    """Rebuild an object from :func:`serialize`'s output, allowing registered classes only.

    With ``family``, a class of another kind raises a :class:`FamilyError` before anything is
    constructed.
    """
    if not isinstance(config, dict):
        return config
    name = config.get("class_name")
    inner = config.get("config", {})
    if not isinstance(name, str) or not isinstance(inner, dict):
        raise ValueError(
            "A serialized object must be {'class_name': str, 'config': dict}. "
            f"Received: {config!r:.200}"
        )
    cls = lookup(name, custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown class {name!r}: it is neither a numkeras class nor in custom_objects. "
            "Pass custom_objects={'" + name + "': YourClass} to load it."
        )
    _check_family(cls, name, family)
    return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


def _check_family(cls: Any, name: str, family: Family | None) -> None:
    if family is not None and not family.accepts(cls):
        raise FamilyError(family, name, cls)


def resolve(
    identifier: Any,
    table: Mapping[str, Any],
    family: Family,
    make: Callable[[Any], Any] | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Turn a user's identifier into the object it names, the same way for every family.

    ``identifier`` may be a name in ``table`` (case-insensitive), a config dict, a class (it is
    instantiated with no arguments) or an object already usable (returned as it is).
    ``make`` post-processes table entries (e.g. instantiates a class found by name).
    A name that is not found raises a ValueError listing the valid names; a config or class
    outside ``family`` raises a :class:`FamilyError`.
    """
    custom_objects = _with_scope(custom_objects)
    if isinstance(identifier, str):
        key = identifier if identifier in table else identifier.lower()
        if custom_objects and identifier in custom_objects:
            found = custom_objects[identifier]
            if isinstance(found, type):
                _check_family(found, identifier, family)
        elif key in table:
            found = table[key]
        else:
            valid = ", ".join(sorted(table))
            raise ValueError(f"Unknown {family.kind} {identifier!r}. Valid names: {valid}.")
        return make(found) if make else found
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects, family)
    if isinstance(identifier, type):
        _check_family(identifier, identifier.__name__, family)
        return identifier()
    if callable(identifier) or hasattr(identifier, "get_config"):
        return identifier
    raise ValueError(
        f"Could not interpret {family.kind} identifier: expected a name, a config dict, a class "
        f"or a callable. Received: {identifier!r}"
    )
