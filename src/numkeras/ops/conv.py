"""Convolution, pooling, batch normalization, padding and up-sampling ops.

The ops compute on channels-last arrays, ``(batch, height, width, channels)``; the functions at
the bottom take Keras's ``data_format`` and move channels-first data around them.

Convolution is im2col plus one matrix product. The im2col matrix, ``(batch·out_h·out_w,
kh·kw·in)``, is copied once from a strided view of the (padded) input, so no Python loop runs
over samples or pixels, and the kernel ``(kh, kw, in, out)`` reshapes to its ``(kh·kw·in, out)``
matrix for free. Backward is one product for the kernel gradient and one batched product for the
input gradient, whose columns are added back into place with a loop over the ``kh·kw`` kernel
positions (col2im). Pooling reads the same strided windows, one kernel position at a time.

The im2col matrices are the largest arrays of a convolutional network and have the same size at
every step, so they come from a small pool of scratch buffers instead of fresh allocations (a
fresh 100 MB array costs as many page faults as copying it). BLAS runs the products on every
core; the element-wise passes around them (im2col, col2im, ReLU masks, pooling) run on chunks of
the batch in threads, one per core, since NumPy releases the GIL inside its loops, when the
BLAS's idle threads do not hold the cores (with OpenBLAS: ``OPENBLAS_THREAD_TIMEOUT=4``, set
before NumPy is imported).
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..backend import get_array_module
from .core import Op, Tensor
from .nn import Dense
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


# -- scratch buffers -----------------------------------------------------------------------------
class _ScratchPool:
    """Large arrays handed out for the life of an op and taken back when the op is gone.

    A buffer is lent to one op only, so two layers (or two calls of one layer) never share live
    scratch; it returns to the pool when the op is garbage-collected, i.e. when the training step
    drops its tape, and the next step's op of the same shape gets it back.
    """

    def __init__(self, max_free: int = 6):
        self.max_free = max_free
        self._free: list[Any] = []

    def take(self, shape: tuple[int, ...], dtype: Any, xp: Any) -> Any:
        size = math.prod(shape)
        for k, buf in enumerate(self._free):
            if buf.size == size and buf.dtype == dtype and get_array_module(buf) is xp:
                return self._free.pop(k).reshape(shape)
        return xp.empty(shape, dtype=dtype)

    def give(self, buf: Any) -> None:
        self._free.append(buf)
        if len(self._free) > self.max_free:
            self._free.pop(0)

    def lend(self, owner: Any, shape: tuple[int, ...], dtype: Any, xp: Any) -> Any:
        """A buffer that comes back to the pool when ``owner`` is collected."""
        buf = self.take(shape, dtype, xp)
        weakref.finalize(owner, self.give, buf).atexit = False
        return buf


_POOL = _ScratchPool()


# -- threads -------------------------------------------------------------------------------------
_THREADS: ThreadPoolExecutor | None = None
_MIN_PARALLEL_SIZE = 1 << 18  # elements below which threads cost more than they save


def _forget_threads() -> None:
    """A forked child has none of its parent's threads: let it start its own pool."""
    global _THREADS
    _THREADS = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _blas_leaves_cores_free() -> bool:
    """Whether the BLAS's threads let go of the cores between products.

    OpenBLAS's idle threads spin for 2**28 cycles (about 0.1 s) after each product before they
    sleep, so during training they hold every core, and threads of ours only fight them (a few
    per cent slower). They let go when ``OPENBLAS_THREAD_TIMEOUT`` (the log2 of that spin,
    read when NumPy loads OpenBLAS) is small, or when BLAS runs single-threaded.
    """
    env = os.environ
    if "1" in (env.get("OPENBLAS_NUM_THREADS"), env.get("OMP_NUM_THREADS")):
        return True
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"].lower()
    except (AttributeError, KeyError, TypeError):
        return False
    timeout = env.get("OPENBLAS_THREAD_TIMEOUT", env.get("GOTO_THREAD_TIMEOUT", ""))
    return "openblas" in blas and timeout.isdigit() and int(timeout) <= 20


_PARALLEL = _blas_leaves_cores_free()


def _batch_parallel(fn: Callable[[slice], Any], n: int, size: int, xp: Any) -> list[Any]:
    """``[fn(s) for s in chunks]`` over chunks of the batch axis ``range(n)``, one per core.

    BLAS already spreads the matrix products over the cores; this does the same for the
    element-wise passes around them (im2col, col2im, masks, pooling), which NumPy runs on one
    core but outside the GIL. It does so only where the BLAS leaves the cores free between
    products (see :func:`_blas_leaves_cores_free`) and ``size`` (elements touched) is large
    enough to pay for the threads; otherwise, and for CuPy arrays, it runs one chunk.
    """
    global _THREADS
    workers = min(_cores(), n)
    if not _PARALLEL or xp is not np or workers < 2 or size < _MIN_PARALLEL_SIZE:
        return [fn(slice(0, n))]
    if _THREADS is None:
        _THREADS = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="numkeras")
    bounds = [n * i // workers for i in range(workers + 1)]
    chunks = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    futures = [_THREADS.submit(fn, chunk) for chunk in chunks[1:]]
    return [fn(chunks[0])] + [future.result() for future in futures]


# -- convolution ---------------------------------------------------------------------------------
class Conv2D(Op):
    """2-D cross-correlation of NHWC ``x`` with a ``(kh, kw, in/groups, out)`` kernel.

    ``y[n, p, q, f] = act(b[f] + Σ_{i,j,c} x_pad[n, p·sh + i·dh, q·sw + j·dw, c] · k[i, j, c, f])``,
    the sum over the input channels of ``f``'s group. ``pads`` are explicit
    ``((top, bottom), (left, right))`` zeros; ``activation`` is None or ``'relu'`` (applied in
    the product's output buffer, like :class:`~numkeras.ops.nn.Dense`).
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
        n, _, _, c = x.shape
        kh, kw, cg, f = kernel.shape
        g = self.groups
        if c != cg * g or f % g:
            raise ValueError(
                f"conv2d needs in_channels = kernel.shape[2] * groups and out_channels divisible "
                f"by groups. Received: x.shape={x.shape}, kernel.shape={kernel.shape}, groups={g}"
            )
        xpad = _pad(x, self.pads)
        oh = _out_size(xpad.shape[1], kh, self.strides[0], self.dilation[0])
        ow = _out_size(xpad.shape[2], kw, self.strides[1], self.dilation[1])
        if oh < 1 or ow < 1:
            raise ValueError(
                f"conv2d's kernel (dilated) is larger than its padded input. Received: "
                f"x.shape={x.shape}, kernel.shape={kernel.shape}, pads={self.pads}, "
                f"dilation={self.dilation}"
            )
        self.x_shape, self.xpad_shape, self.out_hw = x.shape, xpad.shape, (oh, ow)
        self.kernel = kernel
        m, k = n * oh * ow, kh * kw * cg
        sn, sh, sw, sc = xpad.strides
        (st_h, st_w), (d_h, d_w) = self.strides, self.dilation
        windows = xp.lib.stride_tricks.as_strided(
            xpad, (g, n, oh, ow, kh, kw, cg),
            (sc * cg, sn, sh * st_h, sw * st_w, sh * d_h, sw * d_w, sc),
        )
        dtype = xp.result_type(x.dtype, kernel.dtype)
        recording = bool(self.needs_grad)
        cols = (_POOL.lend(self, windows.shape, dtype, xp) if recording
                else _POOL.take(windows.shape, dtype, xp))
        _batch_parallel(lambda s: xp.copyto(cols[:, s], windows[:, s]), n, cols.size, xp)
        self.cols = cols.reshape(g, m, k)
        # BLAS takes the kernel's (g, k, f/g) matrices only when each is contiguous: copy them.
        kernels = xp.ascontiguousarray(kernel.reshape(k, g, f // g).transpose(1, 0, 2))
        y = xp.matmul(self.cols, kernels)
        y = xp.moveaxis(y, 0, 1).reshape(n, oh, ow, f)  # free when groups == 1
        if not recording:
            _POOL.give(cols)
            self.cols = None
        if bias is not None or self.activation == "relu":
            _batch_parallel(lambda s: self._finish(y[s], bias, xp), n, y.size, xp)
        self.y = y if self.activation == "relu" else None
        return y

    @staticmethod
    def _relu_grad(grad: Any, y: Any, out: Any, xp: Any) -> None:
        """``out = grad · (y > 0)``, the mask made in the gradient's dtype: a float product is
        faster than one with a boolean."""
        xp.greater(y, 0, out=out)
        out *= grad

    def _finish(self, y: Any, bias: Any, xp: Any) -> None:
        """Bias and ReLU, in place in the product's output."""
        if bias is not None:
            y += bias
        if self.activation == "relu":
            xp.maximum(y, 0, out=y)

    def backward(self, grad: Any) -> tuple:
        xp = get_array_module(grad)
        kh, kw, cg, f = self.kernel.shape
        g, (oh, ow) = self.groups, self.out_hw
        n = self.x_shape[0]
        m = n * oh * ow
        if self.activation == "relu":
            masked = xp.empty_like(grad)
            _batch_parallel(lambda s: self._relu_grad(grad[s], self.y[s], masked[s], xp), n,
                            grad.size, xp)
            grad = masked
        grad2 = grad.reshape(m, f)
        per_group = grad2.reshape(m, g, f // g).transpose(1, 0, 2)  # (g, m, f/g), a view
        gx = gk = gb = None
        if self.needs_grad[1]:
            gk = xp.matmul(self.cols.transpose(0, 2, 1), per_group)
            gk = xp.moveaxis(gk, 0, 1).reshape(self.kernel.shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            gb = sum(_batch_parallel(lambda s: grad[s].reshape(-1, f).sum(axis=0), n, grad.size,
                                     xp))
        if self.needs_grad[0]:
            gx = self._input_grad(per_group, xp)
        return (gx, gk) if len(self.needs_grad) == 2 else (gx, gk, gb)

    def _input_grad(self, per_group: Any, xp: Any) -> Any:
        """col2im: one batched product gives each kernel position's columns, added into place."""
        kh, kw, cg, f = self.kernel.shape
        g, (oh, ow), n = self.groups, self.out_hw, self.x_shape[0]
        # (kh·kw, g, f/g, cg): per kernel position and group, the matrix that maps out to in,
        # contiguous so that BLAS takes it.
        k_t = self.kernel.reshape(kh * kw, cg, g, f // g).transpose(0, 2, 3, 1)
        k_t = xp.ascontiguousarray(k_t)
        cols = _POOL.take((kh * kw, g, n * oh * ow, cg), self.cols.dtype, xp)
        xp.matmul(per_group[None], k_t, out=cols)
        dx = xp.zeros(self.xpad_shape[:3] + (g, cg), dtype=cols.dtype)
        blocks = cols.reshape(kh, kw, g, n, oh, ow, cg)

        def scatter(s: slice) -> None:
            for i in range(kh):
                for j in range(kw):
                    _window(dx[s], i, j, self.out_hw, self.strides, self.dilation)[...] += (
                        xp.moveaxis(blocks[i, j, :, s], 0, 3))

        _batch_parallel(scatter, n, cols.size, xp)
        _POOL.give(cols)
        return _unpad(dx.reshape(self.xpad_shape), self.pads, self.x_shape)


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
        argmax = self.argmax

        def reduce(s: slice) -> None:
            self._reduce(xpad[s], y[s], None if argmax is None else argmax[s], xp)

        _batch_parallel(reduce, n, xpad.size, xp)
        return y

    def _reduce(self, xpad: Any, y: Any, argmax: Any, xp: Any) -> None:
        """``y`` = the max or mean of each window of ``xpad`` (one chunk of the batch), and the
        winners' kernel positions in ``argmax`` when it is given."""
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
        dx = (xp.empty if tiled else xp.zeros)(self.xpad_shape, dtype=grad.dtype)
        argmax = self.argmax

        def route(s: slice) -> None:
            self._route(grad[s], dx[s], None if argmax is None else argmax[s], tiled, xp)

        _batch_parallel(route, grad.shape[0], dx.size, xp)
        return (_unpad(dx, self.pads, self.x_shape),)

    def _route(self, grad: Any, dx: Any, argmax: Any, tiled: bool, xp: Any) -> None:
        """Send each window's gradient back to its input: all of it to the max's winner, an
        equal share to each real element for the mean (one chunk of the batch)."""
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
