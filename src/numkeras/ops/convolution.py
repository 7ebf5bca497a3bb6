"""Convolution: im2col plus one matrix product, with the bias and a ReLU fused into it.

The im2col matrix, ``(batch·out_h·out_w, kh·kw·in)``, holds each output pixel's window of the
(padded) input, and the kernel ``(kh, kw, in, out)`` reshapes to its ``(kh·kw·in, out)`` matrix for
free. Backward is one product for the kernel gradient and one for the gradient of the im2col
matrix, whose columns are added back into place (col2im). The batch goes through in chunks whose
im2col matrix stays in the cache (a whole batch's is the largest array of a convolutional network,
some 85 MB for the MNIST CNN): writing it to memory and reading it back twice cost more than
making it again in backward.

The memory passes around the products (im2col, col2im, bias and ReLU, the ReLU's mask and the
bias gradient) each run as one C loop over float32 arrays when ``numkeras._conv_kernels`` is built
(see :mod:`numkeras.kernels`); the NumPy code beside each call is the reference those loops match
bit for bit, and the path for float64 and CuPy arrays. They run on one core: after each product
OpenBLAS's idle threads spin on the others for about 0.1 s, so threads of ours would only fight
them.

:func:`conv` is Keras's ``keras.ops.conv``; :func:`conv2d` and :func:`conv1d`, which the layers
call, also take a bias and a fused activation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import kernels as fused_kernels
from ..backend import get_array_module
from .arguments import PADDINGS, normalize_tuple, standardize_data_format, standardize_padding
from .core import Op, Tensor, convert_to_tensor
from .nn import Dense, add_bias_and_activate, masked_and_bias_grads
from .scratch import ScratchPool
from .shape import Reshape, Transpose
from .spatial import Pad
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

_POOL = ScratchPool(max_free=8)  # per convolution: im2col and gradient chunks, ReLU masks

# The im2col matrix of one chunk of the batch. From 0.7 to 8 MB the MNIST CNN's epoch takes the
# same time; the whole batch's matrix (85 MB) takes 40% longer.
_CHUNK_BYTES = 4 << 20


def _chunks(n: int, bytes_per_image: int, xp: Any) -> list[slice]:
    """Consecutive slices of ``range(n)`` of about ``_CHUNK_BYTES`` each (one image at least);
    all of ``range(n)`` at once on a GPU, which wants large products."""
    step = n if xp is not np else max(1, _CHUNK_BYTES // bytes_per_image)
    return [slice(a, min(a + step, n)) for a in range(0, n, step)]


# -- convolution -----------------------------------------------------------------------------------
class Conv2D(Op):
    """2-D cross-correlation of NHWC ``x`` with a ``(kh, kw, in/groups, out)`` kernel.

    ``y[n, p, q, f] = act(b[f] + Σ_{i,j,c} x_pad[n, p·sh + i·dh, q·sw + j·dw, c] · k[i, j, c, f])``,
    the sum over the input channels of ``f``'s group. ``pads`` are explicit
    ``((top, bottom), (left, right))`` zeros; ``activation`` is None or ``'relu'`` (applied in
    the product's output buffer, like :class:`~numkeras.ops.nn.Dense`).

    The batch goes through in chunks whose im2col matrix fits in a core's cache (see
    :func:`_chunks`). Each chunk's matrix is made, multiplied and dropped; backward makes it
    again for the kernel gradient, which costs less than writing a matrix of tens of MB to
    memory and reading it back twice.
    """

    def __init__(
        self,
        strides: Sequence[int] = (1, 1),
        pads: Pads = ((0, 0), (0, 0)),
        dilation: Sequence[int] = (1, 1),
        groups: int = 1,
        activation: str | None = None,
    ):
        if activation not in (None, "relu"):
            raise ValueError(
                f"activation must be None or 'relu'. Received: activation={activation!r}"
            )
        self.strides, self.pads, self.dilation = tuple(strides), pads, tuple(dilation)
        self.groups, self.activation = groups, activation

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        xp = get_array_module(x)
        n, h, w, c = x.shape
        kh, kw, cg, f = kernel.shape
        g = self.groups
        if c != cg * g or f % g:
            raise ValueError(
                f"conv2d needs in_channels = kernel.shape[2] * groups and out_channels divisible "
                f"by groups. Received: x.shape={x.shape}, kernel.shape={kernel.shape}, groups={g}"
            )
        (top, bottom), (left, right) = self.pads
        self.xpad_shape = (n, h + top + bottom, w + left + right, c)
        oh = output_size(self.xpad_shape[1], kh, self.strides[0], self.dilation[0])
        ow = output_size(self.xpad_shape[2], kw, self.strides[1], self.dilation[1])
        if oh < 1 or ow < 1:
            raise ValueError(
                f"conv2d's kernel (dilated) is larger than its padded input. Received: "
                f"x.shape={x.shape}, kernel.shape={kernel.shape}, pads={self.pads}, "
                f"dilation={self.dilation}"
            )
        self.x, self.kernel, self.out_hw = x, kernel, (oh, ow)
        # BLAS takes the kernel's (g, kh·kw·cg, f/g) matrices only when each is contiguous.
        self.kernels = xp.ascontiguousarray(kernel.reshape(-1, g, f // g).transpose(1, 0, 2))
        dtype = xp.result_type(x.dtype, kernel.dtype)
        y = xp.empty((n, oh, ow, f), dtype=dtype)
        # The ReLU's gradient needs only where y > 0: a byte per element, read back in a quarter
        # of the time that y would take, in a buffer that returns to the pool with the op.
        relu = self.activation == "relu"
        self.mask = _POOL.lend(self, y.shape, xp.uint8, xp) if relu and self.needs_grad else None
        chunks = self._chunks(dtype, xp)
        buffer = _POOL.take((math.prod(self._cols_shape(chunks[0])),), dtype, xp)
        for s in chunks:
            cols = self._im2col(x[s], self._cols(buffer, s))
            xp.matmul(cols, self.kernels, out=self._by_group(y[s]))
            if bias is not None or relu:
                add_bias_and_activate(
                    y[s], bias, self.activation, None if self.mask is None else self.mask[s]
                )
        _POOL.give(buffer)
        return y

    def _chunks(self, dtype: Any, xp: Any) -> list[slice]:
        """Chunks of the batch whose im2col matrix, and output, stay in the cache."""
        (oh, ow), f = self.out_hw, self.kernel.shape[-1]
        per_image = max(math.prod(self._cols_shape(slice(0, 1))), oh * ow * f)
        return _chunks(self.x.shape[0], per_image * dtype.itemsize, xp)

    def _cols_shape(self, s: slice) -> tuple[int, int, int]:
        """The shape of the im2col matrix of the images ``s``: ``(g, b·oh·ow, kh·kw·cg)``."""
        kh, kw, cg, _ = self.kernel.shape
        (oh, ow), images = self.out_hw, len(range(*s.indices(self.x.shape[0])))
        return self.groups, images * oh * ow, kh * kw * cg

    def _cols(self, buffer: Any, s: slice) -> Any:
        """The im2col matrix of the images ``s``, as a view of the start of ``buffer``."""
        shape = self._cols_shape(s)
        return buffer[: math.prod(shape)].reshape(shape)

    def _by_group(self, y: Any) -> Any:
        """NHWC ``y`` as the ``(g, b·oh·ow, f/g)`` view that the products read or write."""
        f, g = y.shape[-1], self.groups
        return y.reshape(-1, g, f // g).transpose(1, 0, 2)

    def _geometry(self, images: Any) -> tuple:
        """What the C kernels need to know about ``images``: (their shape, kernel size, strides,
        dilation, zeros before, output size, groups)."""
        (top, _), (left, _) = self.pads
        return (
            images.shape,
            self.kernel.shape[:2],
            self.strides,
            self.dilation,
            (top, left),
            self.out_hw,
            self.groups,
        )

    def _im2col(self, x: Any, cols: Any) -> Any:
        """``cols`` filled from images ``x``: ``cols[g, (b, p, q), (i, j, c)] =
        x_pad[b, p·sh + i·dh, q·sw + j·dw, g·cg + c]``."""
        im2col = fused_kernels.fused("im2col", x, cols)
        if im2col is not None:
            im2col(x, cols, *self._geometry(x))
            return cols
        kh, kw, cg, _ = self.kernel.shape
        xpad = pad_images(x, self.pads)
        sn, sh, sw, sc = xpad.strides
        (st_h, st_w), (d_h, d_w) = self.strides, self.dilation
        shape = (self.groups, x.shape[0], *self.out_hw, kh, kw, cg)
        cols.reshape(shape)[...] = get_array_module(x).lib.stride_tricks.as_strided(
            xpad, shape, (sc * cg, sn, sh * st_h, sw * st_w, sh * d_h, sw * d_w, sc)
        )
        return cols

    def backward(self, grad: Any) -> tuple:
        xp = get_array_module(grad)
        cg, f = self.kernel.shape[2:]
        needs_x, needs_kernel = self.needs_grad[:2]
        needs_bias = len(self.needs_grad) == 3 and self.needs_grad[2]
        gk = xp.zeros(self.kernels.shape, dtype=grad.dtype) if needs_kernel else None
        gb = xp.zeros(f, dtype=grad.dtype) if needs_bias else None
        chunks = self._chunks(grad.dtype, xp)
        buffer = _POOL.take((math.prod(self._cols_shape(chunks[0])),), grad.dtype, xp)
        masked = (
            _POOL.take((chunks[0].stop * math.prod(grad.shape[1:]),), grad.dtype, xp)
            if self.mask is not None
            else None
        )
        col2im = fused_kernels.fused("col2im", buffer) if needs_x else None
        if col2im is not None:
            dx = xp.empty(self.x.shape, dtype=grad.dtype)
        elif needs_x:  # NumPy's path adds the columns into a zero-padded gradient
            dx = xp.zeros(self.xpad_shape[:3] + (self.groups, cg), dtype=grad.dtype)
        for s in chunks:
            g_s = self._grad_before_products(grad[s], s, gb, masked, xp)
            if needs_kernel:
                cols = self._im2col(self.x[s], self._cols(buffer, s))
                gk += xp.matmul(cols.transpose(0, 2, 1), self._by_group(g_s))
            if needs_x:
                cols = self._cols(buffer, s)
                xp.matmul(self._by_group(g_s), self.kernels.transpose(0, 2, 1), out=cols)
                if col2im is not None:
                    col2im(cols, dx[s], *self._geometry(dx[s]))
                else:
                    self._scatter(cols, dx[s], xp)
        _POOL.give(buffer)
        if masked is not None:
            _POOL.give(masked)
        gx = None
        if needs_x:
            gx = (
                dx
                if col2im is not None
                else unpad_images(dx.reshape(self.xpad_shape), self.pads, self.x.shape)
            )
        if needs_kernel:
            gk = xp.moveaxis(gk, 0, 1).reshape(self.kernel.shape)
        return (gx, gk) if len(self.needs_grad) == 2 else (gx, gk, gb)

    def _grad_before_products(self, grad: Any, s: slice, gb: Any, buffer: Any, xp: Any) -> Any:
        """The gradient of the images ``s`` before the activation: ``grad · (y > 0)`` for the
        ReLU, written in ``buffer``; its sum over pixels added to the bias gradient ``gb``."""
        mask = None if self.mask is None else self.mask[s]
        if mask is None and gb is None:
            return grad
        masked = None if mask is None else buffer[: grad.size].reshape(grad.shape)
        total = None if gb is None else xp.empty_like(gb)
        grad = masked_and_bias_grads(grad, mask, masked, total)
        if gb is not None:
            gb += total
        return grad

    def _scatter(self, cols: Any, dx: Any, xp: Any) -> None:
        """col2im on NumPy's path: the columns ``cols`` of some images added into their zero-
        padded input gradient ``dx``, ``(b, hp, wp, g, cg)``, one kernel position at a time.

        The positions go last to first: the order in which the C kernel, reading ``cols`` in
        memory order, adds them.
        """
        kh, kw, cg, _ = self.kernel.shape
        blocks = cols.reshape(self.groups, dx.shape[0], *self.out_hw, kh, kw, cg)
        for i in reversed(range(kh)):
            for j in reversed(range(kw)):
                window(dx, i, j, self.out_hw, self.strides, self.dilation)[...] += xp.moveaxis(
                    blocks[:, :, :, :, i, j], 0, 3
                )


# -- functions -------------------------------------------------------------------------------------
def conv2d(
    x: Any,
    kernel: Any,
    bias: Any = None,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    data_format: str | None = None,
    activation: str | None = None,
) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras) of a batch of images with ``kernel``.

    ``x``: ``(batch, h, w, in)`` (or ``(batch, in, h, w)`` with ``data_format='channels_first'``);
    ``kernel``: ``(kh, kw, in / groups, out)``, the groups read from the two shapes as Keras
    does; ``bias``: ``(out,)`` or None. ``padding``: ``'valid'`` or ``'same'``.
    ``activation``: None or ``'relu'``, fused into the product. A 1×1 kernel with unit strides
    is a dense layer on the channel axis and runs as one.
    """
    x, kernel = convert_to_tensor(x), convert_to_tensor(kernel)
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)
    strides = normalize_tuple(strides, 2, "strides")
    dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
    if x.ndim != 4 or kernel.ndim != 4:
        raise ValueError(
            "conv2d needs a 4-D input and a 4-D kernel (kh, kw, in, out). "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    x = to_channels_last(x, data_format)
    channels, (kh, kw, cg, _) = x.shape[-1], kernel.shape
    groups = channels // cg if cg and channels % cg == 0 else 0
    if not groups:
        raise ValueError(
            "conv2d needs the input's channels to be a multiple of kernel.shape[2]. "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    args = (x, kernel) if bias is None else (x, kernel, bias)
    if (kh, kw, groups) == (1, 1, 1) and strides == (1, 1):
        y = Dense(activation)(x, Reshape((cg, kernel.shape[-1]))(kernel), *args[2:])
    else:
        pads = spatial_pads(x.shape[1:3], (kh, kw), strides, dilation, padding)
        y = Conv2D(strides, pads, dilation, groups, activation)(*args)
    return from_channels_last(y, data_format)


def conv1d(
    x: Any,
    kernel: Any,
    bias: Any = None,
    strides: int = 1,
    padding: str = "valid",
    dilation_rate: int = 1,
    data_format: str | None = None,
    activation: str | None = None,
) -> Tensor:
    """1-D convolution of ``(batch, steps, in)`` sequences with a ``(k, in / groups, out)`` kernel.

    Computed as :func:`conv2d` on a height of one. ``padding``: ``'valid'``, ``'same'`` or
    ``'causal'`` (zeros before the sequence only, so step ``t`` sees steps ``<= t``).
    """
    x, kernel = convert_to_tensor(x), convert_to_tensor(kernel)
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding, (*PADDINGS, "causal"))
    (stride,) = normalize_tuple(strides, 1, "strides")
    (dilation,) = normalize_tuple(dilation_rate, 1, "dilation_rate")
    if x.ndim != 3 or kernel.ndim != 3:
        raise ValueError(
            "conv1d needs a 3-D input and a 3-D kernel (k, in, out). "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    if data_format == "channels_first":
        x = Transpose((0, 2, 1))(x)
    n, steps, channels = x.shape
    x2 = Reshape((n, 1, steps, channels))(x)
    k2 = Reshape((1, *kernel.shape))(kernel)
    if padding == "causal":
        before = dilation * (kernel.shape[0] - 1)
        x2 = Pad(((0, 0), (0, 0), (before, 0), (0, 0)))(x2)
        padding = "valid"
    y = conv2d(x2, k2, bias, (1, stride), padding, (1, dilation), "channels_last", activation)
    y = Reshape((n, y.shape[2], y.shape[3]))(y)
    return Transpose((0, 2, 1))(y) if data_format == "channels_first" else y


def conv(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """Keras's ``keras.ops.conv``: the convolution of ``inputs`` with ``kernel``, no bias.

    The rank comes from ``inputs``: ``(batch, steps, in)`` sequences run :func:`conv1d` (a kernel
    ``(k, in / groups, out)``; ``padding`` may also be ``'causal'``), ``(batch, h, w, in)``
    images :func:`conv2d` (a kernel ``(kh, kw, in / groups, out)``); channels come first with
    ``data_format='channels_first'``. ``padding``: ``'valid'`` (default) or ``'same'``.
    """
    inputs = convert_to_tensor(inputs)
    if inputs.ndim == 3:
        return conv1d(inputs, kernel, None, strides, padding, dilation_rate, data_format)
    if inputs.ndim == 4:
        return conv2d(inputs, kernel, None, strides, padding, dilation_rate, data_format)
    raise ValueError(
        "conv needs a 3-D input (batch, steps, channels) or a 4-D one (batch, height, width, "
        f"channels). Received: inputs.shape={inputs.shape}"
    )
