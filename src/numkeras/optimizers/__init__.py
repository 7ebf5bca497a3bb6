"""Optimizers: step 3 of the course, "pick the best function".

Each optimizer updates a list of :class:`~numkeras.ops.Variable` in place from their gradients
with Keras 3's formulas, argument names and defaults; :mod:`numkeras.schedules` (also reachable
as ``numkeras.optimizers.schedules``, Keras's path) varies the learning rate over the steps::

    opt = numkeras.optimizers.get("adam")          # or Adam(learning_rate=1e-3), a config, ...
    opt.apply(grads, variables)                    # one step; opt.iterations += 1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import registry, schedules

# Imported "as" themselves: exported through __all__, which ALL_OPTIMIZERS gives.
from .adadelta import Adadelta as Adadelta
from .adagrad import Adagrad as Adagrad
from .adam import Adam as Adam
from .adamax import Adamax as Adamax
from .adamw import AdamW as AdamW
from .base import Optimizer
from .nadam import Nadam as Nadam
from .rmsprop import RMSprop as RMSprop
from .sgd import SGD as SGD

#: Optimizers by lower-case name, the names ``get``, ``compile(optimizer=...)`` and the
#: ``numkeras hello --optimizer`` option accept: every optimizer registered in this package.
ALL_OPTIMIZERS: Mapping[str, type[Optimizer]] = {
    name.lower(): cls
    for name, cls in registry.own_classes(registry.package_of(Optimizer)).items()
    if issubclass(cls, Optimizer)
}

__all__ = [
    *(cls.__name__ for cls in ALL_OPTIMIZERS.values()),
    "Optimizer",
    "deserialize",
    "get",
    "schedules",
    "serialize",
    "ALL_OPTIMIZERS",
]


#: What an optimizer slot (``compile(optimizer=...)``) accepts from a config.
FAMILY = registry.Family("optimizer", (Optimizer,))


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """``{"class_name": ..., "config": optimizer.get_config()}``, JSON-ready."""
    return registry.serialize(optimizer)


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Rebuild an optimizer from :func:`serialize`'s output (class names in any case).

    Any other class than an :class:`Optimizer` raises a :class:`numkeras.registry.FamilyError`
    (a ValueError) before it is constructed.
    """
    name = config.get("class_name")
    if isinstance(name, str) and name.lower() in ALL_OPTIMIZERS:
        cls = ALL_OPTIMIZERS[name.lower()]
        return cls.from_config(config.get("config", {}), custom_objects)
    return registry.deserialize(dict(config), custom_objects, FAMILY)


def get(identifier: Any) -> Optimizer | None:
    """The optimizer that ``identifier`` names.

    ``identifier`` is a name (case-insensitive: ``"sgd"``, ``"adam"``, ``"rmsprop"``,
    ``"adagrad"``, ``"adadelta"``, ``"adamax"``, ``"nadam"``, ``"adamw"``; built with default
    arguments), a config dict from :func:`serialize`, an optimizer class (instantiated with
    defaults) or an optimizer instance (returned as it is). ``None`` gives ``None``.
    An unknown name raises a ValueError listing the valid ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return _checked(
        registry.resolve(identifier, ALL_OPTIMIZERS, FAMILY, make=lambda cls: cls()),
        identifier,
    )


def _checked(obj: Any, identifier: Any) -> Optimizer:
    if not isinstance(obj, Optimizer):
        raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
    return obj
