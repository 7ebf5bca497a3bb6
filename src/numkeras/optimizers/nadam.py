"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import register
from .base import AdaptiveMoments, moving_average

# Beyond step ~900, 1 - 0.5 * 0.96**t rounds to 1.0 in float64, so the product of the momentum
# schedule over all steps up to t is this table's entry min(t, 1000) (times beta_1**t).
_SCHEDULE_STEPS = 1000
_SCHEDULE_PRODUCT = np.cumprod(1.0 - 0.5 * 0.96 ** np.arange(1, _SCHEDULE_STEPS + 1))


@register
class Nadam(AdaptiveMoments):
    """Nadam (Dozat, 2015), Keras 3's update rule.

    ``m`` and ``v`` start at 0 and ``t`` counts updates from 1; ``u_t`` is the momentum
    schedule and ``prod_t`` its running product::

        u_t = beta_1 * (1 - 0.5 * 0.96 ** t)
        prod_t = u_1 * u_2 * ... * u_t
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        m_hat = u_{t+1} * m / (1 - prod_t * u_{t+1}) + (1 - u_t) * g / (1 - prod_t)
        v_hat = v / (1 - beta_2 ** t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    This is PyTorch's ``NAdam`` with ``momentum_decay=1.0`` (its default 0.004 slows the
    schedule; Keras 2's Nadam likewise had ``schedule_decay=0.004``).

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.001``.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to ``0.9``.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to ``0.999``.
        epsilon: for numerical stability. Defaults to ``1e-7``.
        **kwargs: the common arguments of :class:`~numkeras.optimizers.Optimizer`.
    """

    def slot_initial_values(self) -> dict[str, float]:
        return {"momentum": 0.0, "velocity": 0.0}

    def _u(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96**t)

    def schedule_product(self, t: int) -> float:
        """``prod_t = u_1 * ... * u_t`` (1 for ``t = 0``), which Keras 3 keeps as the optimizer
        variable ``u_product``."""
        if t == 0:
            return 1.0
        return self.beta_1**t * float(_SCHEDULE_PRODUCT[min(t, _SCHEDULE_STEPS) - 1])

    def update_step(self, grad: Any, value: Any, lr: float, momentum: Any, velocity: Any) -> None:
        xp, step, work = self.xp, self.scratch(value), self.scratch(value, 1)
        t = self.iterations + 1
        u_t, u_next = self._u(t), self._u(t + 1)
        prod_t = self.schedule_product(t)
        prod_next = prod_t * u_next
        moving_average(momentum, grad, self.beta_1, step)
        xp.square(grad, out=step)
        moving_average(velocity, step, self.beta_2, step)
        xp.divide(velocity, 1.0 - self.beta_2**t, out=work)
        xp.sqrt(work, out=work)
        work += self.epsilon  # sqrt(v_hat) + epsilon
        xp.multiply(momentum, lr * u_next / (1.0 - prod_next), out=step)
        xp.divide(step, work, out=step)
        value -= step
        xp.multiply(grad, lr * (1.0 - u_t) / (1.0 - prod_t), out=step)
        xp.divide(step, work, out=step)
        value -= step
