"""The geometry of the windows that convolution and pooling slide over images.

The ops compute on channels-last arrays, ``(batch, height, width, channels)``; the functions that
take Keras's ``data_format`` move channels-first data to that layout and back around them
(:func:`to_channels_last`, :func:`from_channels_last`). Output lengths and paddings follow
Keras's (and TensorFlow's) formulas, so layers compute their output shapes from the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend import get_array_module
from .core import Tensor
from .shape import Transpose

#: Zeros around the spatial axes of NHWC images: ``((top, bottom), (left, right))``.
Pads = tuple[tuple[int, int], tuple[int, int]]


def conv_output_length(
    length: int | None, kernel: int, stride: int, dilation: int, padding: str
) -> int | None:
    """Output length of a convolution or pooling window along one axis (Keras's formula).

    ``'valid'``: ``floor((length - d·(kernel-1) - 1) / stride) + 1``;
    ``'same'`` and ``'causal'``: ``ceil(length / stride)``. ``None`` stays None.
    """
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel - 1) - 1) // stride + 1
    return -(-length // stride)


def padding_amounts(
    length: int, kernel: int, stride: int, dilation: int, padding: str
) -> tuple[int, int]:
    """Zeros added ``(before, after)`` the input along one axis.

    ``'same'`` pads so that ``ceil(length / stride)`` windows fit, the odd one after (as
    TensorFlow and Keras do); ``'causal'`` pads ``d·(kernel-1)`` before, so that output ``t``
    sees inputs ``<= t`` only.
    """
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return span - 1, 0
    out = -(-length // stride)
    total = max((out - 1) * stride + span - length, 0)
    return total // 2, total - total // 2


def spatial_pads(
    shape: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    padding: str,
) -> Pads:
    """:func:`padding_amounts` along the height and the width (``shape``)."""
    return tuple(
        padding_amounts(n, k, s, d, padding)  # type: ignore[return-value]
        for n, k, s, d in zip(shape, kernel, strides, dilation, strict=True)
    )


def output_size(padded: int, kernel: int, stride: int, dilation: int) -> int:
    """How many windows fit along an axis of ``padded`` elements (below 1: none)."""
    return (padded - dilation * (kernel - 1) - 1) // stride + 1


def window(
    x: Any, i: int, j: int, out_hw: tuple[int, int], strides: Sequence[int], dilation: Sequence[int]
) -> Any:
    """The view of ``x`` (NHWC) that kernel position ``(i, j)`` reads for every output pixel."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return x[:, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw]


def pad_images(x: Any, pads: Pads, value: float = 0.0) -> Any:
    """``x`` (NHWC) with ``pads`` around its spatial axes (``x`` itself when there are none)."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    xp = get_array_module(x)
    out = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top : top + h, left : left + w] = x
    return out


def unpad_images(x: Any, pads: Pads, shape: Sequence[int]) -> Any:
    """The view of padded images ``x`` that holds the unpadded ones, of ``shape``."""
    (top, _), (left, _) = pads
    return x[:, top : top + shape[1], left : left + shape[2]]


def to_channels_last(x: Tensor, data_format: str) -> Tensor:
    """Images ``x`` in the ops' NHWC layout (a transpose of channels-first ones)."""
    return Transpose((0, 2, 3, 1))(x) if data_format == "channels_first" else x


def from_channels_last(y: Tensor, data_format: str) -> Tensor:
    """NHWC images ``y`` back in ``data_format``."""
    return Transpose((0, 3, 1, 2))(y) if data_format == "channels_first" else y
