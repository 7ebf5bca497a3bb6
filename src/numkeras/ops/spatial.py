"""Ops that change the spatial extent of arrays without weights: padding and up-sampling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend import get_array_module
from .arguments import normalize_tuple, standardize_data_format
from .core import Op, Tensor, convert_to_tensor
from .windows import from_channels_last, to_channels_last


class Pad(Op):
    """``x`` with ``pad_width`` (one ``(before, after)`` per axis) of ``constant_values`` around."""

    def __init__(self, pad_width: Sequence[tuple[int, int]], constant_values: float = 0.0):
        self.pad_width = tuple((int(a), int(b)) for a, b in pad_width)
        self.constant_values = constant_values

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        if len(self.pad_width) != x.ndim:
            raise ValueError(
                f"pad_width needs one (before, after) pair per axis of x, {x.ndim}. "
                f"Received: pad_width={self.pad_width}"
            )
        out = xp.full(
            tuple(n + a + b for n, (a, b) in zip(x.shape, self.pad_width, strict=True)),
            self.constant_values,
            dtype=x.dtype,
        )
        self.inner = tuple(
            slice(a, a + n) for n, (a, _) in zip(x.shape, self.pad_width, strict=True)
        )
        out[self.inner] = x
        return out

    def backward(self, grad: Any) -> tuple:
        return (grad[self.inner],)


class UpSample2D(Op):
    """Nearest-neighbour up-sampling of NHWC ``x``: each pixel repeated ``size`` times."""

    def __init__(self, size: Sequence[int]):
        self.size = tuple(size)

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        n, h, w, c = x.shape
        sh, sw = self.size
        self.x_shape = x.shape
        wide = xp.broadcast_to(x[:, :, None, :, None, :], (n, h, sh, w, sw, c))
        return wide.reshape(n, h * sh, w * sw, c)

    def backward(self, grad: Any) -> tuple:
        n, h, w, c = self.x_shape
        sh, sw = self.size
        return (grad.reshape(n, h, sh, w, sw, c).sum(axis=(2, 4)),)


# -- functions -------------------------------------------------------------------------------------
def pad(
    x: Any,
    pad_width: Sequence[tuple[int, int]],
    mode: str = "constant",
    constant_values: float | None = None,
) -> Tensor:
    """Keras's ``keras.ops.pad``: ``x`` padded with one ``(before, after)`` pair per axis.

    ``mode``: ``'constant'`` only (Keras's default); ``constant_values`` defaults to 0.
    """
    if mode != "constant":
        raise ValueError(f"pad supports mode='constant' only. Received: mode={mode!r}")
    return Pad(pad_width, 0.0 if constant_values is None else constant_values)(x)


def upsampling2d(x: Any, size: int | Sequence[int] = 2, data_format: str | None = None) -> Tensor:
    """Nearest-neighbour up-sampling: every pixel repeated ``size = (sh, sw)`` times."""
    x = convert_to_tensor(x)
    data_format = standardize_data_format(data_format)
    size = normalize_tuple(size, 2, "size")
    if x.ndim != 4:
        raise ValueError(f"upsampling2d needs a 4-D input. Received: x.shape={x.shape}")
    return from_channels_last(UpSample2D(size)(to_channels_last(x, data_format)), data_format)
