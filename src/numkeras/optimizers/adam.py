"""Adam: adaptive estimates of the gradient's first and second moments."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import kernels
from ..registry import register
from .base import AdaptiveMoments, moving_average


@register
class Adam(AdaptiveMoments):
    """Adam (Kingma and Ba, 2014), Keras 3's update rule.

    ``m`` and ``v`` start at 0 and ``t`` counts updates from 1::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        # amsgrad=True: v_hat = max(v_hat, v), used in place of v below
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    This is Algorithm 1 of the paper, m_hat = m / (1 - beta_1 ** t),
    v_hat = v / (1 - beta_2 ** t), w = w - learning_rate * m_hat / (sqrt(v_hat) + eps),
    in the paper's cheaper ordering, where ``epsilon`` is the paper's "epsilon hat":
    eps = epsilon / sqrt(1 - beta_2 ** t). PyTorch's Adam uses Algorithm 1's eps, so the two
    coincide exactly when epsilon is 0 (and nearly for small epsilon).

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.001``.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to ``0.9``.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to ``0.999``.
        epsilon: "epsilon hat", for numerical stability. Defaults to ``1e-7``.
        amsgrad: use the AMSGrad variant (Reddi et al., 2018): divide by the running maximum
            of ``v``. Defaults to ``False``.
        **kwargs: the common arguments of :class:`~numkeras.optimizers.Optimizer`.
    """

    kernel = "adam"

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = bool(amsgrad)

    def slot_initial_values(self) -> dict[str, float]:
        slots = {"momentum": 0.0, "velocity": 0.0}
        if self.amsgrad:
            slots["velocity_hat"] = 0.0
        return slots

    def update_step(
        self,
        grad: Any,
        value: Any,
        lr: float,
        momentum: Any,
        velocity: Any,
        velocity_hat: Any = None,
    ) -> None:
        t = self.iterations + 1
        alpha = lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        one_pass = kernels.fused(self.kernel, value, grad, momentum, velocity, velocity_hat)
        if one_pass is not None:
            one_pass(
                value,
                grad,
                momentum,
                velocity,
                velocity_hat,
                alpha,
                self.beta_1,
                self.beta_2,
                self.epsilon,
            )
            return
        xp, step = self.xp, self.scratch(value)
        moving_average(momentum, grad, self.beta_1, step)
        xp.square(grad, out=step)
        moving_average(velocity, step, self.beta_2, step)
        if velocity_hat is not None:
            xp.maximum(velocity_hat, velocity, out=velocity_hat)
            velocity = velocity_hat
        xp.sqrt(velocity, out=step)
        step += self.epsilon
        xp.divide(momentum, step, out=step)
        step *= alpha
        value -= step
