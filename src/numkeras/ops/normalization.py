"""Batch normalization (Ioffe and Szegedy, 2015): each channel standardised, then scaled and
shifted, with the batch's statistics (training) or given ones (inference).

:func:`batch_normalization` is Keras's ``keras.ops.batch_normalization``; :func:`batch_norm`
takes the scale and offset first and reads the batch's statistics when none are given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    ``reduce`` (with ``batch_stats``) makes the batch the union of every data-parallel replica's
    batch (Keras 3's ``BatchNormalization(synchronized=True)``): a callable that sums an array
    over the replicas, e.g. ``numkeras.distribution.allreduce_sum``. The moments are then the
    global ones, and the gradient's batch means are global too, each replica's gradient weighted
    by its share of the batch, as the data-parallel step weighs its parameter gradients.
    """

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-3,
        batch_stats: bool = True,
        center: bool = True,
        scale: bool = True,
        reduce: Callable[[Any], Any] | None = None,
    ):
        self.axis, self.epsilon, self.batch_stats = axis, epsilon, batch_stats
        self.center, self.scale, self.reduce = center, scale, reduce

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
        if self.batch_stats and self.reduce is not None:
            mean, centered, variance = self._global_moments(xp, x)
        elif self.batch_stats:
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

    def _global_moments(self, xp: Any, x: Any) -> tuple[Any, Any, Any]:
        """μ, x - μ and σ² over the union of the replicas' batches, in two passes as one
        process computes them (no E[x²] - μ² cancellation): one reduction of the per-channel sums
        with the element count, one of the squared deviations from the global mean."""
        self.local_count = x.size // x.shape[self.axis % x.ndim]
        local = xp.concatenate([x.sum(axis=self.axes), xp.asarray([self.local_count], x.dtype)])
        totals = self.reduce(local.astype(xp.float64))
        self.total_count = float(totals[-1])
        mean = (totals[:-1] / self.total_count).astype(x.dtype)
        centered = x - mean.reshape(self.param_shape)
        squares = self.reduce(xp.square(centered).sum(axis=self.axes).astype(xp.float64))
        return mean, centered, (squares / self.total_count).astype(x.dtype)

    def _global_gradient_means(self, xp: Any, g_sum: Any, g_xhat_sum: Any) -> tuple[Any, Any]:
        """mean(g) and mean(g · x̂) over all replicas for the input's gradient.

        Each replica's ``g`` is the gradient of its own mean loss, and the data-parallel step
        weighs replica r's gradients by its share n_r / N of the batch, so the sums are reduced
        weighted by n_r and divided by n_r · N: with equal shares, the plain global means.
        """
        channels = g_sum.size
        local = xp.concatenate([g_sum, g_xhat_sum]).astype(xp.float64) * self.local_count
        totals = self.reduce(local) / (max(self.local_count, 1) * self.total_count)
        totals = totals.astype(g_sum.dtype)
        return totals[:channels], totals[channels:]

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
                if self.reduce is None:
                    g_mean, g_xhat_mean = g_sum / count, g_xhat_sum / count
                else:
                    g_mean, g_xhat_mean = self._global_gradient_means(
                        get_array_module(grad), g_sum, g_xhat_sum
                    )
                gx = self.x_hat * (-g_xhat_mean).reshape(shape)
                gx += grad
                gx -= g_mean.reshape(shape)
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
