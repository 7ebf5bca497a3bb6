"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

from ..registry import register
from .base import AdaptiveMoments, moving_average


@register
class Adamax(AdaptiveMoments):
    """Adamax (section 7.1 of Kingma and Ba, 2014), Keras 3's update rule.

    ``m`` and ``u`` (the ``norm`` slot) start at 0 and ``t`` counts updates from 1::

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, abs(g))
        w = w - learning_rate / (1 - beta_1 ** t) * m / (u + epsilon)

    PyTorch's Adamax adds its ``eps`` to ``abs(g)`` inside the max instead; the two coincide
    when epsilon is 0.

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.001``.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to ``0.9``.
        beta_2: decay rate of the infinity norm, in [0, 1). Defaults to ``0.999``.
        epsilon: for numerical stability. Defaults to ``1e-7``.
        **kwargs: the common arguments of :class:`~numkeras.optimizers.Optimizer`.
    """

    def slot_initial_values(self) -> dict[str, float]:
        return {"momentum": 0.0, "norm": 0.0}

    def update_step(self, grad: Any, value: Any, lr: float, momentum: Any, norm: Any) -> None:
        xp, step = self.xp, self.scratch(value)
        t = self.iterations + 1
        moving_average(momentum, grad, self.beta_1, step)
        norm *= self.beta_2
        xp.abs(grad, out=step)
        xp.maximum(norm, step, out=norm)
        xp.add(norm, self.epsilon, out=step)
        xp.divide(momentum, step, out=step)
        step *= lr / (1.0 - self.beta_1**t)
        value -= step
