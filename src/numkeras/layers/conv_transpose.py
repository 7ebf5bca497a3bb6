"""Transposed convolution layers: Conv2DTranspose and Conv1DTranspose.

A transposed convolution runs a convolution backwards: each input pixel scatters ``kernel ·
x[p, q]`` into the output around ``(p·sh, q·sw)``, so ``strides=2`` doubles the height and width
(the usual upsampling step of decoders and GANs). It is the gradient of ``Conv2D`` with respect to
its input; the computation is :func:`numkeras.ops.transposed_convolution.conv2d_transpose`. Names,
arguments, defaults, kernel layout ``(kh, kw, filters, in)`` and output sizes are Keras 3's.

>>> import numpy as np
>>> Conv2DTranspose(8, 3, strides=2, padding="same")(np.zeros((2, 7, 7, 4), np.float32)).shape
(2, 14, 14, 8)
"""

from __future__ import annotations

from typing import Any

from ..ops import arguments as arg_ops
from ..ops import transposed_convolution as ops_t
from ..ops.core import Tensor
from .conv import _Conv, spatial_axes
from .layer import Shape


class _ConvTranspose(_Conv):
    """What Conv1DTranspose and Conv2DTranspose share; ``rank`` picks the op.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of ``rank`` ints.
        strides: int or tuple; the output grows by this factor. Defaults to 1.
        padding: ``'valid'`` (every tap of every input pixel kept: ``n·s + max(k' - s, 0)``) or
            ``'same'`` (``n·s``). Defaults to ``'valid'``.
        output_padding: None (default) or int/tuple, each below its stride: the output's size
            is then ``(n - 1)·s + k' - 2·pad + output_padding`` (``pad = k' // 2`` for
            ``'same'``), which picks among the sizes that a strided convolution maps to ``n``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or tuple, spacing of the kernel's taps (``k' = d·(k - 1) + 1``).
            Defaults to 1.
        activation, use_bias, kernel_initializer (``'glorot_uniform'``), bias_initializer
            (``'zeros'``), kernel_regularizer, bias_regularizer, kernel_constraint,
            bias_constraint: as in ``Conv2D``.
    """

    paddings_1d = ("valid", "same")
    # The op adds the bias itself; an activation follows it as an op.
    fuses_relu = False

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
            1,
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
        self.output_padding = self._checked_output_padding(output_padding)

    def _checked_output_padding(self, output_padding: Any) -> tuple[int, ...] | None:
        if output_padding is None:
            return None
        where = f"{type(self).__name__} '{self.name}'"
        try:
            value = arg_ops.normalize_tuple(output_padding, self.rank, "output_padding", 0)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        if any(p >= s for p, s in zip(value, self.strides, strict=True)):
            raise ValueError(
                f"{where}: output_padding must be smaller than strides on every axis. "
                f"Received: output_padding={value}, strides={self.strides}"
            )
        return value

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        return (*self.kernel_size, self.filters, channels)

    def _spatial_output(self, input_shape: Shape) -> tuple[int | None, ...]:
        extra = self.output_padding or (None,) * self.rank
        return tuple(
            ops_t.conv_transpose_length(input_shape[axis], k, s, d, self.padding, e)
            for axis, k, s, d, e in zip(
                spatial_axes(self.rank, self.data_format),
                self.kernel_size,
                self.strides,
                self.dilation_rate,
                extra,
                strict=True,
            )
        )

    def _convolve(self, inputs: Tensor, activation: str | None) -> Tensor:
        op = ops_t.conv2d_transpose if self.rank == 2 else ops_t.conv1d_transpose
        return op(
            inputs,
            self.kernel,
            self.bias,
            self.strides,
            self.padding,
            self.output_padding,
            self.dilation_rate,
            self.data_format,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["groups"]
        extra = self.output_padding
        return {**config, "output_padding": None if extra is None else list(extra)}


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution: ``(batch, h, w, in)`` in, ``(batch, h', w', filters)`` out,
    with a ``(kh, kw, filters, in)`` kernel (Keras's layout). Keras 3 defaults: ``strides=(1,
    1)``, ``padding='valid'``, ``output_padding=None``, ``dilation_rate=(1, 1)``; the other
    arguments as :class:`_ConvTranspose`'s."""

    rank = 2


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution: ``(batch, steps, in)`` in, ``(batch, steps', filters)`` out,
    with a ``(k, filters, in)`` kernel. Keras 3 defaults: ``strides=1``, ``padding='valid'``,
    ``output_padding=None``, ``dilation_rate=1``."""

    rank = 1


# Keras's long names for the same classes.
Convolution2DTranspose = Conv2DTranspose
Convolution1DTranspose = Conv1DTranspose
