"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import kernels
from ..registry import register
from .base import Optimizer, check_hyperparameter


@register
class SGD(Optimizer):
    """Gradient descent (with momentum), Keras 3's update rule.

    When ``momentum`` is 0::

        w = w - learning_rate * g

    When ``momentum`` is larger than 0 (``velocity`` starts at 0)::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity

    When ``nesterov=True``::

        velocity = momentum * velocity - learning_rate * g
        w = w + momentum * velocity - learning_rate * g

    With a constant learning rate this is exactly PyTorch's ``SGD(momentum, nesterov)``;
    under a schedule they differ, because the velocity here keeps the learning rates of past
    steps while PyTorch's momentum buffer holds raw gradients scaled by today's rate.

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.01``.
        momentum: float in [0, 1] that accelerates descent along consistent directions and
            damps oscillations; 0 is plain gradient descent. Defaults to ``0.0``.
        nesterov: whether to apply Nesterov momentum. Defaults to ``False``.
        **kwargs: the common arguments of :class:`~numkeras.optimizers.Optimizer`
            (weight_decay, clipnorm, clipvalue, global_clipnorm, name).
    """

    kernel = "sgd"

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ):
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_hyperparameter("momentum", momentum, "in [0, 1]")
        self.nesterov = bool(nesterov)

    def slot_initial_values(self) -> dict[str, float]:
        return {"momentum": 0.0} if self.momentum else {}

    def update_step(self, grad: Any, value: Any, lr: float, momentum: Any = None) -> None:
        one_pass = kernels.fused(self.kernel, value, grad, momentum)
        if one_pass is not None:
            one_pass(value, grad, momentum, lr, self.momentum, self.nesterov)
            return
        step = self.scratch(value)
        self.xp.multiply(grad, lr, out=step)  # lr * g
        if momentum is None:
            value -= step
            return
        momentum *= self.momentum
        momentum -= step
        if self.nesterov:
            value -= step
            self.xp.multiply(momentum, self.momentum, out=step)
            value += step
        else:
            value += momentum
