"""Transposed convolution (Keras's ``conv_transpose``, sometimes called deconvolution).

It is the gradient of :func:`~numkeras.ops.convolution.conv2d` with respect to its input: each
input pixel, times the kernel, is added into the output around position ``(p·sh, q·sw)``:
``y[p·sh + i·dh - top, q·sw + j·dw - left, f] += Σ_c x[p, q, c] · kernel[i, j, f, c]``.
So forward is one matrix product (every input pixel times the whole kernel) whose columns are
added into place (col2im), and backward is a convolution: the output gradient's windows are
gathered (im2col) and multiplied by the kernel for the input gradient and by the input for the
kernel gradient. The kernel has Keras's layout ``(kh, kw, out, in)``. NumPy code, one step per
kernel position, never per pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend import get_array_module
from .arguments import normalize_tuple, standardize_data_format, standardize_padding
from .core import Op, Tensor, convert_to_tensor
from .shape import Reshape, Transpose
from .windows import from_channels_last, to_channels_last, window


def conv_transpose_length(
    length: int | None,
    kernel: int,
    stride: int,
    dilation: int,
    padding: str,
    output_padding: int | None,
) -> int | None:
    """Output length of a transposed convolution along one axis (Keras's
    ``deconv_output_length``).

    With ``output_padding=None``: ``'valid'`` gives ``length·s + max(k' - s, 0)`` and
    ``'same'`` gives ``length·s``, where ``k' = d·(k - 1) + 1`` is the dilated kernel;
    otherwise ``(length - 1)·s + k' - 2·pad + output_padding`` with ``pad = k' // 2`` for
    ``'same'``, 0 for ``'valid'``. ``None`` stays None.
    """
    if length is None:
        return None
    span = dilation * (kernel - 1) + 1
    if output_padding is None:
        return length * stride + (max(span - stride, 0) if padding == "valid" else 0)
    pad = span // 2 if padding == "same" else 0
    return (length - 1) * stride + span - 2 * pad + output_padding


def conv_transpose_crop(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> int:
    """How many positions of the full output (every tap of every input pixel, starting at 0)
    come before the first output position, as Keras's padding rules place them.

    Keras pads the stride-dilated input by ``before`` and runs a flipped-kernel convolution;
    the full output corresponds to ``before = k' - 1``, so ``k' - 1 - before`` are cut.
    """
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        return 0
    total = stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
    return span - 1 - min(total // 2 + total % 2, span - 1)


class ConvTranspose2D(Op):
    """Transposed 2-D convolution of NHWC ``x`` with a ``(kh, kw, out, in)`` kernel.

    ``y = crop(Σ_{i,j} shift_{(i·dh, j·dw)}(upsample_s(x) · kernel[i, j]ᵀ)) + b``: the full
    output is ``((h - 1)·sh + kh', (w - 1)·sw + kw')``; ``crops`` (top, left) of it are cut and
    ``out_hw`` kept, positions past its end (from ``output_padding``) holding zeros.
    """

    def __init__(
        self,
        strides: Sequence[int],
        dilation: Sequence[int],
        crops: Sequence[int],
        out_hw: Sequence[int],
    ):
        self.strides, self.dilation = tuple(strides), tuple(dilation)
        self.crops, self.out_hw = tuple(crops), tuple(out_hw)

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        xp = get_array_module(x)
        n, h, w, c = x.shape
        kh, kw, f, kc = kernel.shape
        if kc != c:
            raise ValueError(
                "conv_transpose needs kernel.shape[3] equal to the input's channels. "
                f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}"
            )
        self.x, self.kernel = x, kernel
        matrix = kernel.reshape(kh * kw * f, c)
        cols = (x.reshape(-1, c) @ matrix.T).reshape(n, h, w, kh, kw, f)
        full = xp.zeros(self._full_shape(x.shape, kernel.shape), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                target = self._window(full, i, j)
                target += cols[:, :, :, i, j]
        y = xp.ascontiguousarray(self._crop(full))
        if bias is not None:
            y += bias
        return y

    def _full_shape(self, x_shape: tuple, kernel_shape: tuple) -> tuple[int, int, int, int]:
        """Every tap of every input pixel, and the zeros of ``output_padding`` past them."""
        (n, h, w, _), (kh, kw, f, _) = x_shape, kernel_shape
        full = [
            max((size - 1) * s + d * (k - 1) + 1, crop + out)
            for size, s, d, k, crop, out in zip(
                (h, w), self.strides, self.dilation, (kh, kw), self.crops, self.out_hw, strict=True
            )
        ]
        return (n, *full, f)

    def _window(self, full: Any, i: int, j: int) -> Any:
        """The view of the full output that kernel position ``(i, j)`` writes, one element per
        input pixel."""
        return window(full, i, j, self.x.shape[1:3], self.strides, self.dilation)

    def _crop(self, full: Any) -> Any:
        (top, left), (oh, ow) = self.crops, self.out_hw
        return full[:, top : top + oh, left : left + ow]

    def backward(self, grad: Any) -> tuple:
        xp = get_array_module(grad)
        n, h, w, c = self.x.shape
        kh, kw, f, _ = self.kernel.shape
        full = xp.zeros(self._full_shape(self.x.shape, self.kernel.shape), dtype=grad.dtype)
        self._crop(full)[...] = grad
        cols = xp.empty((n, h, w, kh, kw, f), dtype=grad.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, i, j] = self._window(full, i, j)
        cols = cols.reshape(n * h * w, kh * kw * f)
        needs_x, needs_kernel = self.needs_grad[:2]
        gx = (cols @ self.kernel.reshape(-1, c)).reshape(self.x.shape) if needs_x else None
        gk = (cols.T @ self.x.reshape(-1, c)).reshape(self.kernel.shape) if needs_kernel else None
        if len(self.needs_grad) == 2:
            return gx, gk
        return gx, gk, grad.sum(axis=(0, 1, 2)) if self.needs_grad[2] else None


# -- functions -------------------------------------------------------------------------------------
def conv2d_transpose(
    x: Any,
    kernel: Any,
    bias: Any = None,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    data_format: str | None = None,
) -> Tensor:
    """Transposed 2-D convolution of ``(batch, h, w, in)`` images (channels first with
    ``data_format='channels_first'``) with a ``(kh, kw, out, in)`` kernel and an optional
    ``(out,)`` bias; output sizes by :func:`conv_transpose_length`."""
    x, kernel = convert_to_tensor(x), convert_to_tensor(kernel)
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)
    strides = normalize_tuple(strides, 2, "strides")
    dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
    extra = (
        (None, None)
        if output_padding is None
        else normalize_tuple(output_padding, 2, "output_padding", minimum=0)
    )
    if x.ndim != 4 or kernel.ndim != 4:
        raise ValueError(
            "conv_transpose of images needs a 4-D input and a 4-D kernel (kh, kw, out, in). "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    x = to_channels_last(x, data_format)
    axes = tuple(zip(x.shape[1:3], kernel.shape[:2], strides, dilation, extra, strict=True))
    out_hw = [conv_transpose_length(size, k, s, d, padding, e) for size, k, s, d, e in axes]
    crops = [conv_transpose_crop(k, s, d, padding, e) for _, k, s, d, e in axes]
    args = (x, kernel) if bias is None else (x, kernel, bias)
    y = ConvTranspose2D(strides, dilation, crops, out_hw)(*args)
    return from_channels_last(y, data_format)


def conv1d_transpose(
    x: Any,
    kernel: Any,
    bias: Any = None,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    data_format: str | None = None,
) -> Tensor:
    """Transposed 1-D convolution of ``(batch, steps, in)`` sequences with a ``(k, out, in)``
    kernel, computed as :func:`conv2d_transpose` on a height of one."""
    x, kernel = convert_to_tensor(x), convert_to_tensor(kernel)
    if x.ndim != 3 or kernel.ndim != 3:
        raise ValueError(
            "conv_transpose of sequences needs a 3-D input and a 3-D kernel (k, out, in). "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    data_format = standardize_data_format(data_format)
    if data_format == "channels_first":
        x = Transpose((0, 2, 1))(x)
    (extra,) = (
        (None,)
        if output_padding is None
        else normalize_tuple(output_padding, 1, "output_padding", minimum=0)
    )
    y = conv2d_transpose(
        Reshape((x.shape[0], 1, *x.shape[1:]))(x),
        Reshape((1, *kernel.shape))(kernel),
        bias,
        (1, normalize_tuple(strides, 1, "strides")[0]),
        padding,
        None if extra is None else (0, extra),
        (1, normalize_tuple(dilation_rate, 1, "dilation_rate")[0]),
        "channels_last",
    )
    y = Reshape((y.shape[0], *y.shape[2:]))(y)
    return Transpose((0, 2, 1))(y) if data_format == "channels_first" else y


def conv_transpose(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """Keras's ``keras.ops.conv_transpose``: the transposed convolution of sequences (a
    ``(k, out, in)`` kernel) or images (``(kh, kw, out, in)``), whichever ``inputs`` holds; no
    bias."""
    inputs = convert_to_tensor(inputs)
    by_rank = {3: conv1d_transpose, 4: conv2d_transpose}
    if inputs.ndim not in by_rank:
        raise ValueError(
            "conv_transpose needs a 3-D input (batch, steps, channels) or a 4-D one (batch, "
            f"height, width, channels). Received: inputs.shape={inputs.shape}"
        )
    return by_rank[inputs.ndim](
        inputs, kernel, None, strides, padding, output_padding, dilation_rate, data_format
    )
