"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import register
from .base import Optimizer, check_epsilon, check_hyperparameter, moving_average


@register
class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), Keras 3's update rule.

    Slots start at 0; each step::

        velocity = rho * velocity + (1 - rho) * g ** 2
        denominator = velocity + epsilon
        # centered=True also tracks the mean gradient and uses the variance instead:
        #   average_gradient = rho * average_gradient + (1 - rho) * g
        #   denominator = velocity - average_gradient ** 2 + epsilon
        increment = learning_rate * g / sqrt(denominator)
        # momentum > 0:  momentum_slot = momentum * momentum_slot + increment; w = w - momentum_slot
        w = w - increment

    Keras puts ``epsilon`` inside the square root; PyTorch's RMSprop adds its ``eps`` after it
    (and defaults to ``alpha=0.99, eps=1e-8``). They coincide when both epsilons are 0 and
    ``alpha == rho``, momentum and centered included, at a constant learning rate.

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.001``.
        rho: discounting factor of the running average of squared gradients, in [0, 1].
            Defaults to ``0.9``.
        momentum: plain (not Nesterov) momentum in [0, 1]. Defaults to ``0.0``.
        epsilon: added under the square root for numerical stability. Defaults to ``1e-7``.
        centered: normalise by the estimated variance of the gradient rather than its
            second moment. Defaults to ``False``.
        **kwargs: the common arguments of :class:`~numkeras.optimizers.Optimizer`.

    Example (Keras's): ``RMSprop(learning_rate=0.1)`` on ``loss = w ** 2 / 2`` from
    ``w = 10.0`` takes one step to ``9.683772``.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float | None = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_hyperparameter("rho", rho, "in [0, 1]")
        self.momentum = check_hyperparameter("momentum", momentum, "in [0, 1]")
        self.epsilon = check_epsilon(epsilon)
        self.centered = bool(centered)

    def slot_initial_values(self) -> dict[str, float]:
        slots = {"velocity": 0.0}
        if self.momentum:
            slots["momentum"] = 0.0
        if self.centered:
            slots["average_gradient"] = 0.0
        return slots

    def update_step(
        self,
        grad: Any,
        value: Any,
        lr: float,
        velocity: Any,
        momentum: Any = None,
        average_gradient: Any = None,
    ) -> None:
        xp, step = self.xp, self.scratch(value)
        xp.square(grad, out=step)
        moving_average(velocity, step, self.rho, step)
        if average_gradient is not None:
            moving_average(average_gradient, grad, self.rho, step)
            xp.square(average_gradient, out=step)
            xp.subtract(velocity, step, out=step)
            step += self.epsilon
        else:
            xp.add(velocity, self.epsilon, out=step)
        xp.sqrt(step, out=step)
        xp.divide(grad, step, out=step)
        step *= lr
        if momentum is not None:
            momentum *= self.momentum
            momentum += step
            step = momentum
        value -= step
