"""Depthwise and separable convolution layers: DepthwiseConv2D/1D and SeparableConv2D/1D.

A depthwise convolution gives each input channel ``depth_multiplier`` kernels of its own and
never mixes channels: ``y[p, q, c·m + k] = act(b[c·m + k] + Σ_{i,j} x[p·s + i·d, q·s + j·d, c] ·
kernel[i, j, c, k])``. A separable convolution follows it with a 1×1 convolution that mixes them
(``filters`` outputs), far fewer weights than a full convolution of the same window. Both run as
grouped convolutions (:mod:`numkeras.ops.depthwise_conv`). Names, arguments, defaults, weight
names and kernel layouts (``(kh, kw, in, m)`` and ``(1, 1, in·m, filters)``) are Keras 3's.

>>> import numpy as np
>>> DepthwiseConv2D(3, depth_multiplier=2)(np.zeros((1, 8, 8, 3), np.float32)).shape
(1, 6, 6, 6)
"""

from __future__ import annotations

from typing import Any

from .. import constraints, initializers, regularizers
from ..ops import grouped_convolution as dw_ops
from ..ops.core import Tensor, Variable
from .conv import _Windowed, positive_integer
from .layer import InputSpec, Layer, Shape

_ROLES = ("initializer", "regularizer", "constraint")
_GETTERS = {
    "initializer": initializers.get,
    "regularizer": regularizers.get,
    "constraint": constraints.get,
}


class _Depthwise(_Windowed):
    """What the depthwise and separable convolutions share: ``depth_multiplier`` and the
    depthwise kernel's and the bias's initializers, regularizers and constraints.

    Args:
        kernel_size: int or tuple of ``rank`` ints.
        strides: int or tuple. Defaults to 1.
        padding: ``'valid'`` (default) or ``'same'``.
        depth_multiplier: kernels per input channel, ``m``. Defaults to 1.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or tuple, spacing of the kernel's taps. Defaults to 1.
        activation, use_bias: as in ``Conv2D`` (defaults None and True).
        depthwise_initializer (``'glorot_uniform'``), bias_initializer (``'zeros'``),
        depthwise_regularizer, bias_regularizer, depthwise_constraint, bias_constraint: for the
            ``(*k, in, m)`` depthwise kernel and the bias.
    """

    paddings_1d = ("valid", "same")
    # The grouped convolution adds the bias; the activation follows it as an op.
    fuses_relu = False

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            **kwargs,
        )
        self.depth_multiplier = positive_integer(self._where, "depth_multiplier", depth_multiplier)
        self._set_objects(
            "depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint
        )
        self._set_objects("bias", bias_initializer, bias_regularizer, bias_constraint)

    def _set_objects(self, prefix: str, *objects: Any) -> None:
        """``<prefix>_initializer``, ``_regularizer`` and ``_constraint`` from ``objects``."""
        for role, value in zip(_ROLES, objects, strict=True):
            setattr(self, f"{prefix}_{role}", _GETTERS[role](value))

    def _objects_config(self, *prefixes: str) -> dict[str, Any]:
        """The config of the initializers, then regularizers, then constraints of
        ``prefixes``, in Keras's order."""
        return self._serialized(*(f"{p}_{role}" for role in _ROLES for p in prefixes))

    def _weight(self, name: str, prefix: str, shape: tuple[int, ...]) -> Variable:
        """The weight ``name`` with the ``prefix`` initializer, regularizer and constraint."""
        return self.add_weight(
            shape=shape,
            name=name,
            **{role: getattr(self, f"{prefix}_{role}") for role in _ROLES},
        )

    def _build_depthwise(self, input_shape: Shape, name: str) -> int:
        """The depthwise kernel, as attribute and weight ``name``; returns the input's
        channels."""
        channels = self._input_channels(input_shape)
        kernel_shape = (*self.kernel_size, channels, self.depth_multiplier)
        self._check_fits(input_shape, kernel_shape)
        setattr(self, name, self._weight(name, "depthwise", kernel_shape))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        return channels

    def _build_bias(self, out_channels: int) -> None:
        self.bias = self._weight("bias", "bias", (out_channels,)) if self.use_bias else None

    def get_config(self) -> dict[str, Any]:
        # Keras's order: the layer's own keys, then depth_multiplier, then the window's.
        return {
            **Layer.get_config(self),
            "depth_multiplier": self.depth_multiplier,
            **super().get_config(),
        }


class _DepthwiseConv(_Depthwise):
    """A depthwise convolution: ``in · depth_multiplier`` channels out, with a ``(*k, in, m)``
    kernel named ``kernel`` and an ``(in·m,)`` bias, as in Keras."""

    def build(self, input_shape: Shape) -> None:
        channels = self._build_depthwise(input_shape, "kernel")
        self._build_bias(channels * self.depth_multiplier)

    def _output_channels(self, input_shape: Shape) -> int:
        return input_shape[self._channel_axis] * self.depth_multiplier

    def _convolve(self, inputs: Tensor, activation: str | None) -> Tensor:
        return dw_ops.depthwise(
            inputs,
            self.kernel,
            self.bias,
            self.strides,
            self.padding,
            self.dilation_rate,
            self.data_format,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._objects_config("depthwise", "bias")}


class _SeparableConv(_Depthwise):
    """A depthwise convolution, then a pointwise one to ``filters`` channels: weights
    ``depthwise_kernel`` ``(*k, in, m)``, ``pointwise_kernel`` ``(*1, in·m, filters)`` and
    ``bias`` ``(filters,)``, as in Keras. ``pointwise_initializer`` (``'glorot_uniform'``),
    ``pointwise_regularizer`` and ``pointwise_constraint`` are the pointwise kernel's; the
    other arguments as the depthwise convolution's."""

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            depth_multiplier,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            depthwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            bias_regularizer,
            depthwise_constraint,
            bias_constraint,
            **kwargs,
        )
        self.filters = positive_integer(self._where, "filters", filters)
        self._set_objects(
            "pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint
        )

    @property
    def kernel(self) -> Variable:
        # What the window checks read: the kernel that slides.
        return self.depthwise_kernel

    def build(self, input_shape: Shape) -> None:
        channels = self._build_depthwise(input_shape, "depthwise_kernel")
        pointwise_shape = (*(1,) * self.rank, channels * self.depth_multiplier, self.filters)
        self.pointwise_kernel = self._weight("pointwise_kernel", "pointwise", pointwise_shape)
        self._build_bias(self.filters)

    def _output_channels(self, input_shape: Shape) -> int:
        return self.filters

    def _convolve(self, inputs: Tensor, activation: str | None) -> Tensor:
        return dw_ops.separable(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            self.bias,
            self.strides,
            self.padding,
            self.dilation_rate,
            self.data_format,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._objects_config("depthwise", "pointwise", "bias"),
        }


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution of ``(batch, h, w, in)`` images: ``(batch, h', w', in·m)``
    out. Keras 3 defaults: ``strides=(1, 1)``, ``padding='valid'``, ``depth_multiplier=1``,
    ``dilation_rate=(1, 1)``, ``depthwise_initializer='glorot_uniform'``; arguments as
    :class:`_Depthwise`'s."""

    rank = 2


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution of ``(batch, steps, in)`` sequences: ``(batch, steps',
    in·m)`` out, with a ``(k, in, m)`` kernel; defaults as :class:`DepthwiseConv2D`'s."""

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Separable 2-D convolution: ``(batch, h, w, in)`` in, ``(batch, h', w', filters)`` out.
    Keras 3 defaults: ``strides=(1, 1)``, ``padding='valid'``, ``dilation_rate=(1, 1)``,
    ``depth_multiplier=1``, both kernels ``'glorot_uniform'``, bias ``'zeros'``."""

    rank = 2


class SeparableConv1D(_SeparableConv):
    """Separable 1-D convolution: ``(batch, steps, in)`` in, ``(batch, steps', filters)``
    out; defaults as :class:`SeparableConv2D`'s."""

    rank = 1


# Keras's long names for the same classes.
SeparableConvolution2D = SeparableConv2D
SeparableConvolution1D = SeparableConv1D
