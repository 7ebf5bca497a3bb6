"""Normalization layers: BatchNormalization (Ioffe and Szegedy, 2015), LayerNormalization (Ba
et al., 2016), GroupNormalization (Wu and He, 2018) and UnitNormalization.

>>> import numpy as np
>>> bn = BatchNormalization()
>>> y = bn(np.random.default_rng(0).normal(5.0, 2.0, (256, 3)).astype(np.float32), training=True)
>>> bool(abs(y.numpy().mean()) < 1e-3)
True
"""

from __future__ import annotations

import numbers
from typing import Any

from .. import constraints, initializers, ops, regularizers
from ..ops.core import Tensor
from ..ops.normalization import BatchNorm
from .layer import InputSpec, Layer, Shape


def _standardized(x: Tensor, axes: tuple[int, ...], epsilon: float, center: bool = True) -> Tensor:
    """``(x - μ) / √(σ² + ε)`` with μ, σ² the (biased) moments of ``x`` over ``axes``; without
    ``center`` the mean is not subtracted: ``x / √(σ² + ε)`` (Keras's ``rms_scaling``)."""
    variance = ops.var(x, axis=axes, keepdims=True)
    if center:
        x = x - ops.mean(x, axis=axes, keepdims=True)
    return x / ops.sqrt(variance + epsilon)


def _check_epsilon(epsilon: Any) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or epsilon < 0:
        raise ValueError(f"epsilon must be a number >= 0. Received: epsilon={epsilon!r}")
    return float(epsilon)


def _check_axes(layer: Layer, axis: Any, input_shape: Shape) -> tuple[int, ...]:
    """``axis`` (an int or a list of ints) as sorted non-negative feature axes of
    ``input_shape``, each of known size (the batch axis is not one)."""
    ndim = len(input_shape)
    axes = [axis] if isinstance(axis, numbers.Integral) else list(axis)
    if not axes or any(not -ndim <= a < ndim or a % ndim == 0 for a in axes):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): axis={axis!r} must name feature "
            f"axes of inputs of shape {tuple(input_shape)}."
        )
    axes = sorted(a % ndim for a in axes)
    if any(input_shape[a] is None for a in axes):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) needs known sizes on axis={axis!r}. "
            f"Received: input shape {tuple(input_shape)}."
        )
    return tuple(axes)


def _standardize_axis(axis: Any) -> int | list[int]:
    """Keras's ``axis`` argument: an int, or a list of ints."""
    if isinstance(axis, (list, tuple)) and all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
    ):
        return [int(a) for a in axis]
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(f"axis must be an int or a list of ints. Received: axis={axis!r}")


class _ScaledNormalization(Layer):
    """What the normalization layers with a learnt scale γ and offset β share: ``axis``,
    ``epsilon``, γ and β (with their initializers, regularizers and constraints), the output
    shape and the config.

    Subclasses call :meth:`_add_scale_and_offset` in ``build`` and (unless a fused op applies
    γ and β, as BatchNormalization's) :meth:`_scale_and_offset` on their standardized outputs.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.axis = _standardize_axis(axis)
        self.epsilon = _check_epsilon(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_scale_and_offset(
        self, shape: tuple[int, ...], broadcast: tuple[int, ...], scale: bool, center: bool
    ) -> None:
        """γ (if ``scale``) and β (if ``center``) of ``shape``, applied reshaped to
        ``broadcast``."""
        self._broadcast = broadcast
        self.gamma = self._add_configured_weight("gamma", shape) if scale else None
        self.beta = self._add_configured_weight("beta", shape) if center else None

    def _scale_and_offset(self, x: Tensor) -> Tensor:
        if self.gamma is not None:
            x = x * ops.reshape(self.gamma, self._broadcast)
        if self.beta is not None:
            x = x + ops.reshape(self.beta, self._broadcast)
        return x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._serialized(
                "beta_initializer",
                "gamma_initializer",
                "beta_regularizer",
                "gamma_regularizer",
                "beta_constraint",
                "gamma_constraint",
            ),
        }


class BatchNormalization(_ScaledNormalization):
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
        synchronized: with True, under a data-parallel distribution of more than one rank
            (``numkeras.distribution``), μ and σ² are those of the global batch, all ranks'
            samples together (sums and counts all-reduced, in the gradient too), so the moving
            statistics stay identical on every rank. False (the default, as Horovod) uses each
            rank's own batch. In a single process both are the same.

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
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"axis must be an integer. Received: axis={axis!r}")
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, numbers.Real)
            or not (0.0 <= momentum <= 1.0)
        ):
            raise ValueError(
                f"momentum must be a number in [0.0, 1.0]. Received: momentum={momentum!r}"
            )
        if not isinstance(synchronized, bool):
            raise ValueError(
                f"synchronized must be True or False. Received: synchronized={synchronized!r}"
            )
        super().__init__(
            axis,
            epsilon,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
            **kwargs,
        )
        self.momentum, self.synchronized = float(momentum), synchronized
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

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
        broadcast = tuple(channels if a == self.axis % ndim else 1 for a in range(ndim))
        self._add_scale_and_offset(shape, broadcast, self.scale, self.center)
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
            self.axis,
            self.epsilon,
            batch_stats=True,
            center=self.center,
            scale=self.scale,
            reduce=self._replica_sum(),
        )
        outputs = op(inputs, *params)
        for moving, batch in ((self.moving_mean, op.mean), (self.moving_variance, op.variance)):
            moving.data *= self.momentum
            moving.data += batch.astype(moving.dtype, copy=False) * (1.0 - self.momentum)
        return outputs

    def _replica_sum(self) -> Any:
        """The sum over data-parallel ranks that synchronizes the batch statistics, or None."""
        if not self.synchronized:
            return None
        # Imported here: only synchronized layers need the distribution package loaded.
        from .. import distribution

        return distribution.allreduce_sum if distribution.size() > 1 else None

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "synchronized": self.synchronized,
            **self._serialized("moving_mean_initializer", "moving_variance_initializer"),
        }


class LayerNormalization(_ScaledNormalization):
    """Normalizes each sample over its feature axes: ``y = γ · (x - μ) / √(σ² + ε) + β``.

    μ and σ² are the mean and (biased) variance of each sample over ``axis`` (one set per
    sample, in training and inference alike); γ and β have the shape of those axes.

    Args:
        axis: the axis, or list of axes, normalized over. Defaults to -1.
        epsilon: added to the variance. Defaults to 1e-3.
        center: learn the offset β. Defaults to True.
        scale: learn the scale γ. Defaults to True.
        rms_scaling: Keras's deprecated flag: ``y = γ · x / √(σ² + ε)`` (no centring, no β;
            note σ² is still the variance, as in Keras). Defaults to False.
        beta_initializer ('zeros'), gamma_initializer ('ones'), beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint: as their names say.

    Weights, in order: ``gamma``, ``beta``.
    """

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        **kwargs: Any,
    ):
        super().__init__(axis, epsilon, center, scale, **kwargs)
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape: Shape) -> None:
        self._axes = _check_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        broadcast = tuple(n if a in self._axes else 1 for a, n in enumerate(input_shape))
        self._add_scale_and_offset(
            shape,
            broadcast,
            scale=self.scale or self.rms_scaling,
            center=self.center and not self.rms_scaling,
        )

    def call(self, inputs: Tensor) -> Tensor:
        outputs = _standardized(inputs, self._axes, self.epsilon, center=not self.rms_scaling)
        return self._scale_and_offset(outputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rms_scaling": self.rms_scaling}


class GroupNormalization(_ScaledNormalization):
    """Normalizes each sample over groups of channels: the ``C`` channels on ``axis`` are split
    into ``groups`` consecutive groups of ``C / groups``, and each group of each sample is
    standardized over its channels and all the other (spatial) axes, then scaled and shifted
    per channel: ``y = γ_c · (x - μ_g) / √(σ²_g + ε) + β_c``.

    ``groups=1`` is LayerNormalization over all the features, ``groups=-1`` (one channel per
    group) instance normalization.

    Args:
        groups: number of groups, dividing the channels; -1 for one per channel. Defaults to 32.
        axis: the channel axis. Defaults to -1.
        epsilon: added to the variance. Defaults to 1e-3.
        center, scale, beta_initializer ('zeros'), gamma_initializer ('ones'),
            beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: as in
            LayerNormalization (γ and β have one value per channel).
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, **kwargs: Any):
        if (
            isinstance(groups, bool)
            or not isinstance(groups, numbers.Integral)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "groups must be a positive integer (or -1 for instance normalization). "
                f"Received: groups={groups!r}"
            )
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise ValueError(f"axis must be an integer. Received: axis={axis!r}")
        super().__init__(axis, epsilon, **kwargs)
        self.groups = int(groups)

    def build(self, input_shape: Shape) -> None:
        (axis,) = _check_axes(self, self.axis, input_shape)
        channels = input_shape[axis]
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(
                f"Layer '{self.name}' (GroupNormalization): groups={self.groups} must divide "
                f"the {channels} channels on axis {self.axis}."
            )
        self._channel_axis, self._group_count = axis, groups
        broadcast = tuple(n if a == axis else 1 for a, n in enumerate(input_shape))
        self._add_scale_and_offset((channels,), broadcast, self.scale, self.center)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})

    def call(self, inputs: Tensor) -> Tensor:
        shape = tuple(inputs.shape)
        axis, groups = self._channel_axis, self._group_count
        # Split the channel axis into (group, channel within group), standardize over all but
        # the batch and group axes, and merge the channels back.
        grouped = ops.reshape(
            inputs, (*shape[:axis], groups, shape[axis] // groups, *shape[axis + 1 :])
        )
        axes = tuple(a for a in range(1, len(shape) + 1) if a != axis)
        outputs = ops.reshape(_standardized(grouped, axes, self.epsilon), shape)
        return self._scale_and_offset(outputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "groups": self.groups}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``:
    ``y = x / max(‖x‖₂, 1e-12)`` (Keras's floor on the norm, so zero vectors stay zero).

    Args:
        axis: the axis, or list of axes, of the norm. Defaults to -1.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(self, axis: Any = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = _standardize_axis(axis)

    def build(self, input_shape: Shape) -> None:
        self._axes = _check_axes(self, self.axis, input_shape)

    def call(self, inputs: Tensor) -> Tensor:
        squares = ops.sum(ops.square(inputs), axis=self._axes, keepdims=True)
        # max(‖x‖², 1e-24) under the root equals Keras's min(1/‖x‖, 1e12) and keeps the
        # gradient finite at x = 0.
        return inputs / ops.sqrt(ops.maximum(squares, 1e-24))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
