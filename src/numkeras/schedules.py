"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

A schedule is passed as an optimizer's ``learning_rate``; the optimizer evaluates it at its
``iterations`` counter (0 before the first update) every step, so ``schedule(step)`` is the rate
used by update number ``step + 1``. The formulas and signatures are Keras 3's
(``keras.optimizers.schedules``), plus the course's 1/t decay, :class:`InverseSqrtDecay`.

Every schedule is plain data: ``get_config()`` returns its constructor arguments, and
``numkeras.registry.serialize`` and :func:`deserialize` turn it into JSON and back.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .registry import Family, register
from .registry import deserialize as _deserialize


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value!r}")


class LearningRateSchedule:
    """Base class: a callable ``schedule(step) -> float`` with a config.

    Subclasses implement ``__call__(step)`` and ``get_config()``; ``from_config`` calls the
    constructor with the config's entries.
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _StepDecay(LearningRateSchedule):
    """Shared by the schedules of ``(initial_learning_rate, decay_steps, decay_rate,
    staircase)``: they differ only in the formula applied to ``p = step / decay_steps``."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str | None = None,
    ):
        _positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or type(self).__name__

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self._decay(p))

    def _decay(self, p: float) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@register
class ExponentialDecay(_StepDecay):
    """Exponential decay::

        lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``, so the rate drops in
    steps every ``decay_steps`` updates. ``decay_steps`` must be > 0; ``staircase`` defaults to
    ``False``.
    """

    def _decay(self, p: float) -> float:
        return self.initial_learning_rate * self.decay_rate**p


@register
class InverseTimeDecay(_StepDecay):
    """Inverse time decay::

        lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)

    With ``staircase=True``, ``step / decay_steps`` is floored. Keras 2's optimizer argument
    ``decay=d`` is ``InverseTimeDecay(lr, decay_steps=1, decay_rate=d)``. ``decay_steps`` must be
    > 0; ``staircase`` defaults to ``False``.
    """

    def _decay(self, p: float) -> float:
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


@register
class InverseSqrtDecay(LearningRateSchedule):
    """The course's 1/t decay::

        lr(step) = initial_learning_rate / sqrt(step / decay_steps + 1)

    With the default ``decay_steps=1`` this is eta_t = eta / sqrt(t + 1), t counting updates from
    0; a larger ``decay_steps`` counts t in units of that many updates (e.g. epochs).
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int = 1,
        name: str = "InverseSqrtDecay",
    ):
        _positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.name = name

    def __call__(self, step: int) -> float:
        return float(self.initial_learning_rate / math.sqrt(step / self.decay_steps + 1.0))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "name": self.name,
        }


@register
class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate on each interval between ``boundaries``::

        lr(step) = values[0]   if step <= boundaries[0]
                   values[i]   if boundaries[i-1] < step <= boundaries[i]
                   values[-1]  if step > boundaries[-1]

    ``boundaries`` must increase strictly and ``values`` must have one more entry.
    """

    def __init__(
        self,
        boundaries: Sequence[float],
        values: Sequence[float],
        name: str = "PiecewiseConstant",
    ):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={list(boundaries)} of length {len(boundaries)}, and "
                f"values={list(values)} of length {len(values)}."
            )
        if any(a >= b for a, b in zip(boundaries, boundaries[1:], strict=False)):
            raise ValueError(
                f"`boundaries` must increase strictly. Received: boundaries={list(boundaries)}"
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step: int) -> float:
        # bisect_left finds the first boundary >= step, i.e. the interval (b[i-1], b[i]].
        return float(self.values[bisect.bisect_left(self.boundaries, step)])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@register
class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup first::

        # warmup, only when warmup_target is set, for step < warmup_steps:
        lr(step) = initial_learning_rate
                   + (warmup_target - initial_learning_rate) * step / warmup_steps
        # decay, over the next decay_steps steps, from start = warmup_target (if set) or
        # initial_learning_rate:
        s = min(step - warmup_steps, decay_steps)
        lr(step) = start * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    ``alpha`` (defaults to ``0.0``) is the final rate as a fraction of ``start``;
    ``warmup_target`` defaults to ``None`` (no warmup) and ``warmup_steps`` to ``0``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        _positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step: int) -> float:
        start = self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                fraction = step / self.warmup_steps
                return float(start + (self.warmup_target - start) * fraction)
            start = self.warmup_target
            step -= self.warmup_steps
        fraction = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return float(start * ((1.0 - self.alpha) * cosine + self.alpha))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


#: What an optimizer's ``learning_rate`` accepts from a config (besides a number).
FAMILY = Family("learning-rate schedule", (LearningRateSchedule,))


def deserialize(
    config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> LearningRateSchedule:
    """The schedule that ``{'class_name': ..., 'config': {...}}`` describes.

    Any other class than a :class:`LearningRateSchedule` (say a layer) raises a
    :class:`numkeras.registry.FamilyError`, a ValueError, before it is constructed.
    """
    return _deserialize(config, custom_objects, FAMILY)
