"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import register
from .adam import Adam


@register
class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019): :class:`Adam` plus decoupled weight decay.

    Each step first shrinks the weights, then takes Adam's step (see :class:`Adam`)::

        w = w - w * weight_decay * learning_rate
        w = w - alpha * m / (sqrt(v) + epsilon)

    The decay is the base optimizer's ``weight_decay`` (any optimizer accepts it, as in
    Keras); AdamW only makes it required and defaults it to ``0.004`` (Keras 3's value;
    PyTorch's AdamW defaults to 0.01 and decays the same way).

    Args:
        learning_rate: float, schedule or callable of the step. Defaults to ``0.001``.
        weight_decay: float >= 0. Defaults to ``0.004``.
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`; defaults ``0.9``, ``0.999``,
            ``1e-7``, ``False``.
        **kwargs: the other common arguments of :class:`~numkeras.optimizers.Optimizer`.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs
        )
