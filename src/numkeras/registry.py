"""Names of things, and the only classes a config (and so a model file) may ask for.

A config is plain JSON, ``{"module": ..., "class_name": ..., "config": {...}}``, and
:func:`deserialize` builds objects only from registered classes or from ``custom_objects`` that
the caller passes in: a model file can never name arbitrary code to run.

Every registered class has a key of Keras 3's form, ``"package>Name"``:

* numkeras's own classes under their public package, ``"numkeras.losses>MeanSquaredError"``
  (every ``Layer`` subclass defined inside the package registers itself). Their configs give the
  package as ``"module"`` and the bare class name, as Keras 3 writes ``"module": "keras.losses"``,
  so a loss and a metric may share a class name;
* the user's classes registered explicitly with :func:`register_keras_serializable`, whose
  configs give the whole key as ``class_name``.

A class defined by the application and not registered can be built only from ``custom_objects``
(or a :func:`custom_object_scope`), so a file cannot reach it, and it can never take a name
that numkeras or another registration already holds.

A bare class name (as files without ``"module"`` give it) means numkeras's own class first, then
the one user's class of that name. Each family (activations, losses, optimizers, ...) resolves
identifiers through :func:`resolve` with its :class:`Family`, so every one accepts the same
spellings, builds only classes of its own kind, gives the same kind of error, and takes a bare
name that several numkeras packages use from its own package first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

#: Registered classes by their "package>Name" key.
_CLASSES: dict[str, type] = {}
#: The key of each registered class.
_KEYS: dict[type, str] = {}
_SCOPES: list[Mapping[str, Any]] = []


def is_own(cls: type) -> bool:
    """Whether ``cls`` is defined inside the numkeras package."""
    module = getattr(cls, "__module__", "") or ""
    return module == "numkeras" or module.startswith("numkeras.")


def package_of(cls: type) -> str:
    """The public package that holds numkeras's own ``cls``: ``'numkeras.layers'`` for a class
    of ``numkeras.layers.core``, ``'numkeras.losses'`` for one of ``numkeras.losses``.

    Only the first two parts of the module count, so classes keep their keys (and old files
    their meaning) when a module is split into a package.
    """
    return ".".join(cls.__module__.split(".")[:2])


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

    @property
    def package(self) -> str | None:
        """The numkeras package whose classes a bare class name means first: that of the first
        base (``'numkeras.metrics'`` for metrics, whose slots also take losses)."""
        own = [base for base in self.bases if is_own(base)]
        return package_of(own[0]) if own else None

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


def custom_object(name: str, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """What ``custom_objects`` or an active :func:`custom_object_scope` holds under ``name``
    (None if neither does)."""
    custom = _with_scope(custom_objects)
    return custom.get(name) if custom else None


def _put(key: str, cls: type) -> None:
    held = _CLASSES.get(key)
    # The same class defined again (a re-run notebook cell, a reloaded module) takes its key
    # back; any other class would silently change what existing files load.
    if held is not None and (held.__module__, held.__qualname__) != (
        cls.__module__,
        cls.__qualname__,
    ):
        raise ValueError(
            f"The name {key!r} is already registered to {held.__module__}."
            f"{held.__qualname__}, so {cls.__module__}.{cls.__qualname__} cannot take it: "
            "register it with another package (register_keras_serializable(package=...)) "
            "or pass it in custom_objects instead."
        )
    _KEYS.pop(held, None)
    _CLASSES[key] = cls
    _KEYS[cls] = key


def register(cls: type[T]) -> type[T]:
    """Class decorator for numkeras's own classes: rebuildable from a config, under the key
    ``"<package_of(cls)>>ClassName"``.

    A class defined outside numkeras is registered as :func:`register_keras_serializable`
    does, under ``"Custom>ClassName"``.
    """
    if not is_own(cls):
        return register_keras_serializable()(cls)
    _put(f"{package_of(cls)}>{cls.__name__}", cls)
    return cls


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[type[T]], type[T]]:
    """Class decorator: let configs (and model files) name your class, as in Keras 3.

    The class is registered as ``"package>name"`` (``name`` defaults to the class name), which
    :func:`serialize` writes; a config may also give the bare ``name`` when numkeras has no
    class of that name and no other package registered it. A key already registered to another
    class raises a ValueError.

    Args:
        package: the key's prefix, to keep apart classes of the same name. Defaults to
            ``'Custom'``.
        name: the name in the key. Defaults to the class's ``__name__``.
    """
    for argument, value in (("package", package), ("name", name)):
        if value is not None and (not isinstance(value, str) or not value or ">" in value):
            raise ValueError(
                f"{argument} must be a non-empty string without '>'. Received: {argument}={value!r}"
            )

    def decorator(cls: type[T]) -> type[T]:
        _put(f"{package}>{name or cls.__name__}", cls)
        return cls

    return decorator


def own_classes(package: str) -> dict[str, type]:
    """numkeras's classes registered under ``package`` (``'numkeras.losses'``), by class name,
    in the order they were defined: the one source of each module's tables and exports."""
    prefix = package + ">"
    return {
        key[len(prefix) :]: cls
        for key, cls in _CLASSES.items()
        if key.startswith(prefix) and is_own(cls)
    }


#: numkeras's packages whose classes a config may name. Their classes register when imported,
#: so they are imported before the first look-up: a program that imports only
#: ``numkeras.saving`` still loads a Sequential model.
_OWN_PACKAGES = (
    "layers",
    "models",
    "losses",
    "metrics",
    "optimizers",
    "initializers",
    "regularizers",
    "constraints",
    "schedules",
    "callbacks",
)


@functools.cache
def _import_own_packages() -> None:
    for package in _OWN_PACKAGES:
        importlib.import_module(f"numkeras.{package}")


def registered_classes(name: str, module: str | None = None) -> list[type]:
    """Every registered class that a config's ``class_name`` (with its ``module``) may mean.

    A ``"package>Name"`` key, or a name with the module that holds it, means one class (a
    module that holds no class of that name is passed over). A bare name means numkeras's own
    classes of that name (several when packages share it: the slot's family decides), else the
    user's one class of that name. A bare name that several of the user's packages registered
    raises a ValueError.
    """
    _import_own_packages()
    if ">" in name:
        return [_CLASSES[name]] if name in _CLASSES else []
    if module is not None and f"{module}>{name}" in _CLASSES:
        return [_CLASSES[f"{module}>{name}"]]
    matches = [cls for key, cls in _CLASSES.items() if key.rpartition(">")[2] == name]
    own = [cls for cls in matches if is_own(cls)]
    if not own and len(matches) > 1:
        _raise_ambiguous(name, matches)
    return own or matches


def _raise_ambiguous(name: str, classes: list[type]) -> None:
    keys = sorted(_KEYS[cls] for cls in classes)
    raise ValueError(
        f"The class name {name!r} is registered by several packages ({keys}): "
        "a config must name one by its full key (or give numkeras's package as "
        "its 'module')."
    )


def registered_class(
    name: str, family: Family | None = None, module: str | None = None
) -> type | None:
    """The class registered under ``name`` (None if none is), as :func:`registered_classes`
    finds it; of numkeras's classes that share a bare name, the one in ``family``'s package,
    else the one that ``family`` accepts.

    Raises:
        ValueError: ``name`` is bare, and several packages hold a class of that name and none
            of them is ``family``'s.
    """
    found = registered_classes(name, module)
    if len(found) > 1 and family is not None:
        found = (
            [cls for cls in found if _KEYS[cls] == f"{family.package}>{name}"]
            or [cls for cls in found if family.accepts(cls)]
            or found
        )
    if len(found) > 1:
        _raise_ambiguous(name, found)
    return found[0] if found else None


def lookup(
    name: str,
    custom_objects: Mapping[str, Any] | None = None,
    family: Family | None = None,
    module: str | None = None,
) -> Any:
    """What ``name`` means: ``custom_objects``, then the active scopes, then the registry (see
    :func:`registered_class`)."""
    found = custom_object(name, custom_objects)
    return found if found is not None else registered_class(name, family, module)


def meanings(
    name: str, custom_objects: Mapping[str, Any] | None = None, module: str | None = None
) -> list[Any]:
    """Everything ``name`` may mean before a slot's family picks one: the caller's own object,
    else :func:`registered_classes`. Empty when the name is unknown."""
    found = custom_object(name, custom_objects)
    return [found] if found is not None else registered_classes(name, module)


def is_registered(cls: type) -> bool:
    """Whether a config may name ``cls``: numkeras's own, or registered by the user."""
    return cls in _KEYS


def class_entry(cls: type) -> dict[str, str]:
    """How a config names ``cls``: numkeras's own by ``module`` (its package) and class name,
    a class the user registered by its ``"package>name"`` key, any other by its name."""
    key = _KEYS.get(cls)
    if key is not None and is_own(cls):
        module, _, name = key.rpartition(">")
        return {"module": module, "class_name": name}
    return {"class_name": key or cls.__name__}


def serialize(obj: Any) -> Any:
    """A JSON-ready description of ``obj``: a registered object's :func:`class_entry` and config.

    Plain functions registered in a family table serialize as their name. ``None`` stays None.
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        return {**class_entry(type(obj)), "config": obj.get_config()}
    name = getattr(obj, "__name__", None)
    if callable(obj) and name and name != "<lambda>":
        return name
    raise TypeError(
        f"Cannot serialize {obj!r}: only numkeras objects with get_config() and named "
        "functions can be stored in a config."
    )


def deserialize(
    config: Any, custom_objects: Mapping[str, Any] | None = None, family: Family | None = None
) -> Any:
    """Rebuild an object from :func:`serialize`'s output, allowing registered classes only.

    With ``family``, a bare class name means the family's own class first (see
    :func:`registered_class`), and a class of another kind raises a :class:`FamilyError`
    before anything is constructed. A ``from_config`` that takes ``custom_objects`` gets them.
    """
    if not isinstance(config, dict):
        return config
    name, module = config.get("class_name"), config.get("module")
    inner = config.get("config", {})
    if not (
        isinstance(name, str)
        and isinstance(inner, dict)
        and (module is None or isinstance(module, str))
    ):
        raise ValueError(
            "A serialized object must be {'class_name': str, 'config': dict}, with an optional "
            f"'module': str. Received: {config!r:.200}"
        )
    cls = lookup(name, custom_objects, family, module)
    if cls is None:
        raise ValueError(
            f"Unknown class {name!r}: it is neither a numkeras class nor in custom_objects. "
            "Pass custom_objects={'" + name + "': YourClass} to load it."
        )
    _check_family(cls, name, family)
    return from_config(cls, inner, custom_objects)


def from_config(
    cls: Any, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Any:
    """``cls`` built from its ``config``: by ``from_config`` (given ``custom_objects`` when it
    takes them, as a wrapper needs them to find the user's function), else by ``cls(**config)``."""
    if not hasattr(cls, "from_config"):
        return cls(**config)
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


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
    if isinstance(identifier, str):
        key = identifier if identifier in table else identifier.lower()
        found = custom_object(identifier, custom_objects)
        if found is not None:
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
