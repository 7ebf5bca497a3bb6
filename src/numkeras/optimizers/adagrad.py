"""Adagrad: per-parameter learning rates shrinking with the gradients seen so far."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import register
from .base import Optimizer, check_epsilon, check_hyperparameter


@register
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), Keras 3's update rule.

    ``accumulator`` starts at ``initial_accumulator_value``; each step::

        accumulator = accumulator + g ** 2
        w = w - learning_rate * g / sqrt(accumulator + epsilon)

    With ``initial_accumulator_value=0`` and ``epsilon=0`` this is the course's formula,
    ``w_{t+1} = w_t - eta / sqrt(sum_{i<=t} g_i ** 2) * g_t``. PyTorch's Adagrad starts the
    accumulator at 0 and adds its ``eps`` outside the square root; the two coincide when
    both epsilons are 0 and the initial accumulators agree.

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.001``
            (the original paper's form uses ``1.0``).
        initial_accumulator_value: starting value of the accumulators, >= 0.
            Defaults to ``0.1``.
        epsilon: added under the square root for numerical stability. Defaults to ``1e-7``.
        **kwargs: the common arguments of :class:`~numkeras.optimizers.Optimizer`.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float | None = 1e-7,
        **kwargs: Any,
    ):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_hyperparameter(
            "initial_accumulator_value", initial_accumulator_value, ">= 0"
        )
        self.epsilon = check_epsilon(epsilon)

    def slot_initial_values(self) -> dict[str, float]:
        return {"accumulator": self.initial_accumulator_value}

    def update_step(self, grad: Any, value: Any, lr: float, accumulator: Any) -> None:
        xp, step = self.xp, self.scratch(value)
        xp.square(grad, out=step)
        accumulator += step
        xp.add(accumulator, self.epsilon, out=step)
        xp.sqrt(step, out=step)
        xp.divide(grad, step, out=step)
        step *= lr
        value -= step
