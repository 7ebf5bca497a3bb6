"""Pooling: the maximum or the mean of each window of a batch of images or sequences.

The op reads strided windows of its (padded) input, one window position at a time, each a whole
batch's worth of work. Max-pooling and its gradient run as one C loop over float32 arrays when
``numkeras._conv_kernels`` is built (see :mod:`numkeras.kernels`); the NumPy code beside each
call is the reference those loops match bit for bit, and the path for float64 and CuPy arrays.

:func:`max_pool` and :func:`average_pool` are Keras's ``keras.ops`` functions, for sequences and
images alike; the layers call the rank-specific :func:`max_pool1d`, :func:`max_pool2d`,
:func:`avg_pool2d` and :func:`avg_pool1d`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import kernels as fused_kernels
from ..backend import get_array_module
from .arguments import normalize_tuple, standardize_data_format, standardize_padding
from .core import Op, Tensor, convert_to_tensor
from .shape import Reshape
from .windows import (
    Pads,
    from_channels_last,
    output_size,
    pad_images,
    spatial_pads,
    to_channels_last,
    unpad_images,
    window,
)


class Pool2D(Op):
    """Max or average over ``pool_size`` windows of NHWC ``x``, moved by ``strides``.

    ``pads`` are explicit ``((top, bottom), (left, right))``. Padded positions never win a max
    and do not count in an average (Keras's ``'same'`` semantics). The max's gradient goes to
    the first maximal element of each window, as in PyTorch and TensorFlow.
    """

    def __init__(
        self,
        mode: str,
        pool_size: Sequence[int],
        strides: Sequence[int],
        pads: Pads = ((0, 0), (0, 0)),
    ):
        if mode not in ("max", "average"):
            raise ValueError(f"mode must be 'max' or 'average'. Received: mode={mode!r}")
        self.mode, self.pads = mode, pads
        self.pool_size, self.strides = tuple(pool_size), tuple(strides)

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        ph, pw = self.pool_size
        fill = -xp.inf if self.mode == "max" else 0.0
        xpad = pad_images(x, self.pads, fill)
        oh = output_size(xpad.shape[1], ph, self.strides[0], 1)
        ow = output_size(xpad.shape[2], pw, self.strides[1], 1)
        if oh < 1 or ow < 1:
            raise ValueError(
                f"{self.mode} pooling window {self.pool_size} is larger than its padded input. "
                f"Received: x.shape={x.shape}, pads={self.pads}"
            )
        self.x_shape, self.xpad_shape, self.out_hw = x.shape, xpad.shape, (oh, ow)
        n = x.shape[0]
        y = xp.empty((n, oh, ow, x.shape[3]), dtype=x.dtype)
        self.argmax = None
        if self.mode == "max" and self.needs_grad:
            self.argmax = xp.zeros(y.shape, dtype=xp.uint8 if ph * pw < 256 else xp.uint16)
        if self.mode == "average":
            self.counts = self._counts(xp, y.dtype)
        reduce_max = self._max_kernel("max_pool", xpad, y)
        if reduce_max is not None:
            reduce_max(xpad, y, self.argmax, *self.geometry)
        else:
            self._reduce(xpad, y, self.argmax, xp)
        return y

    def _max_kernel(self, name: str, *arrays: Any) -> Any:
        """The C kernel ``name`` for max-pooling on ``arrays``, or None (average pooling,
        windows of 256 elements or more, or arrays it cannot take)."""
        if self.mode != "max" or self.pool_size[0] * self.pool_size[1] >= 256:
            return None
        return fused_kernels.fused(name, *arrays)

    @property
    def geometry(self) -> tuple:
        """What the C kernels need to know: (padded input shape, window, strides, output
        size)."""
        return self.xpad_shape, self.pool_size, self.strides, self.out_hw

    def _reduce(self, xpad: Any, y: Any, argmax: Any, xp: Any) -> None:
        """``y`` = the max or mean of each window of ``xpad``, and the winners' kernel positions
        in ``argmax`` when it is given."""
        windows = self._windows(xpad)
        y[...] = next(windows)
        if self.mode == "average":
            for window in windows:
                y += window
            y /= self.counts
        elif argmax is not None:
            # A strict > keeps the first of tied maxima. Positions only grow, so the winner's
            # position is a running maximum.
            better = xp.empty(y.shape, dtype=bool)
            index = xp.empty(y.shape, dtype=argmax.dtype)
            for k, window in enumerate(windows, 1):
                xp.greater(window, y, out=better)
                xp.maximum(y, window, out=y)
                xp.multiply(better, index.dtype.type(k), out=index)
                xp.maximum(argmax, index, out=argmax)
        else:
            for window in windows:
                xp.maximum(y, window, out=y)

    def _windows(self, x: Any) -> Any:
        ph, pw = self.pool_size
        return (
            window(x, i, j, self.out_hw, self.strides, (1, 1)) for i in range(ph) for j in range(pw)
        )

    def _counts(self, xp: Any, dtype: Any) -> Any:
        """How many real (unpadded) elements each window holds, shaped to broadcast on y."""
        if not any(sum(p) for p in self.pads):
            return dtype.type(self.pool_size[0] * self.pool_size[1])
        per_axis = []
        for size, pool, stride, (before, _), out in zip(
            self.x_shape[1:3], self.pool_size, self.strides, self.pads, self.out_hw, strict=True
        ):
            start = xp.arange(out) * stride - before
            per_axis.append(xp.minimum(start + pool, size) - xp.maximum(start, 0))
        return (per_axis[0][:, None] * per_axis[1][None, :]).astype(dtype)[None, :, :, None]

    def backward(self, grad: Any) -> tuple:
        xp = get_array_module(grad)
        ph, pw = self.pool_size
        (oh, ow), (sh, sw) = self.out_hw, self.strides
        hp, wp = self.xpad_shape[1:3]
        # Windows that tile the padded input exactly write every element once: no zeroing, no adds.
        tiled = (sh, sw) == (ph, pw) and (hp, wp) == (oh * sh, ow * sw)
        route_max = self._max_kernel("max_pool_grad", grad)
        if route_max is not None:
            dx = xp.empty(self.xpad_shape, dtype=grad.dtype)
            route_max(grad, self.argmax, dx, *self.geometry, tiled)
            return (unpad_images(dx, self.pads, self.x_shape),)
        dx = (xp.empty if tiled else xp.zeros)(self.xpad_shape, dtype=grad.dtype)
        self._route(grad, dx, self.argmax, tiled, xp)
        return (unpad_images(dx, self.pads, self.x_shape),)

    def _route(self, grad: Any, dx: Any, argmax: Any, tiled: bool, xp: Any) -> None:
        """Send each window's gradient back to its input: all of it to the max's winner, an
        equal share to each real element for the mean."""
        if self.mode == "average":
            share = grad / self.counts
        else:
            hit = xp.empty(grad.shape, dtype=bool)
        for k, target in enumerate(self._windows(dx)):
            if self.mode == "average":
                part = share
            else:
                xp.equal(argmax, k, out=hit)
                part = xp.multiply(grad, hit, out=target if tiled else None)
            if not tiled:
                target += part
            elif part is not target:
                target[...] = part


# -- functions -------------------------------------------------------------------------------------
def _pool2d(
    mode: str,
    x: Any,
    pool_size: int | Sequence[int],
    strides: Any,
    padding: str,
    data_format: str | None,
) -> Tensor:
    x = convert_to_tensor(x)
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)
    pool_size = normalize_tuple(pool_size, 2, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, 2, "strides")
    if x.ndim != 4:
        raise ValueError(f"{mode} pooling needs a 4-D input. Received: x.shape={x.shape}")
    x = to_channels_last(x, data_format)
    pads = spatial_pads(x.shape[1:3], pool_size, strides, (1, 1), padding)
    return from_channels_last(Pool2D(mode, pool_size, strides, pads)(x), data_format)


def _pool1d(
    mode: str,
    x: Any,
    pool_size: int | Sequence[int],
    strides: Any,
    padding: str,
    data_format: str | None,
) -> Tensor:
    """Pooling of ``(batch, steps, channels)`` sequences, as 2-D pooling on a height of one."""
    x = convert_to_tensor(x)
    if x.ndim != 3:
        raise ValueError(
            f"{mode} pooling of sequences needs a 3-D input. Received: x.shape={x.shape}"
        )
    axis = 2 if standardize_data_format(data_format) == "channels_first" else 1
    (size,) = normalize_tuple(pool_size, 1, "pool_size")
    stride = size if strides is None else normalize_tuple(strides, 1, "strides")[0]
    y = _pool2d(
        mode,
        Reshape(x.shape[:axis] + (1,) + x.shape[axis:])(x),
        (1, size),
        (1, stride),
        padding,
        data_format,
    )
    return Reshape(y.shape[:axis] + y.shape[axis + 1 :])(y)


def _pool(
    mode: str,
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: Any,
    padding: str,
    data_format: str | None,
) -> Tensor:
    """Pooling of sequences or images, whichever ``inputs`` holds (its rank says)."""
    inputs = convert_to_tensor(inputs)
    by_rank = {3: _pool1d, 4: _pool2d}
    if inputs.ndim not in by_rank:
        raise ValueError(
            f"{mode} pooling needs a 3-D input (batch, steps, channels) or a 4-D one (batch, "
            f"height, width, channels). Received: inputs.shape={inputs.shape}"
        )
    return by_rank[inputs.ndim](mode, inputs, pool_size, strides, padding, data_format)


def max_pool(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Keras's ``keras.ops.max_pool``: the maximum over each ``pool_size`` window of
    ``(batch, steps, channels)`` sequences or ``(batch, h, w, channels)`` images.

    ``strides`` default to ``pool_size``; ``padding``: ``'valid'`` (default) or ``'same'``;
    channels come first with ``data_format='channels_first'``.
    """
    return _pool("max", inputs, pool_size, strides, padding, data_format)


def average_pool(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Keras's ``keras.ops.average_pool``: the mean over each ``pool_size`` window of sequences
    or images (padded positions not counted); arguments as :func:`max_pool`'s."""
    return _pool("average", inputs, pool_size, strides, padding, data_format)


def max_pool2d(
    x: Any,
    pool_size: int | Sequence[int] = 2,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Maximum over each ``pool_size`` window; ``strides`` default to ``pool_size`` (Keras)."""
    return _pool2d("max", x, pool_size, strides, padding, data_format)


def avg_pool2d(
    x: Any,
    pool_size: int | Sequence[int] = 2,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Mean over each ``pool_size`` window (padded positions not counted); ``strides`` default to
    ``pool_size``."""
    return _pool2d("average", x, pool_size, strides, padding, data_format)


def max_pool1d(
    x: Any,
    pool_size: int = 2,
    strides: int | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Maximum over windows of ``(batch, steps, channels)`` sequences, as :func:`max_pool2d`
    on a height of one."""
    return _pool1d("max", x, pool_size, strides, padding, data_format)


def avg_pool1d(
    x: Any,
    pool_size: int = 2,
    strides: int | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Mean over windows of ``(batch, steps, channels)`` sequences (padded positions not
    counted), as :func:`avg_pool2d` on a height of one."""
    return _pool1d("average", x, pool_size, strides, padding, data_format)
