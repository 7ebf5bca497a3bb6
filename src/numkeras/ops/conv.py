"""Convolution, pooling, batch normalization, padding and up-sampling ops.

The ops compute on channels-last arrays, ``(batch, height, width, channels)``; the functions at
the bottom take Keras's ``data_format`` and move channels-first data around them.

Convolution is im2col plus one matrix product. The im2col matrix, ``(batch·out_h·out_w,
kh·kw·in)``, holds each output pixel's window of the (padded) input, and the kernel
``(kh, kw, in, out)`` reshapes to its ``(kh·kw·in, out)`` matrix for free. Backward is one
product for the kernel gradient and one for the gradient of the im2col matrix, whose columns are
added back into place (col2im). The batch goes through in chunks whose im2col matrix stays in
the cache (a whole batch's is the largest array of a convolutional network, some 85 MB for the
MNIST CNN): writing it to memory and reading it back twice cost more than making it again in
backward. Pooling reads strided windows of its input, one window position at a time.

The memory passes around the products (im2col, col2im, bias and ReLU, the ReLU's mask and the
bias gradient, max-pooling and its gradient) each run as one C loop over float32 arrays when
``numkeras._conv_kernels`` is built (see :mod:`numkeras.kernels`); the NumPy code beside each
call is the reference those loops match bit for bit, and the path for float64 and CuPy arrays.
They run on one core: after each product OpenBLAS's idle threads spin on the others for about
0.1 s, so threads of ours would only fight them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import kernels as fused_kernels
from ..backend import get_array_module
from .core import Op, Tensor
from .nn import Dense, add_bias_and_activate, masked_and_bias_grads
from .scratch import ScratchPool
from .shape import Reshape, Transpose

Pads = tuple[tuple[int, int], tuple[int, int]]

PADDINGS = ("valid", "same")


# -- geometry ------------------------------------------------------------------------------------
def normalize_tuple(value: Any, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int, or a sequence of ``n`` ints) as a tuple of ``n`` ints ``>= minimum``.

    The ValueError names the argument and the received value, as Keras's does.
    """
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
        for v in items
    ):
        raise ValueError(
            f"{name} must be an integer >= {minimum} or a tuple of {n} such integers. "
            f"Received: {name}={value!r}"
        )
    return tuple(int(v) for v in items)


def conv_output_length(length: int | None, kernel: int, stride: int, dilation: int,
                       padding: str) -> int | None:
    """Output length of a convolution or pooling window along one axis (Keras's formula).

    ``'valid'``: ``floor((length - d·(kernel-1) - 1) / stride) + 1``;
    ``'same'`` and ``'causal'``: ``ceil(length / stride)``. ``None`` stays None.
    """
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel - 1) - 1) // stride + 1
    return -(-length // stride)


def padding_amounts(length: int, kernel: int, stride: int, dilation: int,
                    padding: str) -> tuple[int, int]:
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


def _pads(shape: Sequence[int], kernel: Sequence[int], strides: Sequence[int],
          dilation: Sequence[int], padding: str) -> Pads:
    return tuple(padding_amounts(n, k, s, d, padding)  # type: ignore[return-value]
                 for n, k, s, d in zip(shape, kernel, strides, dilation, strict=True))


def _out_size(padded: int, kernel: int, stride: int, dilation: int) -> int:
    return (padded - dilation * (kernel - 1) - 1) // stride + 1


def _window(x: Any, i: int, j: int, out_hw: tuple[int, int], strides: Sequence[int],
            dilation: Sequence[int]) -> Any:
    """The view of ``x`` (NHWC) that kernel position ``(i, j)`` reads for every output pixel."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return x[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def _pad(x: Any, pads: Pads, value: float = 0.0) -> Any:
    """``x`` (NHWC) with ``pads`` around its spatial axes (``x`` itself when there are none)."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    xp = get_array_module(x)
    out = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top:top + h, left:left + w] = x
    return out


def _unpad(x: Any, pads: Pads, shape: Sequence[int]) -> Any:
    (top, _), (left, _) = pads
    return x[:, top:top + shape[1], left:left + shape[2]]


_POOL = ScratchPool(max_free=8)  # per convolution: im2col and gradient chunks, ReLU masks

# The im2col matrix of one chunk of the batch. From 0.7 to 8 MB the MNIST CNN's epoch takes the
# same time; the whole batch's matrix (85 MB) takes 40% longer.
_CHUNK_BYTES = 4 << 20


def _chunks(n: int, bytes_per_image: int, xp: Any) -> list[slice]:
    """Consecutive slices of ``range(n)`` of about ``_CHUNK_BYTES`` each (one image at least);
    all of ``range(n)`` at once on a GPU, which wants large products."""
    step = n if xp is not np else max(1, _CHUNK_BYTES // bytes_per_image)
    return [slice(a, min(a + step, n)) for a in range(0, n, step)]


# -- convolution ---------------------------------------------------------------------------------
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

    def __init__(self, strides: Sequence[int] = (1, 1), pads: Pads = ((0, 0), (0, 0)),
                 dilation: Sequence[int] = (1, 1), groups: int = 1,
                 activation: str | None = None):
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
        oh = _out_size(self.xpad_shape[1], kh, self.strides[0], self.dilation[0])
        ow = _out_size(self.xpad_shape[2], kw, self.strides[1], self.dilation[1])
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
                add_bias_and_activate(y[s], bias, self.activation,
                                      None if self.mask is None else self.mask[s])
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
        return buffer[:math.prod(shape)].reshape(shape)

    def _by_group(self, y: Any) -> Any:
        """NHWC ``y`` as the ``(g, b·oh·ow, f/g)`` view that the products read or write."""
        f, g = y.shape[-1], self.groups
        return y.reshape(-1, g, f // g).transpose(1, 0, 2)

    def _geometry(self, images: Any) -> tuple:
        """What the C kernels need to know about ``images``: (their shape, kernel size, strides,
        dilation, zeros before, output size, groups)."""
        (top, _), (left, _) = self.pads
        return (images.shape, self.kernel.shape[:2], self.strides, self.dilation, (top, left),
                self.out_hw, self.groups)

    def _im2col(self, x: Any, cols: Any) -> Any:
        """``cols`` filled from images ``x``: ``cols[g, (b, p, q), (i, j, c)] =
        x_pad[b, p·sh + i·dh, q·sw + j·dw, g·cg + c]``."""
        im2col = fused_kernels.fused("im2col", x, cols)
        if im2col is not None:
            im2col(x, cols, *self._geometry(x))
            return cols
        kh, kw, cg, _ = self.kernel.shape
        xpad = _pad(x, self.pads)
        sn, sh, sw, sc = xpad.strides
        (st_h, st_w), (d_h, d_w) = self.strides, self.dilation
        shape = (self.groups, x.shape[0], *self.out_hw, kh, kw, cg)
        cols.reshape(shape)[...] = get_array_module(x).lib.stride_tricks.as_strided(
            xpad, shape, (sc * cg, sn, sh * st_h, sw * st_w, sh * d_h, sw * d_w, sc))
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
        masked = (_POOL.take((chunks[0].stop * math.prod(grad.shape[1:]),), grad.dtype, xp)
                  if self.mask is not None else None)
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
            gx = dx if col2im is not None else _unpad(dx.reshape(self.xpad_shape), self.pads,
                                                      self.x.shape)
        if needs_kernel:
            gk = xp.moveaxis(gk, 0, 1).reshape(self.kernel.shape)
        return (gx, gk) if len(self.needs_grad) == 2 else (gx, gk, gb)

    def _grad_before_products(self, grad: Any, s: slice, gb: Any, buffer: Any, xp: Any) -> Any:
        """The gradient of the images ``s`` before the activation: ``grad · (y > 0)`` for the
        ReLU, written in ``buffer``; its sum over pixels added to the bias gradient ``gb``."""
        mask = None if self.mask is None else self.mask[s]
        if mask is None and gb is None:
            return grad
        masked = None if mask is None else buffer[:grad.size].reshape(grad.shape)
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
                _window(dx, i, j, self.out_hw, self.strides, self.dilation)[...] += (
                    xp.moveaxis(blocks[:, :, :, :, i, j], 0, 3))


# -- pooling -------------------------------------------------------------------------------------
class Pool2D(Op):
    """Max or average over ``pool_size`` windows of NHWC ``x``, moved by ``strides``.

    ``pads`` are explicit ``((top, bottom), (left, right))``. Padded positions never win a max
    and do not count in an average (Keras's ``'same'`` semantics). The max's gradient goes to
    the first maximal element of each window, as in PyTorch and TensorFlow.
    """

    def __init__(self, mode: str, pool_size: Sequence[int], strides: Sequence[int],
                 pads: Pads = ((0, 0), (0, 0))):
        if mode not in ("max", "average"):
            raise ValueError(f"mode must be 'max' or 'average'. Received: mode={mode!r}")
        self.mode, self.pads = mode, pads
        self.pool_size, self.strides = tuple(pool_size), tuple(strides)

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        ph, pw = self.pool_size
        fill = -xp.inf if self.mode == "max" else 0.0
        xpad = _pad(x, self.pads, fill)
        oh = _out_size(xpad.shape[1], ph, self.strides[0], 1)
        ow = _out_size(xpad.shape[2], pw, self.strides[1], 1)
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
        return (_window(x, i, j, self.out_hw, self.strides, (1, 1))
                for i in range(ph) for j in range(pw))

    def _counts(self, xp: Any, dtype: Any) -> Any:
        """How many real (unpadded) elements each window holds, shaped to broadcast on y."""
        if not any(sum(p) for p in self.pads):
            return dtype.type(self.pool_size[0] * self.pool_size[1])
        per_axis = []
        for size, pool, stride, (before, _), out in zip(
                self.x_shape[1:3], self.pool_size, self.strides, self.pads, self.out_hw,
                strict=True):
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
            return (_unpad(dx, self.pads, self.x_shape),)
        dx = (xp.empty if tiled else xp.zeros)(self.xpad_shape, dtype=grad.dtype)
        self._route(grad, dx, self.argmax, tiled, xp)
        return (_unpad(dx, self.pads, self.x_shape),)

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


# -- batch normalization -------------------------------------------------------------------------
class BatchNorm(Op):
    """``y = γ · (x - μ) / √(σ² + ε) + β`` per channel ``axis``, γ and β optional.

    With ``batch_stats=True`` the inputs are ``(x, [γ], [β])`` and μ, σ² are the batch's
    mean and (biased) variance over every other axis, differentiated through (the training
    formula); they are left in ``self.mean`` and ``self.variance`` for the moving averages.
    With ``batch_stats=False`` the inputs are ``(x, μ, σ², [γ], [β])``: given statistics, e.g.
    the moving ones at inference.
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, batch_stats: bool = True,
                 center: bool = True, scale: bool = True):
        self.axis, self.epsilon, self.batch_stats = axis, epsilon, batch_stats
        self.center, self.scale = center, scale

    def _split(self, args: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
        expected = (0 if self.batch_stats else 2) + self.scale + self.center
        if len(args) != expected:
            raise ValueError(
                f"BatchNorm(batch_stats={self.batch_stats}, scale={self.scale}, "
                f"center={self.center}) takes {expected} array(s) after x. Received: {len(args)}"
            )
        stats = () if self.batch_stats else args[:2]
        rest = list(args[len(stats):])
        gamma = rest.pop(0) if self.scale else None
        beta = rest.pop(0) if self.center else None
        return *(stats or (None, None)), gamma, beta

    def forward(self, x: Any, *args: Any) -> Any:
        xp = get_array_module(x)
        axis = self.axis % x.ndim
        self.axes = tuple(a for a in range(x.ndim) if a != axis)
        self.param_shape = tuple(n if a == axis else 1 for a, n in enumerate(x.shape))
        mean, variance, gamma, beta = self._split(args)
        if self.batch_stats:
            mean = x.mean(axis=self.axes)
            centered = x - mean.reshape(self.param_shape)
            variance = xp.square(centered).mean(axis=self.axes)
        else:
            centered = x - mean.reshape(self.param_shape)
        self.mean, self.variance, self.gamma = mean, variance, gamma
        self.inv_std = 1.0 / xp.sqrt(variance + x.dtype.type(self.epsilon))
        centered *= self.inv_std.reshape(self.param_shape)
        self.x_hat = centered
        y = centered * gamma.reshape(self.param_shape) if gamma is not None else centered.copy()
        if beta is not None:
            y += beta.reshape(self.param_shape)
        return y

    def backward(self, grad: Any) -> tuple:
        shape, axes = self.param_shape, self.axes
        count = grad.size // self.inv_std.size
        g_sum = grad.sum(axis=axes)
        g_xhat_sum = (grad * self.x_hat).sum(axis=axes)
        gain = self.inv_std if self.gamma is None else self.gamma * self.inv_std
        needs = list(self.needs_grad)
        grads: list[Any] = []
        if self.batch_stats:
            # d/dx through μ and σ² too: γ/σ · (g - mean(g) - x̂ · mean(g · x̂))
            gx = None
            if needs.pop(0):
                gx = self.x_hat * (-g_xhat_sum / count).reshape(shape)
                gx += grad
                gx -= (g_sum / count).reshape(shape)
                gx *= gain.reshape(shape)
            grads.append(gx)
        else:
            grads.append(grad * gain.reshape(shape) if needs.pop(0) else None)
            grads.append(-g_sum * gain if needs.pop(0) else None)
            # dy/dσ² = -γ · (x - μ) / 2(σ² + ε)^{3/2} = -γ x̂ / 2(σ² + ε)
            grads.append(-0.5 * g_xhat_sum * gain * self.inv_std if needs.pop(0) else None)
        if self.scale:
            grads.append(g_xhat_sum if needs.pop(0) else None)
        if self.center:
            grads.append(g_sum if needs.pop(0) else None)
        return tuple(grads)


# -- resampling ----------------------------------------------------------------------------------
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
        out = xp.full(tuple(n + a + b for n, (a, b) in zip(x.shape, self.pad_width, strict=True)),
                      self.constant_values, dtype=x.dtype)
        self.inner = tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, self.pad_width,
                                                                     strict=True))
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


# -- functions -----------------------------------------------------------------------------------
def standardize_data_format(data_format: str | None) -> str:
    """``data_format`` checked, with None meaning ``'channels_last'`` (Keras's default)."""
    if data_format is None:
        return "channels_last"
    value = data_format.lower() if isinstance(data_format, str) else data_format
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return value


def standardize_padding(padding: Any, allowed: Sequence[str] = PADDINGS) -> str:
    """``padding`` checked against ``allowed`` (case-insensitive, as in Keras)."""
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in allowed:
        raise ValueError(f"padding must be one of {tuple(allowed)}. Received: padding={padding!r}")
    return value


def _to_last(x: Tensor, data_format: str) -> Tensor:
    return Transpose((0, 2, 3, 1))(x) if data_format == "channels_first" else x


def _from_last(y: Tensor, data_format: str) -> Tensor:
    return Transpose((0, 3, 1, 2))(y) if data_format == "channels_first" else y


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def conv2d(x: Any, kernel: Any, bias: Any = None, strides: int | Sequence[int] = 1,
           padding: str = "valid", dilation_rate: int | Sequence[int] = 1,
           data_format: str | None = None, activation: str | None = None) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras) of a batch of images with ``kernel``.

    ``x``: ``(batch, h, w, in)`` (or ``(batch, in, h, w)`` with ``data_format='channels_first'``);
    ``kernel``: ``(kh, kw, in / groups, out)``, the groups read from the two shapes as Keras
    does; ``bias``: ``(out,)`` or None. ``padding``: ``'valid'`` or ``'same'``.
    ``activation``: None or ``'relu'``, fused into the product. A 1×1 kernel with unit strides
    is a dense layer on the channel axis and runs as one.
    """
    x, kernel = _tensor(x), _tensor(kernel)
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)
    strides = normalize_tuple(strides, 2, "strides")
    dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
    if x.ndim != 4 or kernel.ndim != 4:
        raise ValueError(
            "conv2d needs a 4-D input and a 4-D kernel (kh, kw, in, out). "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}"
        )
    x = _to_last(x, data_format)
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
        pads = _pads(x.shape[1:3], (kh, kw), strides, dilation, padding)
        y = Conv2D(strides, pads, dilation, groups, activation)(*args)
    return _from_last(y, data_format)


def conv1d(x: Any, kernel: Any, bias: Any = None, strides: int = 1, padding: str = "valid",
           dilation_rate: int = 1, data_format: str | None = None,
           activation: str | None = None) -> Tensor:
    """1-D convolution of ``(batch, steps, in)`` sequences with a ``(k, in / groups, out)`` kernel.

    Computed as :func:`conv2d` on a height of one. ``padding``: ``'valid'``, ``'same'`` or
    ``'causal'`` (zeros before the sequence only, so step ``t`` sees steps ``<= t``).
    """
    x, kernel = _tensor(x), _tensor(kernel)
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
    y = conv2d(x2, k2, bias, (1, stride), padding, (1, dilation), activation=activation)
    y = Reshape((n, y.shape[2], y.shape[3]))(y)
    return Transpose((0, 2, 1))(y) if data_format == "channels_first" else y


def _pool(mode: str, x: Any, pool_size: int | Sequence[int], strides: Any, padding: str,
          data_format: str | None) -> Tensor:
    x = _tensor(x)
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)
    pool_size = normalize_tuple(pool_size, 2, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, 2, "strides")
    if x.ndim != 4:
        raise ValueError(f"{mode} pooling needs a 4-D input. Received: x.shape={x.shape}")
    x = _to_last(x, data_format)
    pads = _pads(x.shape[1:3], pool_size, strides, (1, 1), padding)
    return _from_last(Pool2D(mode, pool_size, strides, pads)(x), data_format)


def max_pool2d(x: Any, pool_size: int | Sequence[int] = 2, strides: Any = None,
               padding: str = "valid", data_format: str | None = None) -> Tensor:
    """Maximum over each ``pool_size`` window; ``strides`` default to ``pool_size`` (Keras)."""
    return _pool("max", x, pool_size, strides, padding, data_format)


def avg_pool2d(x: Any, pool_size: int | Sequence[int] = 2, strides: Any = None,
               padding: str = "valid", data_format: str | None = None) -> Tensor:
    """Mean over each ``pool_size`` window (padded positions not counted); ``strides`` default to
    ``pool_size``."""
    return _pool("average", x, pool_size, strides, padding, data_format)


def max_pool1d(x: Any, pool_size: int = 2, strides: int | None = None, padding: str = "valid",
               data_format: str | None = None) -> Tensor:
    """Maximum over windows of ``(batch, steps, channels)`` sequences, as :func:`max_pool2d`
    on a height of one."""
    x = _tensor(x)
    if x.ndim != 3:
        raise ValueError(f"max_pool1d needs a 3-D input. Received: x.shape={x.shape}")
    axis = 2 if standardize_data_format(data_format) == "channels_first" else 1
    (size,) = normalize_tuple(pool_size, 1, "pool_size")
    stride = size if strides is None else normalize_tuple(strides, 1, "strides")[0]
    y = max_pool2d(Reshape(x.shape[:axis] + (1,) + x.shape[axis:])(x), (1, size), (1, stride),
                   padding, data_format)
    return Reshape(y.shape[:axis] + y.shape[axis + 1:])(y)


def batch_norm(x: Any, gamma: Any = None, beta: Any = None, axis: int = -1,
               epsilon: float = 1e-3, mean: Any = None, variance: Any = None) -> Tensor:
    """Batch normalization ``γ · (x - μ) / √(σ² + ε) + β`` along the channel ``axis``.

    With ``mean`` and ``variance`` None, μ and σ² are the batch's statistics over all the other
    axes (the training formula; call a :class:`BatchNorm` op directly to read them back from
    it). Otherwise the given statistics are used (inference). ``gamma`` and ``beta`` may be
    None (no scale, no offset).
    """
    if (mean is None) != (variance is None):
        raise ValueError("batch_norm needs both mean and variance, or neither.")
    stats = () if mean is None else (mean, variance)
    params = tuple(p for p in (gamma, beta) if p is not None)
    op = BatchNorm(axis, epsilon, batch_stats=mean is None, center=beta is not None,
                   scale=gamma is not None)
    return op(x, *stats, *params)


def pad(x: Any, pad_width: Sequence[tuple[int, int]], constant_values: float = 0.0) -> Tensor:
    """``x`` padded with ``constant_values``: one ``(before, after)`` pair per axis."""
    return Pad(pad_width, constant_values)(x)


def upsampling2d(x: Any, size: int | Sequence[int] = 2, data_format: str | None = None) -> Tensor:
    """Nearest-neighbour up-sampling: every pixel repeated ``size = (sh, sw)`` times."""
    x = _tensor(x)
    data_format = standardize_data_format(data_format)
    size = normalize_tuple(size, 2, "size")
    if x.ndim != 4:
        raise ValueError(f"upsampling2d needs a 4-D input. Received: x.shape={x.shape}")
    return _from_last(UpSample2D(size)(_to_last(x, data_format)), data_format)
