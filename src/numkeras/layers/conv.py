"""Convolution layers: Conv2D (and Keras 1's Convolution2D) and Conv1D.

A convolution slides a small kernel over the input and, at each position, takes the dot product
of the kernel with the window under it (a cross-correlation, as in every deep-learning library):
``y[p, q, f] = act(b[f] + Σ_{i,j,c} x[p·s + i·d, q·s + j·d, c] · kernel[i, j, c, f])``.
Names, arguments and defaults are Keras 3's; the computation is
:func:`numkeras.ops.convolution.conv2d` (im2col and one matrix product, with a ReLU activation
fused into it).

>>> import numpy as np
>>> Conv2D(8, 3, padding="same")(np.zeros((2, 28, 28, 1), np.float32)).shape
(2, 28, 28, 8)
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from .. import activations, constraints, initializers, regularizers
from ..ops import arguments as arg_ops
from ..ops import convolution as conv_ops
from ..ops import windows as win_ops
from ..ops.core import Tensor
from .layer import KERNEL_AND_BIAS_OBJECTS, InputSpec, Layer, Shape

_LAYOUTS = {
    (1, "channels_last"): "(batch, steps, channels)",
    (1, "channels_first"): "(batch, channels, steps)",
    (2, "channels_last"): "(batch, height, width, channels)",
    (2, "channels_first"): "(batch, channels, height, width)",
}


def spatial_axes(rank: int, data_format: str) -> tuple[int, ...]:
    """Positions of the spatial axes in a batch of ``rank``-D data of ``data_format``."""
    first = 1 if data_format == "channels_last" else 2
    return tuple(range(first, first + rank))


def check_rank(layer: Layer, input_shape: Shape, rank: int, data_format: str) -> None:
    """Raise a ValueError naming ``layer`` unless ``input_shape`` has ``rank`` spatial axes."""
    if len(input_shape) != rank + 2:
        raise ValueError(
            f"Input of layer '{layer.name}' ({type(layer).__name__}) must be {rank + 2}-D, "
            f"{_LAYOUTS[rank, data_format]}. Received: input shape {tuple(input_shape)}."
        )


def positive_integer(where: str, name: str, value: Any) -> int:
    """``value`` as an int, or a ValueError naming ``where``, ``name`` and ``value``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


class _Windowed(Layer):
    """What every convolution layer shares: the window's arguments (``kernel_size``,
    ``strides``, ``padding``, ``data_format``, ``dilation_rate``), ``activation`` and
    ``use_bias``, the output's shape and the part of the config they make.

    Subclasses set ``rank``, build their weights, and define ``_convolve`` and
    ``_output_channels``.
    """

    rank = 2
    #: The paddings of a 1-D convolution (2-D ones take ``'valid'`` and ``'same'``).
    paddings_1d: tuple[str, ...] = ("valid", "same", "causal")
    #: Whether ``_convolve`` applies a ReLU activation in its output buffer.
    fuses_relu = True

    def __init__(
        self,
        kernel_size: Any,
        strides: Any,
        padding: str,
        data_format: str | None,
        dilation_rate: Any,
        activation: Any,
        use_bias: bool,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        try:
            self.kernel_size = arg_ops.normalize_tuple(kernel_size, self.rank, "kernel_size")
            self.strides = arg_ops.normalize_tuple(strides, self.rank, "strides")
            self.dilation_rate = arg_ops.normalize_tuple(dilation_rate, self.rank, "dilation_rate")
            allowed = self.paddings_1d if self.rank == 1 else ("valid", "same")
            self.padding = arg_ops.standardize_padding(padding, allowed)
            self.data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{self._where}: {error}") from None
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)

    @property
    def _where(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape: Shape, divisor: int = 1) -> int:
        """The channels of ``input_shape``, checked to be known (and divisible by ``divisor``,
        the groups)."""
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = input_shape[self._channel_axis]
        if channels is None or channels % divisor:
            divisible = f" divisible by groups={divisor}" if divisor > 1 else ""
            raise ValueError(
                f"Input of layer '{self.name}' ({type(self).__name__}) needs a known number of "
                f"channels{divisible}. Received: input shape {tuple(input_shape)}."
            )
        return channels

    def _spatial_output(self, input_shape: Shape) -> tuple[int | None, ...]:
        padding = "same" if self.padding == "causal" else self.padding
        return tuple(
            win_ops.conv_output_length(input_shape[axis], k, s, d, padding)
            for axis, k, s, d in zip(
                spatial_axes(self.rank, self.data_format),
                self.kernel_size,
                self.strides,
                self.dilation_rate,
                strict=True,
            )
        )

    def _check_fits(self, input_shape: Shape, kernel_shape: tuple[int, ...]) -> None:
        """A kernel (dilated) larger than the padded input leaves no output: say so by name."""
        if any(n is not None and n < 1 for n in self._spatial_output(input_shape)):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the kernel, of shape "
                f"{kernel_shape} with dilation_rate={self.dilation_rate}, is larger than the "
                f"input with padding='{self.padding}'. Received: input shape "
                f"{tuple(input_shape)}."
            )

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        self._check_fits(inputs.shape, self.kernel.shape)
        # ReLU is fused into the product's output buffer; other activations follow as ops.
        fused = "relu" if self.fuses_relu and self.activation is activations.relu else None
        y = self._convolve(inputs, fused)
        return y if fused else self.activation(y)

    def _convolve(self, inputs: Tensor, activation: str | None) -> Tensor:
        raise NotImplementedError

    def _output_channels(self, input_shape: Shape) -> int:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank, self.data_format)
        spatial, channels = self._spatial_output(input_shape), self._output_channels(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, channels)
        return (input_shape[0], channels, *spatial)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


class _Conv(_Windowed):
    """What Conv1D, Conv2D and the transposed convolutions share: ``filters``, ``groups`` and
    a kernel and bias with their initializers, regularizers and constraints.

    The transposed convolutions override the kernel's shape and the output's size.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
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
        self.filters = positive_integer(self._where, "filters", filters)
        self.groups = positive_integer(self._where, "groups", groups)
        if filters % groups:
            raise ValueError(
                f"{self._where}: filters must be divisible by groups. "
                f"Received: filters={filters}, groups={groups}"
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape, self.groups)
        kernel_shape = self._kernel_shape(channels)
        self._check_fits(input_shape, kernel_shape)
        self.kernel = self._add_configured_weight("kernel", kernel_shape)
        self.bias = None
        if self.use_bias:
            self.bias = self._add_configured_weight("bias", (self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        return (*self.kernel_size, channels // self.groups, self.filters)

    def _output_channels(self, input_shape: Shape) -> int:
        return self.filters

    def get_config(self) -> dict[str, Any]:
        # Keras's order: the layer's own keys, then filters, then the window's.
        return {
            **Layer.get_config(self),
            "filters": self.filters,
            **super().get_config(),
            "groups": self.groups,
            **self._serialized(*KERNEL_AND_BIAS_OBJECTS),
        }


class Conv2D(_Conv):
    """2-D convolution over images: ``(batch, h, w, channels)`` in, ``(batch, h', w', filters)``
    out (channels first with ``data_format='channels_first'``).

    Args:
        filters: number of output channels.
        kernel_size: int or ``(kh, kw)``.
        strides: int or ``(sh, sw)``. Defaults to ``(1, 1)``.
        padding: ``'valid'`` (no padding, ``h' = floor((h - d·(kh-1) - 1) / sh) + 1``) or
            ``'same'`` (zeros around, ``h' = ceil(h / sh)``). Defaults to ``'valid'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or ``(dh, dw)``, spacing of the kernel's taps. Defaults to 1.
        groups: the input channels are split into ``groups``, each convolved with
            ``filters / groups`` filters of its own. Defaults to 1.
        activation, use_bias, kernel_initializer (``'glorot_uniform'``, fans ``kh·kw·in`` and
            ``kh·kw·out``), bias_initializer (``'zeros'``), kernel_regularizer,
            bias_regularizer, kernel_constraint, bias_constraint: as in ``Dense``.

    The kernel has shape ``(kh, kw, in / groups, filters)``, as in Keras. Keras 1's names
    (``nb_filter``, ``subsample``, ``border_mode``, ``dim_ordering``, ``init``, ``W_regularizer``,
    ...) are renamed with a warning.
    """

    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            groups,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
            **kwargs,
        )

    def _convolve(self, inputs: Tensor, activation: str | None) -> Tensor:
        return conv_ops.conv2d(
            inputs,
            self.kernel,
            self.bias,
            self.strides,
            self.padding,
            self.dilation_rate,
            self.data_format,
            activation,
        )


class Convolution2D(Conv2D):
    """Keras 1's name of :class:`Conv2D`, with its call ``Convolution2D(nb_filter, nb_row,
    nb_col, border_mode=..., subsample=..., dim_ordering=...)``.

    The two kernel sizes given apart become ``kernel_size=(nb_row, nb_col)`` with a warning;
    ``Convolution2D(32, (3, 3))`` (Keras 2) works as ``Conv2D(32, (3, 3))``.
    """

    def __init__(self, filters: int, nb_row: Any = None, nb_col: Any = None, **kwargs: Any):
        if nb_col is not None or (nb_row is not None and "kernel_size" not in kwargs):
            if "kernel_size" in kwargs:
                raise ValueError(
                    "Convolution2D received both the Keras 1 arguments nb_row/nb_col and "
                    "kernel_size. Pass only kernel_size."
                )
            if nb_col is not None:
                kwargs["kernel_size"] = (nb_row, nb_col)
                warnings.warn(
                    f"`Convolution2D({filters}, {nb_row}, {nb_col})` is the Keras 1 spelling; "
                    f"use `Conv2D({filters}, kernel_size=({nb_row}, {nb_col}))`.",
                    UserWarning,
                    stacklevel=3,
                )
            else:
                kwargs["kernel_size"] = nb_row
        super().__init__(filters, **kwargs)


class Conv1D(_Conv):
    """1-D convolution over sequences: ``(batch, steps, channels)`` in, ``(batch, steps',
    filters)`` out, with a ``(k, in / groups, filters)`` kernel.

    Arguments as :class:`Conv2D`'s, with single integers; ``padding`` may also be ``'causal'``
    (zeros before the sequence only, so that output ``t`` depends on inputs ``<= t``).
    """

    rank = 1

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            groups,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
            **kwargs,
        )

    def _convolve(self, inputs: Tensor, activation: str | None) -> Tensor:
        return conv_ops.conv1d(
            inputs,
            self.kernel,
            self.bias,
            self.strides[0],
            self.padding,
            self.dilation_rate[0],
            self.data_format,
            activation,
        )
