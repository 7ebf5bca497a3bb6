"""Activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) and Maxout.

Each layer is built from :mod:`numkeras.ops` (or :mod:`numkeras.activations`, itself made of
ops), so its gradient needs no extra code. Names, arguments and defaults are Keras 3's; Keras 1
spellings (``LeakyReLU(alpha=)``, ``PReLU(init=)``, ``MaxoutDense(output_dim=, nb_feature=)``) are
renamed by :mod:`numkeras.legacy` with one warning each.

>>> import numpy as np
>>> Maxout(3, pieces=2)(np.ones((4, 5), np.float32)).shape   # max of 2 linear pieces per unit
(4, 3)
>>> LeakyReLU()(np.array([[-1.0, 2.0]], np.float32)).numpy()
array([[-0.3,  2. ]], dtype=float32)
"""

from __future__ import annotations

import numbers
from typing import Any

from .. import activations, constraints, initializers, ops, regularizers
from ..ops.core import Tensor
from .layer import KERNEL_AND_BIAS_OBJECTS, InputSpec, Layer, Shape


def _check_number(name: str, value: Any, minimum: float | None = None) -> float:
    """``value`` as a float, or a ValueError naming the argument and the value received."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or (minimum is not None and value < minimum)
    ):
        expected = "a number" if minimum is None else f"a number >= {minimum}"
        raise ValueError(f"{name} must be {expected}. Received: {name}={value!r}")
    return float(value)


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


class _ShapePreserving(Layer):
    """A layer whose output has the shape of its input."""

    #: Passes its input's mask on unchanged, as Keras 3's activation layers do.
    supports_masking = True

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape


class ReLU(_ShapePreserving):
    """Rectified linear unit with Keras 3's options (Keras defaults give ``max(x, 0)``):

    ``f(x) = max_value`` for ``x >= max_value``,
    ``f(x) = x`` for ``threshold < x < max_value``,
    ``f(x) = negative_slope · (x - threshold)`` otherwise.

    Args:
        max_value: the saturation value, or None for none. Defaults to ``None``.
        negative_slope: the slope below the threshold, ``>= 0``. Defaults to ``0.0``.
        threshold: where the unit starts to pass its input. Defaults to ``0.0``.
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _check_number("max_value", max_value, 0)
        self.negative_slope = _check_number("negative_slope", negative_slope, 0)
        self.threshold = _check_number("threshold", threshold)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_ShapePreserving):
    """Leaky rectified linear unit: ``f(x) = x`` for ``x >= 0``, ``negative_slope · x`` below.

    Args:
        negative_slope: the slope below zero, ``>= 0``. Defaults to ``0.3`` (Keras 3's layer
            default; Keras 1's ``alpha=`` is accepted with a warning).
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any):
        super().__init__(**kwargs)
        self.negative_slope = _check_number("negative_slope", negative_slope, 0)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_ShapePreserving):
    """Parametric ReLU (He et al., 2015): ``f(x) = x`` for ``x >= 0``, ``alpha · x`` below,
    where ``alpha`` is a learned weight.

    ``alpha`` has the shape of one sample, ``input_shape[1:]`` (one slope per unit), with size 1
    along each of ``shared_axes`` (e.g. ``shared_axes=[1, 2]`` gives one slope per channel of
    ``(batch, height, width, channels)`` images).

    Args:
        alpha_initializer: initializer of ``alpha``. Defaults to ``'zeros'`` (a plain ReLU at
            start). Keras 1's ``init=`` is accepted with a warning.
        alpha_regularizer: regularizer of ``alpha``. Defaults to ``None``.
        alpha_constraint: constraint on ``alpha``. Defaults to ``None``.
        shared_axes: the input axes (1 = the first axis after the batch) along which one slope
            is shared. Defaults to ``None``.
    """

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | list[int] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes or [])
        if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
            raise ValueError(
                "shared_axes must be positive axis indices (the batch axis 0 cannot be shared). "
                f"Received: shared_axes={shared_axes!r}"
            )
        self.shared_axes = sorted(set(axes)) or None

    def build(self, input_shape: Shape) -> None:
        shared = set(self.shared_axes or [])
        if max(shared, default=0) >= len(input_shape):
            raise ValueError(
                f"Layer '{self.name}' can share axes 1 to {len(input_shape) - 1} of its inputs "
                f"only. Received: shared_axes={self.shared_axes} for inputs of shape "
                f"{tuple(input_shape)}"
            )
        per_axis = [1 if axis in shared else n for axis, n in enumerate(input_shape) if axis > 0]
        if None in per_axis:
            raise ValueError(
                f"Layer '{self.name}' needs a known size on every axis that is not shared, to give "
                f"each unit its alpha. Received: input_shape={tuple(input_shape)}, "
                f"shared_axes={self.shared_axes}"
            )
        self.alpha = self._add_configured_weight("alpha", tuple(per_axis))
        self.input_spec = InputSpec(
            ndim=len(input_shape),
            axes={axis: n for axis, n in enumerate(input_shape) if axis > 0 and axis not in shared},
        )

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return ops.where(inputs.data >= 0, inputs, inputs * self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            **self._serialized("alpha_initializer", "alpha_regularizer", "alpha_constraint"),
            "shared_axes": self.shared_axes,
        }


class ELU(_ShapePreserving):
    """Exponential linear unit (Clevert et al., 2016):
    ``f(x) = x`` for ``x > 0``, ``alpha · (e^x - 1)`` otherwise.

    Args:
        alpha: the value that ``f`` approaches for large negative inputs is ``-alpha``.
            Defaults to ``1.0``.
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = _check_number("alpha", alpha)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_ShapePreserving):
    """Softmax along ``axis``: ``f(x)_i = e^(x_i) / Σ_j e^(x_j)``.

    It applies :func:`numkeras.ops.softmax`, so a categorical cross-entropy placed after it is
    computed by the fused, stable softmax-cross-entropy op.

    Args:
        axis: the axis (or tuple of axes) to normalize along. Defaults to ``-1``. An axis
            outside the inputs' rank is a ValueError when the layer is built.
    """

    def __init__(self, axis: int | tuple[int, ...] = -1, **kwargs: Any):
        super().__init__(**kwargs)
        axes = axis if isinstance(axis, (list, tuple)) else [axis]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ValueError(
                f"axis must be an integer or a tuple of integers. Received: axis={axis!r}"
            )
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis

    def build(self, input_shape: Shape) -> None:
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
        if not all(-ndim <= a < ndim for a in axes):
            raise ValueError(
                f"Layer '{self.name}' (Softmax): axis={self.axis} is out of range for inputs of "
                f"shape {tuple(input_shape)}: each axis must be in [{-ndim}, {ndim})."
            )

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return ops.softmax(inputs, self.axis)

    def get_config(self) -> dict[str, Any]:
        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return {**super().get_config(), "axis": axis}


class Maxout(Layer):
    """Maxout (Goodfellow et al., 2013): ``units`` outputs, each the largest of ``pieces`` linear
    functions of the input,

    ``f(x)_u = max_p (x · W[:, p, u] + b[p, u])``  for ``p = 1 … pieces``.

    Computed as one fused product ``x @ kernel + bias`` to ``pieces · units`` values, reshaped to
    ``(..., pieces, units)`` and maximized over the pieces. The kernel has shape
    ``(input_dim, pieces · units)`` with column ``p · units + u`` holding ``W[:, p, u]``: Keras 1's
    ``MaxoutDense`` weight ``W`` of shape ``(nb_feature, input_dim, output_dim)`` becomes
    ``W.transpose(1, 0, 2).reshape(input_dim, -1)``.

    Args:
        units: number of outputs (Keras 1: ``output_dim``).
        pieces: number of linear pieces per output (Keras 1: ``nb_feature``). Defaults to ``4``.
        kernel_initializer: Defaults to ``'glorot_uniform'``.
        bias_initializer: Defaults to ``'zeros'``.
        kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint: Default to
            ``None``.
        use_bias: whether the linear pieces have a bias. Defaults to ``True``.
    """

    def __init__(
        self,
        units: int,
        pieces: int = 4,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_bias: bool = True,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.units = _check_positive_int("units", units)
        self.pieces = _check_positive_int("pieces", pieces)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.use_bias = bool(use_bias)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Shape) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"Layer '{self.name}' needs a known last input dimension to size its kernel. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        width = self.pieces * self.units
        self.kernel = self._add_configured_weight("kernel", (in_dim, width))
        self.bias = None
        if self.use_bias:
            self.bias = self._add_configured_weight("bias", (width,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        z = ops.dense(inputs, self.kernel, self.bias)
        # Pieces before units: the max then adds whole contiguous rows of `units` values.
        z = ops.reshape(z, (*inputs.shape[:-1], self.pieces, self.units))
        return ops.max(z, axis=-2)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "pieces": self.pieces,
            **self._serialized(*KERNEL_AND_BIAS_OBJECTS),
            "use_bias": self.use_bias,
        }


#: Keras 1's name for :class:`Maxout` (``MaxoutDense(output_dim, nb_feature=4)``).
MaxoutDense = Maxout


#: The activation layers without weights, which may also stand where an activation goes.
WEIGHTLESS = (ReLU, LeakyReLU, ELU, Softmax)
