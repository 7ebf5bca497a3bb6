"""DropConnect: a Dense layer that drops weights rather than units (Wan et al., ICML 2013)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations, backend, ops
from ..ops.core import Tensor
from .core import Dense


class DropConnect(Dense):
    """A :class:`Dense` layer whose kernel weights are dropped at random while training.

    While training, every weight of the kernel is kept with probability ``1 - rate`` and the
    kept ones are scaled by ``1 / (1 - rate)`` (inverted, as :class:`Dropout`), so that
    ``output = activation(inputs @ (kernel * mask) + bias)`` with ``E[mask] = 1``; at inference
    the plain kernel is used. Dropout zeroes whole units (a row of ``kernel`` at once);
    DropConnect zeroes single connections. The bias is never dropped.

    One mask is drawn per batch and shared by its samples, as practical implementations do
    (Wan et al. draw one per sample, which costs one weight matrix per sample). Its gradient
    is that of the masked product, so only the kept weights learn from a batch.

    Args:
        units: output size.
        rate: fraction of the kernel weights to drop, in ``[0, 1)``. Defaults to ``0.5`` (the
            paper's value). ``AnnealedDropout`` may lower it between epochs.
        activation, use_bias, kernel_initializer, ...: as for :class:`Dense`.
        seed: seed of the layer's own random stream; by default numkeras's stream.
    """

    def __init__(
        self,
        units: int,
        rate: float = 0.5,
        activation: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(units, activation=activation, **kwargs)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
            raise ValueError(f"rate must be a number in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _mask(self) -> Any:
        """This batch's kernel mask: 0 for dropped weights, ``1 / (1 - rate)`` for kept ones."""
        kernel = self.kernel.data
        keep = (
            backend.uniform_draws(kernel.shape, kernel.dtype, like=kernel, rng=self._rng)
            >= self.rate
        )
        return keep * kernel.dtype.type(1 / (1 - self.rate))

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate == 0:
            return super().call(inputs, training)
        kernel = ops.multiply(self.kernel, self._mask())
        fused = "relu" if self.activation is activations.relu else None
        y = ops.dense(inputs, kernel, self.bias, activation=fused)
        return y if fused else self.activation(y)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
