"""Batch normalization (Ioffe and Szegedy, 2015).

>>> import numpy as np
>>> bn = BatchNormalization()
>>> y = bn(np.random.default_rng(0).normal(5.0, 2.0, (256, 3)).astype(np.float32), training=True)
>>> bool(abs(y.numpy().mean()) < 1e-3)
True
"""

from __future__ import annotations

import numbers
from typing import Any

from .. import constraints, initializers, regularizers
from ..ops.core import Tensor
from ..ops.normalization import BatchNorm
from .layer import InputSpec, Layer, Shape


class BatchNormalization(Layer):
    """Normalizes each channel: ``y = γ · (x - μ) / √(σ² + ε) + β``.

    In training (``fit``, or a call with ``training=True``) μ and σ² are the mean and variance of
    the batch over every axis but ``axis``, and the moving statistics follow them:
    ``moving_mean = moving_mean · momentum + μ · (1 - momentum)``, likewise ``moving_variance``
    with the batch's (biased) σ². At inference (``evaluate``, ``predict``) the moving statistics
    are used. A frozen layer (``trainable=False``) always runs in inference mode, as in Keras.

    Args:
        axis: the channel axis (1 after a ``channels_first`` convolution). Defaults to -1.
        momentum: of the moving averages. Defaults to 0.99.
        epsilon: added to the variance. Defaults to 1e-3.
        center: learn the offset β. Defaults to True.
        scale: learn the scale γ. Defaults to True.
        beta_initializer ('zeros'), gamma_initializer ('ones'), moving_mean_initializer
            ('zeros'), moving_variance_initializer ('ones'), beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint: as their names say.
        synchronized: across data-parallel replicas; numkeras does not support True.

    Weights, in order: ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``
    (non-trainable, updated in place).
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        synchronized: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"axis must be an integer. Received: axis={axis!r}")
        for name, value, low, high in (
            ("momentum", momentum, 0.0, 1.0),
            ("epsilon", epsilon, 0.0, float("inf")),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not (low <= value <= high)
            ):
                raise ValueError(
                    f"{name} must be a number in [{low}, {high}]. Received: {name}={value!r}"
                )
        if synchronized:
            raise ValueError(
                "synchronized=True (batch statistics across replicas) is not "
                "supported by numkeras. Received: synchronized=True"
            )
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale, self.synchronized = bool(center), bool(scale), False
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape: Shape) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): axis={self.axis} is not a feature "
                f"axis of inputs of shape {tuple(input_shape)}."
            )
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization) needs a known size on axis "
                f"{self.axis}. Received: input shape {tuple(input_shape)}."
            )
        shape = (channels,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self._add_configured_weight("gamma", shape)
        if self.center:
            self.beta = self._add_configured_weight("beta", shape)
        self.moving_mean = self._add_configured_weight("moving_mean", shape, trainable=False)
        self.moving_variance = self._add_configured_weight(
            "moving_variance", shape, trainable=False
        )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        params = tuple(p for p in (self.gamma, self.beta) if p is not None)
        if not (training and self.trainable):
            op = BatchNorm(
                self.axis, self.epsilon, batch_stats=False, center=self.center, scale=self.scale
            )
            return op(inputs, self.moving_mean, self.moving_variance, *params)
        op = BatchNorm(
            self.axis, self.epsilon, batch_stats=True, center=self.center, scale=self.scale
        )
        outputs = op(inputs, *params)
        for moving, batch in ((self.moving_mean, op.mean), (self.moving_variance, op.variance)):
            moving.data *= self.momentum
            moving.data += batch.astype(moving.dtype, copy=False) * (1.0 - self.momentum)
        return outputs

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "synchronized": self.synchronized,
            **self._serialized(
                "beta_initializer",
                "gamma_initializer",
                "moving_mean_initializer",
                "moving_variance_initializer",
                "beta_regularizer",
                "gamma_regularizer",
                "beta_constraint",
                "gamma_constraint",
            ),
        }
