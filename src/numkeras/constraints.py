"""Weight constraints: projections applied to a weight after each optimizer update.

A constraint is a callable ``constraint(array) -> array`` on the weight's plain array (the
optimizer applies it outside the tape, so it is not differentiated). Names, defaults and formulas
are Keras 3's. The norm constraints are one piece of code, :class:`MinMaxNorm`, of which
:class:`MaxNorm` and :class:`UnitNorm` are presets::

    from numkeras import constraints
    constraints.MaxNorm(2.0)(w)     # columns of w (axis=0) rescaled to norms of at most 2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import backend, registry
from .backend import get_array_module

Axis = int | list[int] | tuple[int, ...]


class Constraint:
    """Base class: a callable ``(array) -> array`` with a config."""

    def __call__(self, w: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register
class NonNeg(Constraint):
    """Negative weights set to zero: ``w · (w ≥ 0)``."""

    def __call__(self, w: Any) -> Any:
        return w * (w >= 0)


@registry.register
class MinMaxNorm(Constraint):
    """Norms along ``axis`` pulled into ``[min_value, max_value]``, at speed ``rate``.

    With ``n = ‖w‖₂`` along ``axis`` (kept per output unit: ``axis=0`` for a Dense kernel
    ``(in, out)``, ``[0, 1, 2]`` for a conv kernel ``(kh, kw, in, out)``)::

        desired = rate · clip(n, min_value, max_value) + (1 - rate) · n
        w ← w · desired / (ε + n)                         ε = backend.epsilon() = 1e-7

    Defaults: ``min_value=0.0``, ``max_value=1.0``, ``rate=1.0`` (project at once), ``axis=0``.
    """

    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: Axis = 0,
    ):
        if not 0 <= min_value <= max_value:
            raise ValueError(
                "min_value and max_value must satisfy 0 <= min_value <= max_value. "
                f"Received: min_value={min_value}, max_value={max_value}"
            )
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be in [0, 1]. Received: rate={rate}")
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Any) -> Any:
        xp = get_array_module(w)
        axis = tuple(self.axis) if isinstance(self.axis, (list, tuple)) else self.axis
        norms = xp.sqrt((w * w).sum(axis=axis, keepdims=True))
        desired = xp.clip(norms, self.min_value, self.max_value)
        if self.rate != 1:
            desired *= self.rate
            desired += (1 - self.rate) * norms
        norms += backend.epsilon()
        desired /= norms
        return w * desired

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


@registry.register
class MaxNorm(MinMaxNorm):
    """Norms along ``axis`` capped at ``max_value``: ``w · clip(n, 0, max_value) / (ε + n)``.

    Defaults: ``max_value=2``, ``axis=0`` (see :class:`MinMaxNorm` for ``n`` and ``axis``).
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0):
        super().__init__(min_value=0.0, max_value=max_value, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


@registry.register
class UnitNorm(MinMaxNorm):
    """Norms along ``axis`` set to one: ``w / (ε + n)``. Defaults to ``axis=0``."""

    def __init__(self, axis: Axis = 0):
        super().__init__(min_value=1.0, max_value=1.0, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm
maxnorm, nonneg, unitnorm = MaxNorm, NonNeg, UnitNorm  # Keras 1 spellings

#: Every constraint by name: Keras 3 names, Keras 1 spellings and class names.
CONSTRAINTS: Mapping[str, type[Constraint]] = {
    "max_norm": MaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
    "maxnorm": MaxNorm,
    "nonneg": NonNeg,
    "unitnorm": UnitNorm,
} | registry.own_classes(registry.package_of(Constraint))


#: What a constraint slot (``kernel_constraint=...``) accepts from a config.
FAMILY = registry.Family("constraint", (Constraint,))


def get(
    identifier: str | Constraint | dict | None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Constraint | None:
    """The constraint that ``identifier`` names: a name (``'max_norm'``), a config dict, a class,
    a constraint or any callable ``(array) -> array``. ``None`` gives None.

    An unknown name raises a ValueError that lists the valid names.
    """
    if identifier is None:
        return None
    return registry.resolve(
        identifier,
        CONSTRAINTS,
        FAMILY,
        make=lambda cls: cls(),
        custom_objects=custom_objects,
    )


def serialize(constraint: Constraint) -> Any:
    """``{'class_name': ..., 'config': ...}`` for a constraint."""
    return registry.serialize(constraint)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Constraint | None:
    """The constraint that :func:`serialize` described (a name is accepted too)."""
    return get(config, custom_objects)
