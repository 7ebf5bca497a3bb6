"""Batch normalization (Ioffe and Szegedy, 2015): each channel standardised, then scaled and
shifted, with the batch's statistics (training) or given ones (inference).

:func:`batch_normalization` is Keras's ``keras.ops.batch_normalization``; :func:`batch_norm`
takes the scale and offset first and reads the batch's statistics when none are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend import get_array_module
from .core import Op, Tensor


class BatchNorm(Op):
    """``y = γ · (x - μ) / √(σ² + ε) + β`` per channel ``axis``, γ and β optional.

    With ``batch_stats=True`` the inputs are ``(x, [γ], [β])`` and μ, σ² are the batch's
    mean and (biased) variance over every other axis, differentiated through (the training
    formula); they are left in ``self.mean`` and ``self.variance`` for the moving averages.
    With ``batch_stats=False`` the inputs are ``(x, μ, σ², [γ], [β])``: given statistics, e.g.
    the moving ones at inference.
    """

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-3,
        batch_stats: bool = True,
        center: bool = True,
        scale: bool = True,
    ):
        self.axis, self.epsilon, self.batch_stats = axis, epsilon, batch_stats
        self.center, self.scale = center, scale

    def _split(self, args: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
        expected = (0 if self.batch_stats else 2) + self.scale + self.center
        if len(args) != expected:
            raise ValueError(
                f"BatchNorm(batch_stats={self.batch_stats}, scale={self.scale}, "
                f"center={self.center}) takes {expected} array(s) after x. Received: {len(args)}"
            )
        stats = () if self.batch_stats else args[:2]
        rest = list(args[len(stats) :])
        gamma = rest.pop(0) if self.scale else None
        beta = rest.pop(0) if self.center else None
        return *(stats or (None, None)), gamma, beta

    def forward(self, x: Any, *args: Any) -> Any:
        xp = get_array_module(x)
        axis = self.axis % x.ndim
        self.axes = tuple(a for a in range(x.ndim) if a != axis)
        self.param_shape = tuple(n if a == axis else 1 for a, n in enumerate(x.shape))
        mean, variance, gamma, beta = self._split(args)
        if self.batch_stats:
            mean = x.mean(axis=self.axes)
            centered = x - mean.reshape(self.param_shape)
            variance = xp.square(centered).mean(axis=self.axes)
        else:
            centered = x - mean.reshape(self.param_shape)
        self.mean, self.variance, self.gamma = mean, variance, gamma
        self.inv_std = 1.0 / xp.sqrt(variance + x.dtype.type(self.epsilon))
        centered *= self.inv_std.reshape(self.param_shape)
        self.x_hat = centered
        y = centered * gamma.reshape(self.param_shape) if gamma is not None else centered.copy()
        if beta is not None:
            y += beta.reshape(self.param_shape)
        return y

    def backward(self, grad: Any) -> tuple:
        shape, axes = self.param_shape, self.axes
        count = grad.size // self.inv_std.size
        g_sum = grad.sum(axis=axes)
        g_xhat_sum = (grad * self.x_hat).sum(axis=axes)
        gain = self.inv_std if self.gamma is None else self.gamma * self.inv_std
        needs = list(self.needs_grad)
        grads: list[Any] = []
        if self.batch_stats:
            # d/dx through μ and σ² too: γ/σ · (g - mean(g) - x̂ · mean(g · x̂))
            gx = None
            if needs.pop(0):
                gx = self.x_hat * (-g_xhat_sum / count).reshape(shape)
                gx += grad
                gx -= (g_sum / count).reshape(shape)
                gx *= gain.reshape(shape)
            grads.append(gx)
        else:
            grads.append(grad * gain.reshape(shape) if needs.pop(0) else None)
            grads.append(-g_sum * gain if needs.pop(0) else None)
            # dy/dσ² = -γ · (x - μ) / 2(σ² + ε)^{3/2} = -γ x̂ / 2(σ² + ε)
            grads.append(-0.5 * g_xhat_sum * gain * self.inv_std if needs.pop(0) else None)
        if self.scale:
            grads.append(g_xhat_sum if needs.pop(0) else None)
        if self.center:
            grads.append(g_sum if needs.pop(0) else None)
        return tuple(grads)


def batch_norm(
    x: Any,
    gamma: Any = None,
    beta: Any = None,
    axis: int = -1,
    epsilon: float = 1e-3,
    mean: Any = None,
    variance: Any = None,
) -> Tensor:
    """Batch normalization ``γ · (x - μ) / √(σ² + ε) + β`` along the channel ``axis``.

    With ``mean`` and ``variance`` None, μ and σ² are the batch's statistics over all the other
    axes (the training formula; call a :class:`BatchNorm` op directly to read them back from
    it). Otherwise the given statistics are used (inference). ``gamma`` and ``beta`` may be
    None (no scale, no offset).
    """
    if (mean is None) != (variance is None):
        raise ValueError("batch_norm needs both mean and variance, or neither.")
    stats = () if mean is None else (mean, variance)
    params = tuple(p for p in (gamma, beta) if p is not None)
    op = BatchNorm(
        axis, epsilon, batch_stats=mean is None, center=beta is not None, scale=gamma is not None
    )
    return op(x, *stats, *params)


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    axis: int,
    offset: Any = None,
    scale: Any = None,
    epsilon: float = 1e-3,
) -> Tensor:
    """Keras's ``keras.ops.batch_normalization``: ``scale · (x - mean) / √(variance + ε) +
    offset`` along the channel ``axis``.

    ``offset`` and ``scale`` may be None (no shift, no scale); ``epsilon`` defaults to 1e-3, as
    in Keras. With ``mean`` and ``variance`` both None, the batch's statistics are used and
    differentiated through (the training formula, as :func:`batch_norm`).
    """
    return batch_norm(x, scale, offset, axis, epsilon, mean, variance)
