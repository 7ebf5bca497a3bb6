"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import register
from .base import Optimizer, check_epsilon, check_hyperparameter, moving_average


@register
class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), Keras 3's update rule.

    Slots start at 0; each step::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g ** 2
        delta = -sqrt(accumulated_delta_var + epsilon) / sqrt(accumulated_grad + epsilon) * g
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta ** 2
        w = w + learning_rate * delta

    This is also PyTorch's Adadelta (with ``rho`` and ``eps`` set alike; PyTorch defaults to
    ``lr=1.0, rho=0.9, eps=1e-6``).

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.001``; the
            original paper's form (and Keras 2's default) is ``1.0``.
        rho: decay rate of both running averages, in [0, 1]. Defaults to ``0.95``.
        epsilon: added under both square roots. Defaults to ``1e-7``.
        **kwargs: the common arguments of :class:`~numkeras.optimizers.Optimizer`.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        rho: float = 0.95,
        epsilon: float | None = 1e-7,
        **kwargs: Any,
    ):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_hyperparameter("rho", rho, "in [0, 1]")
        self.epsilon = check_epsilon(epsilon)

    def slot_initial_values(self) -> dict[str, float]:
        return {"accumulated_grad": 0.0, "accumulated_delta_var": 0.0}

    def update_step(
        self, grad: Any, value: Any, lr: float, accumulated_grad: Any, accumulated_delta_var: Any
    ) -> None:
        xp, step, work = self.xp, self.scratch(value), self.scratch(value, 1)
        xp.square(grad, out=step)
        moving_average(accumulated_grad, step, self.rho, step)
        xp.add(accumulated_delta_var, self.epsilon, out=step)
        xp.sqrt(step, out=step)
        xp.add(accumulated_grad, self.epsilon, out=work)
        xp.sqrt(work, out=work)
        xp.divide(step, work, out=step)
        step *= grad  # -delta
        xp.square(step, out=work)
        moving_average(accumulated_delta_var, work, self.rho, work)
        step *= lr
        value -= step
