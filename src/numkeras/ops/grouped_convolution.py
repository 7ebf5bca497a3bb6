"""Depthwise and separable convolutions, as grouped convolutions.

A depthwise convolution convolves each input channel with ``depth_multiplier`` kernels of its
own: ``y[p, q, c·m + k] = Σ_{i,j} x_pad[p·sh + i·dh, q·sw + j·dw, c] · kernel[i, j, c, k]``.
That is :func:`~numkeras.ops.convolution.conv2d` with ``groups = in`` channels, one input
channel per group, once Keras's ``(kh, kw, in, m)`` kernel is read as ``(kh, kw, 1, in·m)`` (a
free reshape: output channel ``c·m + k`` is filter ``k`` of group ``c`` in both). A separable
convolution is a depthwise one followed by a 1×1 ("pointwise") convolution that mixes the
channels, which runs as a dense product. Both differentiate through the convolution's op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .arguments import standardize_data_format
from .convolution import conv1d, conv2d
from .core import Tensor, convert_to_tensor
from .shape import Reshape


def _convolve(
    x: Tensor,
    kernel: Tensor,
    bias: Any,
    strides: Any,
    padding: str,
    dilation_rate: Any,
    data_format: str | None,
) -> Tensor:
    """:func:`conv1d` or :func:`conv2d`, as the rank of ``x`` says."""
    if x.ndim not in (3, 4) or kernel.ndim != x.ndim:
        raise ValueError(
            "depthwise and separable convolutions need a 3-D input (batch, steps, channels) or "
            "a 4-D one (batch, height, width, channels) and a kernel of the same rank. "
            f"Received: inputs.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    conv = conv1d if x.ndim == 3 else conv2d
    return conv(x, kernel, bias, strides, padding, dilation_rate, data_format)


def depthwise(
    x: Any,
    kernel: Any,
    bias: Any = None,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    data_format: str | None = None,
) -> Tensor:
    """Depthwise convolution of sequences or images with a ``(*k, in, m)`` kernel and an
    optional ``(in·m,)`` bias; ``in·m`` channels out."""
    x, kernel = convert_to_tensor(x), convert_to_tensor(kernel)
    *window, channels, multiplier = kernel.shape
    axis = 1 if standardize_data_format(data_format) == "channels_first" else -1
    if x.ndim < 2 or x.shape[axis] != channels:
        raise ValueError(
            "a depthwise convolution needs kernel.shape[-2] equal to the input's channels. "
            f"Received: inputs.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    grouped = Reshape((*window, 1, channels * multiplier))(kernel)
    return _convolve(x, grouped, bias, strides, padding, dilation_rate, data_format)


def separable(
    x: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    bias: Any = None,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    data_format: str | None = None,
) -> Tensor:
    """:func:`depthwise`, then the ``(*1, in·m, out)`` pointwise kernel and the ``(out,)``
    bias."""
    y = depthwise(x, depthwise_kernel, None, strides, padding, dilation_rate, data_format)
    return _convolve(y, convert_to_tensor(pointwise_kernel), bias, 1, "valid", 1, data_format)


def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """Keras's ``keras.ops.depthwise_conv``: each input channel convolved with its own
    ``depth_multiplier`` kernels (``kernel``: ``(*k, in, m)``), no bias."""
    return depthwise(inputs, kernel, None, strides, padding, dilation_rate, data_format)


def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """Keras's ``keras.ops.separable_conv``: a depthwise convolution, then a pointwise one
    (``pointwise_kernel``: ``(*1, in·m, out)``), no bias."""
    return separable(
        inputs,
        depthwise_kernel,
        pointwise_kernel,
        None,
        strides,
        padding,
        dilation_rate,
        data_format,
    )
