"""Weight regularizers: penalties added to the loss, ``regularizer(weight) -> scalar Tensor``.

The penalty is built from :mod:`numkeras.ops`, so its gradient reaches the weight through the
same backward pass as the loss's. Names and defaults are Keras 3's; ``l1``, ``l2`` and ``l1_l2``
are the classes under their function-like names, so Keras 1's ``W_regularizer=l2(0.01)`` works::

    from numkeras import regularizers
    regularizers.L2(0.01)(w)            # 0.01 · Σ w²
    regularizers.get("l1")              # L1(l1=0.01)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import ops, registry


def _penalty_factor(value: Any, name: str) -> float:
    """``value`` as a non-negative finite float (None counts as 0)."""
    value = 0.0 if value is None else value
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(value) and value >= 0)
    ):
        raise ValueError(f"{name} must be a non-negative finite number. Received: {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: a callable ``(weight) -> scalar penalty`` with a config."""

    def __call__(self, weight: Any) -> ops.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register
class L1L2(Regularizer):
    """``l1 · Σ|w| + l2 · Σw²``. Defaults: ``l1=0.0``, ``l2=0.0`` (Keras 3)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _penalty_factor(l1, "l1")
        self.l2 = _penalty_factor(l2, "l2")

    def __call__(self, weight: Any) -> ops.Tensor:
        weight = ops.convert_to_tensor(weight)
        terms = []
        if self.l1:
            terms.append(ops.sum(ops.abs(weight)) * self.l1)
        if self.l2:
            terms.append(ops.sum(ops.square(weight)) * self.l2)
        if not terms:
            return ops.Tensor(weight.dtype.type(0))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


@registry.register
class L1(L1L2):
    """``l1 · Σ|w|``. Defaults to ``l1=0.01``."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


@registry.register
class L2(L1L2):
    """``l2 · Σw²``. Defaults to ``l2=0.01``."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


l1 = L1
l2 = L2
l1_l2 = L1L2

#: Every regularizer by name: the Keras function-like names and the class names.
REGULARIZERS: Mapping[str, type[Regularizer]] = {
    "l1": L1,
    "l2": L2,
    "l1_l2": L1L2,
} | registry.own_classes(registry.package_of(Regularizer))


#: What a regularizer slot (``kernel_regularizer=...``) accepts from a config.
FAMILY = registry.Family("regularizer", (Regularizer,))


def get(
    identifier: str | Regularizer | dict | None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Regularizer | None:
    """The regularizer that ``identifier`` names: a name (``'l2'``: ``L2(0.01)``), a config dict,
    a class, a regularizer or any callable ``(weight) -> scalar``. ``None`` gives None.

    An unknown name raises a ValueError that lists the valid names.
    """
    if identifier is None:
        return None
    return registry.resolve(
        identifier,
        REGULARIZERS,
        FAMILY,
        make=lambda cls: cls(),
        custom_objects=custom_objects,
    )


def serialize(regularizer: Regularizer) -> Any:
    """``{'class_name': ..., 'config': ...}`` for a regularizer."""
    return registry.serialize(regularizer)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Regularizer | None:
    """The regularizer that :func:`serialize` described (a name is accepted too)."""
    return get(config, custom_objects)
