"""Per-sample functions and the classes that wrap them: what losses and metrics share.

A loss and a metric both start from a per-sample function, ``fn(y_true, y_pred, **kwargs)``,
that gives one value per sample. :mod:`numkeras.losses` and :mod:`numkeras.metrics` each file
their functions in a :class:`FunctionTable` where they are defined (the table gives the names a
user may write and the module's exports), and each wraps any such function in a class that mixes
in :class:`FunctionWrapper` (``LossFunctionWrapper``, ``MeanMetricWrapper``). The wrapper's
config holds the function's keyword arguments and, unless the class always wraps the same
function (its ``function``, as ``MeanSquaredError``'s), the function's name under ``"fn"``,
which ``from_config`` looks up in the caller's ``custom_objects`` first, then in the class's
``functions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from . import registry

F = TypeVar("F", bound=Callable[..., Any])


def snake_case(name: str) -> str:
    """``'KLDivergence'`` -> ``'kl_divergence'``: Keras's default object names."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class FunctionTable(dict[str, Callable[..., Any]]):
    """Per-sample functions by name, filled by decorating each function with :meth:`add`."""

    def add(self, fn: F) -> F:
        """Decorator: file ``fn`` under its ``__name__`` and return it unchanged."""
        self[fn.__name__] = fn
        return fn


class FunctionWrapper:
    """Mixin of a class that computes ``fn(y_true, y_pred, **fn_kwargs)``: its config.

    The class sets ``fn`` and ``fn_kwargs`` when built; subclasses set ``kind`` (``'loss'``,
    for messages), ``functions`` (the names a config's ``"fn"`` may give) and, when they always
    wrap one function, ``function``. Mixed in before a base that has ``get_config``.
    """

    kind: ClassVar[str]
    functions: ClassVar[Mapping[str, Callable[..., Any]]]
    function: ClassVar[Callable[..., Any] | None] = None
    fn: Callable[..., Any]
    fn_kwargs: dict[str, Any]

    def get_config(self) -> dict[str, Any]:
        """The base's config, the function's keyword arguments and (unless the class always
        wraps the same function) the function's name as ``"fn"``."""
        config = {**super().get_config(), **self.fn_kwargs}  # type: ignore[misc]
        if self.function is None:
            config["fn"] = registry.serialize(self.fn)
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Any:
        """The object of ``config``, its ``"fn"`` looked up by :meth:`function_named`."""
        if "fn" in config:
            config = {**config, "fn": cls.function_named(config["fn"], custom_objects)}
        return cls(**config)

    @classmethod
    def function_named(
        cls, name: Any, custom_objects: Mapping[str, Any] | None = None
    ) -> Callable[..., Any]:
        """The function that a config's ``"fn"`` names: the caller's own (``custom_objects``
        or an active scope) first, else one of ``functions`` (case-insensitive).

        Raises:
            ValueError: ``name`` is not a string, names no known function (the message says
                how to pass your own), or names something that is not a plain function.
        """
        if not isinstance(name, str):
            raise ValueError(f"fn must name a {cls.kind} function. Received: fn={name!r}")
        fn = registry.custom_object(name, custom_objects)
        if fn is None:
            fn = cls.functions.get(name) or cls.functions.get(name.lower())
        if fn is None:
            raise ValueError(
                f"Unknown {cls.kind} function {name!r}. If it is your own function, pass "
                f"custom_objects={{{name!r}: {name}}}. Valid names: "
                f"{', '.join(sorted(cls.functions))}."
            )
        if not callable(fn) or isinstance(fn, type) or hasattr(fn, "get_config"):
            raise ValueError(
                f"fn must name a {cls.kind} function, not a class or an object "
                f"with a config. Received: fn={name!r}, which is {fn!r:.100}"
            )
        return fn
