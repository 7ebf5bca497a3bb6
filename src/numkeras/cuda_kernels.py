"""The fused kernels on an NVIDIA GPU: CUDA twins of the C loops, launched through CuPy.

Each C kernel of ``numkeras._kernels`` and ``numkeras._conv_kernels`` (those of the training step
of a dense or convolutional network) has a twin here, with the C kernel's Python signature and
in-place semantics, so that :func:`numkeras.kernels.fused` hands either to the same caller:

==================  ===========================================================================
kernel              one CUDA thread per ...
==================  ===========================================================================
``adam``            weight: Adam's step (AMSGrad's with ``v_max``)
``sgd``             weight: SGD's step, plain, with momentum or with Nesterov momentum
``relu_grad``       element: ``g * (y > 0)``
``sigmoid_grad``    element: ``(1 - y) * y * g``
``bias_relu``       element: ``y = max(y + b, 0)`` and ReLU's mask
``bias_relu_grad``  element: ``g * mask``; and per channel: the bias gradient, summed down the
                    rows from +0, as NumPy's ``sum(axis=0)`` adds them
``im2col``          element of the windows matrix: its pixel of the image, or 0 outside it
``col2im``          image element: the sum of the windows' gradients that read it, in the C
                    loop's order (kernel positions descending)
``max_pool``        output: the window's maximum and its first winner's position
``max_pool_grad``   input element: the gradients of the windows it won, in window-position
                    order (the C loop's order of additions)
==================  ===========================================================================

All of them live in one CUDA source, :data:`SOURCE`, compiled on first use by the GPU module's
``RawKernel`` (CuPy's NVRTC; CuPy caches the binary on disk) and kept per module. Every kernel
is a grid-stride loop, so any grid covers any size. The source computes what the C loops
compute, operation by operation in the same order, and is compiled with ``--fmad=false``
(:data:`OPTIONS`): without that flag NVRTC contracts ``a * b + c`` into one fused multiply-add,
which rounds once where NumPy rounds twice. IEEE division and square root are NVRTC's default.

A bias gradient is a reduction; here one thread sums one channel down the rows, in NumPy's
order, rather than CuPy's ``sum(axis=0)``, whose tree of partial sums adds in another order
(other bits) and is a second launch. (NumPy sums a single channel, whose rows are contiguous,
pairwise: there the two agree within float32 rounding, not to the bit.) For a dense layer
(rows = the batch) that is cheap; for a convolution (rows = every pixel of the batch, few
channels) few threads run long loops, which a real GPU would rather split across blocks: a
measurement for a machine with a GPU.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

#: NVRTC options: no contraction into fused multiply-adds (see the module's docstring).
OPTIONS = ("--fmad=false",)
#: Threads per block: a multiple of the warp that keeps every SM busy at any occupancy limit.
THREADS = 256
#: The most blocks a launch asks for; the grid-stride loops cover the rest. 4096 blocks of 256
#: are 30 waves of an H100's 132 SMs at full occupancy, so no SM idles for want of blocks.
MAX_BLOCKS = 4096

SOURCE = r"""
/* numkeras's fused kernels on the GPU: the twins of _kernels.c and _conv_kernels.c, one
 * operation after another in the C loops' order (compile with --fmad=false). */

/* A grid-stride loop: thread t of the grid takes tasks t, t + (threads in the grid), ... */
#define GRID_STRIDE(i, tasks)                                                              \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (tasks);      \
         i += (long long)blockDim.x * gridDim.x)

/* NumPy's maximum(a, b) on float32: a NaN on either side wins; of two equal values the
 * second. */
__device__ __forceinline__ float np_maximum(float a, float b)
{
    return (a > b || a != a) ? a : b;
}

/* One Adam step; v_max is NULL, or AMSGrad's running maximum of v. c1 = 1 - b1 and
 * c2 = 1 - b2, rounded from double as the C kernel rounds them. */
extern "C" __global__ void adam(float *value, const float *grad, float *m, float *v,
                                float *v_max, float alpha, float b1, float c1, float b2,
                                float c2, float epsilon, long long n)
{
    GRID_STRIDE(i, n) {
        const float g = grad[i];
        const float m_i = m[i] * b1 + g * c1;
        const float v_i = v[i] * b2 + (g * g) * c2;
        m[i] = m_i;
        v[i] = v_i;
        float second = v_i;
        if (v_max != nullptr) {
            const float top = v_max[i];
            second = (top >= v_i || top != top) ? top : v_i;
            v_max[i] = second;
        }
        value[i] -= m_i / (sqrtf(second) + epsilon) * alpha;
    }
}

/* One SGD step; velocity NULL: plain, else momentum mu, Nesterov's when nesterov != 0. */
extern "C" __global__ void sgd(float *value, const float *grad, float *velocity, float lr,
                               float mu, int nesterov, long long n)
{
    GRID_STRIDE(i, n) {
        if (velocity == nullptr) {
            value[i] -= grad[i] * lr;
        } else if (nesterov) {
            const float step = grad[i] * lr;
            const float moved = velocity[i] * mu - step;
            velocity[i] = moved;
            value[i] = (value[i] - step) + moved * mu;
        } else {
            const float moved = velocity[i] * mu - grad[i] * lr;
            velocity[i] = moved;
            value[i] += moved;
        }
    }
}

/* ReLU's VJP from its output. A multiply by the comparison, not a select: a negative or NaN
 * g times 0 gives NumPy's -0 or NaN. */
extern "C" __global__ void relu_grad(const float *g, const float *y, float *out, long long n)
{
    GRID_STRIDE(i, n) out[i] = g[i] * (float)(y[i] > 0.0f);
}

/* The sigmoid's VJP from its output. */
extern "C" __global__ void sigmoid_grad(const float *g, const float *y, float *out,
                                        long long n)
{
    GRID_STRIDE(i, n) out[i] = ((1.0f - y[i]) * y[i]) * g[i];
}

/* y = max(y + bias, 0) in place over rows of f channels (bias NULL: no bias; relu 0: no
 * max), and mask = (y > 0) when mask is not NULL. */
extern "C" __global__ void bias_relu(float *y, const float *bias, int relu,
                                     unsigned char *mask, long long f, long long n)
{
    GRID_STRIDE(i, n) {
        float out = y[i];
        if (bias != nullptr)
            out = out + bias[i % f];
        if (relu)
            out = np_maximum(out, 0.0f);
        y[i] = out;
        if (mask != nullptr)
            mask[i] = (unsigned char)(out > 0.0f);
    }
}

/* g * mask at element i (g itself without a mask). */
__device__ __forceinline__ float masked(const float *g, const unsigned char *mask, long long i)
{
    return mask == nullptr ? g[i] : g[i] * (float)mask[i];
}

/* out = g * mask (when mask is not NULL), and bias_grad = the sum of the rows of f channels
 * of g * mask (when bias_grad is not NULL). Tasks [0, n) are the elements of out, the next f
 * the channels of bias_grad: a channel's thread recomputes its column's products (the same
 * bits as out's) rather than wait for them, so one launch does both. */
extern "C" __global__ void bias_relu_grad(const float *g, const unsigned char *mask, float *out,
                                          float *bias_grad, long long f, long long n)
{
    const long long elements = mask == nullptr ? 0 : n;
    const long long tasks = elements + (bias_grad == nullptr ? 0 : f);
    GRID_STRIDE(t, tasks) {
        if (t < elements) {
            out[t] = masked(g, mask, t);
            continue;
        }
        /* From +0, then row after row: NumPy's order for a sum over a strided axis. */
        const long long k = t - elements;
        float sum = 0.0f;
        for (long long row = 0; row < n; row += f)
            sum += masked(g, mask, row + k);
        bias_grad[k] = sum;
    }
}

/* The shape of a convolution, as _conv_kernels.c's Geometry: NHWC images n x h x w x c read
 * by kh x kw windows moved by (sh, sw) with dilation (dh, dw), (top, left) zeros before the
 * image, giving oh x ow outputs, the channels split into groups. */
#define CONV_GEOMETRY                                                                       \
    long long n, long long h, long long w, long long c, long long kh, long long kw,         \
        long long sh, long long sw, long long dh, long long dw, long long top,              \
        long long left, long long oh, long long ow, long long groups

/* cols (groups, n, oh, ow, kh, kw, c/groups) = the windows of NHWC x, 0 outside it:
 * cols[g, b, p, q, i, j, k] = x[b, p*sh + i*dh - top, q*sw + j*dw - left, g*c/groups + k].
 * total = the number of elements of cols. */
extern "C" __global__ void im2col(const float *x, float *cols, CONV_GEOMETRY, long long total)
{
    const long long cg = c / groups;
    GRID_STRIDE(e, total) {
        const long long k = e % cg, j = e / cg % kw, i = e / (cg * kw) % kh;
        const long long window = e / (cg * kw * kh); /* (group, b, p, q) in one index */
        const long long q = window % ow, p = window / ow % oh, b = window / (ow * oh) % n;
        const long long group = window / (ow * oh * n);
        const long long y = p * sh + i * dh - top, x_at = q * sw + j * dw - left;
        const int inside = y >= 0 && y < h && x_at >= 0 && x_at < w;
        cols[e] = inside ? x[((b * h + y) * w + x_at) * c + group * cg + k] : 0.0f;
    }
}

/* The adjoint of im2col: dx[b, y, x, g*c/groups + k] = the sum, from +0, of the elements of
 * cols whose window reads that pixel, with (p, q) ascending, i.e. the kernel positions (i, j)
 * descending: the order in which the C loop, reading cols in memory order, adds them.
 * total = the number of elements of dx. */
extern "C" __global__ void col2im(const float *cols, float *dx, CONV_GEOMETRY, long long total)
{
    const long long cg = c / groups;
    GRID_STRIDE(e, total) {
        const long long channel = e % c, x_at = e / c % w, y = e / c / w % h, b = e / c / w / h;
        const long long group = channel / cg, k = channel % cg;
        float sum = 0.0f;
        for (long long i = kh - 1; i >= 0; i--) {
            const long long p_sh = y + top - i * dh;
            if (p_sh < 0 || p_sh % sh != 0 || p_sh / sh >= oh)
                continue;
            for (long long j = kw - 1; j >= 0; j--) {
                const long long q_sw = x_at + left - j * dw;
                if (q_sw < 0 || q_sw % sw != 0 || q_sw / sw >= ow)
                    continue;
                const long long window = ((group * n + b) * oh + p_sh / sh) * ow + q_sw / sw;
                sum += cols[((window * kh + i) * kw + j) * cg + k];
            }
        }
        dx[e] = sum;
    }
}

/* y[b, p, q, k] = the max of NHWC x (already padded, h x w x c) over the kh x kw window at
 * (p*sh, q*sw), NaN winning; argmax (or NULL) = the window position i*kw + j of its first
 * maximum. total = the number of outputs. */
extern "C" __global__ void max_pool(const float *x, float *y, unsigned char *argmax,
                                    long long h, long long w, long long c, long long kh,
                                    long long kw, long long sh, long long sw, long long oh,
                                    long long ow, long long total)
{
    GRID_STRIDE(o, total) {
        const long long k = o % c, q = o / c % ow, p = o / c / ow % oh, b = o / c / ow / oh;
        const float *corner = x + ((b * h + p * sh) * w + q * sw) * c + k;
        float best = corner[0];
        unsigned char winner = 0;
        for (long long i = 0; i < kh; i++)
            for (long long j = (i == 0); j < kw; j++) {
                const float candidate = corner[(i * w + j) * c];
                /* Positions only grow: the winner's is a running maximum. */
                const unsigned char position = (unsigned char)(i * kw + j);
                const unsigned char won = position * (unsigned char)(candidate > best);
                winner = winner > won ? winner : won;
                best = np_maximum(best, candidate);
            }
        y[o] = best;
        if (argmax != nullptr)
            argmax[o] = winner;
    }
}

/* dx (NHWC, padded, h x w x c) = for each element, the sum over the window positions (i, j)
 * in order of grad * (argmax == i*kw + j) of the one window at that position that holds it,
 * from +0 as the C loop's zeros. When the windows tile dx (tiled != 0) an element has exactly
 * one window and the C loop stores its part: the sum then starts from -0, as -0 + part is
 * part to the bit (a +0 start would turn a -0 part into +0). total = the number of elements. */
extern "C" __global__ void max_pool_grad(const float *grad, const unsigned char *argmax,
                                         float *dx, long long h, long long w, long long c,
                                         long long kh, long long kw, long long sh, long long sw,
                                         long long oh, long long ow, int tiled, long long total)
{
    GRID_STRIDE(e, total) {
        const long long k = e % c, col = e / c % w, row = e / c / w % h, b = e / c / w / h;
        float sum = tiled ? -0.0f : 0.0f;
        for (long long i = 0; i < kh; i++) {
            const long long top = row - i;
            if (top < 0 || top % sh != 0 || top / sh >= oh)
                continue;
            for (long long j = 0; j < kw; j++) {
                const long long left = col - j;
                if (left < 0 || left % sw != 0 || left / sw >= ow)
                    continue;
                const long long at = ((b * oh + top / sh) * ow + left / sw) * c + k;
                const unsigned char position = (unsigned char)(i * kw + j);
                sum += grad[at] * (float)(argmax[at] == position);
            }
        }
        dx[e] = sum;
    }
}
"""


def _array(
    module: ModuleType, name: str, a: Any, size: int | None = None, dtype: type = np.float32
) -> Any:
    """``a``, checked to be a C-contiguous ``dtype`` array of ``module`` with ``size`` elements
    (any number when None): a kernel given anything else would read or write out of bounds."""
    if not isinstance(a, module.ndarray) or a.dtype != dtype or not a.flags.c_contiguous:
        kind = type(a)
        given = f"{kind.__module__}.{kind.__name__}"
        if hasattr(a, "dtype"):
            given += f" of {a.dtype}, C-contiguous={a.flags.c_contiguous}"
        raise TypeError(
            f"{name} must be a C-contiguous {np.dtype(dtype).name} array of {module.__name__}. "
            f"Received: {name}: {given}"
        )
    if size is not None and a.size != size:
        raise ValueError(f"{name} has {a.size} elements; expected {size}")
    return a


def _optional(module: ModuleType, name: str, a: Any, size: int, dtype: type = np.float32) -> Any:
    """:func:`_array` for an argument that may be None (the kernel's NULL pointer)."""
    return None if a is None else _array(module, name, a, size, dtype)


def _rows(name: str, channels: Any, n: int, rows_of: str) -> int:
    """The length f of the per-channel vector ``channels``, which must cut ``n`` elements into
    whole rows."""
    f = channels.size
    if f == 0 or n % f != 0:
        raise ValueError(f"{rows_of} has {n} elements, not rows of len({name})={f}")
    return f


def _conv_geometry(
    x_shape: Sequence[int],
    kernel_hw: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    top_left: Sequence[int],
    out_hw: Sequence[int],
    groups: int,
) -> tuple[int, ...]:
    """``(n, h, w, c, kh, kw, sh, sw, dh, dw, top, left, oh, ow, groups)``, checked as the C
    kernel checks it: sizes of 1 or more, no negative padding, channels split into the groups
    (the kernels test every window position against the image, so any output size is safe)."""
    pairs = (kernel_hw, strides, dilation, top_left, out_hw)
    geometry = (*(int(v) for v in x_shape), *(int(v) for pair in pairs for v in pair), int(groups))
    n, h, w, c, kh, kw, sh, sw, dh, dw, top, left, oh, ow, groups = geometry
    if (
        min(n, h, w, c, kh, kw, sh, sw, dh, dw, oh, ow, groups) < 1
        or min(top, left) < 0
        or (c % groups)
    ):
        raise ValueError(
            "convolution geometry must have sizes of 1 or more, no negative padding and "
            f"channels divisible by groups. Received: x_shape={tuple(x_shape)}, "
            f"kernel_hw={tuple(kernel_hw)}, strides={tuple(strides)}, "
            f"dilation={tuple(dilation)}, top_left={tuple(top_left)}, out_hw={tuple(out_hw)}, "
            f"groups={groups}"
        )
    return geometry


def _pool_geometry(
    x_shape: Sequence[int], pool_hw: Sequence[int], strides: Sequence[int], out_hw: Sequence[int]
) -> tuple[int, ...]:
    """``(n, h, w, c, kh, kw, sh, sw, oh, ow)``, checked as the C kernel checks it: sizes of 1
    or more, every window inside the input, at most 256 positions (argmax is uint8)."""
    n, h, w, c = (int(v) for v in x_shape)
    (kh, kw), (sh, sw), (oh, ow) = ((int(a), int(b)) for a, b in (pool_hw, strides, out_hw))
    geometry = (n, h, w, c, kh, kw, sh, sw, oh, ow)
    if min(geometry) < 1 or (oh - 1) * sh + kh > h or (ow - 1) * sw + kw > w or kh * kw > 256:
        raise ValueError(
            "pooling geometry must keep every window inside the input, with at most 256 "
            f"positions. Received: x_shape={tuple(x_shape)}, pool_hw={tuple(pool_hw)}, "
            f"strides={tuple(strides)}, out_hw={tuple(out_hw)}"
        )
    return geometry


class DeviceKernels:
    """The kernels for the arrays of one GPU module (CuPy, or a test's stand-in with CuPy's
    ``RawKernel``), each with its C twin's signature, compiled on first call."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._compiled: dict[str, Any] = {}

    def _launch(self, name: str, tasks: int, *args: Any) -> None:
        """Run kernel ``name`` over ``tasks`` tasks: enough blocks of :data:`THREADS` for one
        task per thread, up to :data:`MAX_BLOCKS` (the grid-stride loops take the rest)."""
        if tasks == 0:
            return
        kernel = self._compiled.get(name)
        if kernel is None:
            kernel = self._compiled[name] = self._module.RawKernel(SOURCE, name, options=OPTIONS)
        blocks = min(-(-tasks // THREADS), MAX_BLOCKS)
        kernel((blocks,), (THREADS,), args)

    def adam(
        self,
        value: Any,
        grad: Any,
        m: Any,
        v: Any,
        v_max: Any,
        alpha: float,
        beta_1: float,
        beta_2: float,
        epsilon: float,
    ) -> None:
        """One Adam step in place: ``m = β1·m + (1-β1)·g``, ``v = β2·v + (1-β2)·g²``,
        ``v_max = max(v_max, v)`` (AMSGrad; ``v_max`` None otherwise),
        ``value -= m / (√(v_max or v) + ε) · α``."""
        xp = self._module
        n = _array(xp, "value", value).size
        beta_1, beta_2 = float(beta_1), float(beta_2)
        arrays = [value] + [_array(xp, k, a, n) for k, a in (("grad", grad), ("m", m), ("v", v))]
        arrays.append(_optional(xp, "v_max", v_max, n))
        f32 = np.float32
        scalars = (f32(alpha), f32(beta_1), f32(1.0 - beta_1), f32(beta_2), f32(1.0 - beta_2))
        self._launch("adam", n, *arrays, *scalars, f32(epsilon), np.int64(n))

    def sgd(
        self,
        value: Any,
        grad: Any,
        velocity: Any,
        learning_rate: float,
        momentum: float,
        nesterov: bool,
    ) -> None:
        """One SGD step in place. ``velocity`` None: ``value -= lr·g``; else
        ``velocity = μ·velocity - lr·g`` then ``value += velocity``, or with ``nesterov``
        ``value += μ·velocity - lr·g``."""
        xp = self._module
        n = _array(xp, "value", value).size
        grad, velocity = _array(xp, "grad", grad, n), _optional(xp, "velocity", velocity, n)
        rates = (np.float32(learning_rate), np.float32(momentum), np.int32(bool(nesterov)))
        self._launch("sgd", n, value, grad, velocity, *rates, np.int64(n))

    def _output_activation_grad(self, name: str, g: Any, y: Any, out: Any) -> None:
        xp = self._module
        n = _array(xp, "g", g).size
        y, out = _array(xp, "y", y, n), _array(xp, "out", out, n)
        self._launch(name, n, g, y, out, np.int64(n))

    def relu_grad(self, g: Any, y: Any, out: Any) -> None:
        """ReLU's vector-Jacobian product from its output: ``out = g · (y > 0)``."""
        self._output_activation_grad("relu_grad", g, y, out)

    def sigmoid_grad(self, g: Any, y: Any, out: Any) -> None:
        """The sigmoid's vector-Jacobian product from its output: ``out = (1 - y) · y · g``."""
        self._output_activation_grad("sigmoid_grad", g, y, out)

    def bias_relu(self, y: Any, bias: Any, relu: bool, mask: Any = None) -> None:
        """In place on ``y``, rows of ``len(bias)`` channels (``bias`` may be None):
        ``y += bias``, then with ``relu`` ``y = maximum(y, 0)``; and ``mask = y > 0`` (uint8)
        when given."""
        xp = self._module
        n = _array(xp, "y", y).size
        mask = _optional(xp, "mask", mask, n, np.uint8)
        f = n if bias is None else _rows("bias", _array(xp, "bias", bias), n, "y")
        self._launch("bias_relu", n, y, bias, np.int32(bool(relu)), mask, np.int64(f), np.int64(n))

    def bias_relu_grad(self, g: Any, mask: Any, out: Any, bias_grad: Any) -> None:
        """With ReLU's uint8 ``mask``, ``out = g · mask``; ``bias_grad`` = the sum of the rows
        of ``out`` (of ``g`` without a mask), row after row from +0. ``mask`` and ``out``, or
        ``bias_grad``, may be None."""
        xp = self._module
        n = _array(xp, "g", g).size
        if (mask is None) != (out is None):
            raise ValueError("bias_relu_grad needs both mask and out, or neither")
        mask, out = _optional(xp, "mask", mask, n, np.uint8), _optional(xp, "out", out, n)
        f = n
        if bias_grad is not None:
            f = _rows("bias_grad", _array(xp, "bias_grad", bias_grad), n, "g")
        tasks = (0 if mask is None else n) + (0 if bias_grad is None else f)
        self._launch("bias_relu_grad", tasks, g, mask, out, bias_grad, np.int64(f), np.int64(n))

    def _im2col_or_col2im(self, name: str, source: Any, target: Any, geometry: tuple) -> None:
        """Check the image-shaped and the cols-shaped buffer against ``geometry`` (that of
        :func:`_conv_geometry`) and launch ``name`` (``im2col`` reads the image) over the
        elements of its ``target``."""
        n, h, w, c, kh, kw, *_, oh, ow, _ = geometry = _conv_geometry(*geometry)
        image, windows = n * h * w * c, n * oh * ow * kh * kw * c
        to_cols = name == "im2col"
        source = _array(
            self._module, "x" if to_cols else "cols", source, image if to_cols else windows
        )
        target = _array(
            self._module, "cols" if to_cols else "dx", target, windows if to_cols else image
        )
        total = target.size
        self._launch(name, total, source, target, *map(np.int64, geometry), np.int64(total))

    def im2col(
        self,
        x: Any,
        cols: Any,
        x_shape: Sequence[int],
        kernel_hw: Sequence[int],
        strides: Sequence[int],
        dilation: Sequence[int],
        top_left: Sequence[int],
        out_hw: Sequence[int],
        groups: int,
    ) -> None:
        """Copy the windows of NHWC ``x`` into ``cols``, ``(groups, n, oh, ow, kh, kw,
        c/groups)``: ``cols[g, n, p, q, i, j, k] = x[n, p·sh + i·dh - top, q·sw + j·dw - left,
        g·c/groups + k]``, 0 outside ``x``."""
        geometry = (x_shape, kernel_hw, strides, dilation, top_left, out_hw, groups)
        self._im2col_or_col2im("im2col", x, cols, geometry)

    def col2im(
        self,
        cols: Any,
        dx: Any,
        x_shape: Sequence[int],
        kernel_hw: Sequence[int],
        strides: Sequence[int],
        dilation: Sequence[int],
        top_left: Sequence[int],
        out_hw: Sequence[int],
        groups: int,
    ) -> None:
        """The adjoint of :meth:`im2col`: each pixel of ``dx`` = the sum, from +0, of the
        columns' gradients whose window reads it, kernel positions in reverse order."""
        geometry = (x_shape, kernel_hw, strides, dilation, top_left, out_hw, groups)
        self._im2col_or_col2im("col2im", cols, dx, geometry)

    def max_pool(
        self,
        x: Any,
        y: Any,
        argmax: Any,
        x_shape: Sequence[int],
        pool_hw: Sequence[int],
        strides: Sequence[int],
        out_hw: Sequence[int],
    ) -> None:
        """``y[n, p, q, c]`` = the max of NHWC ``x`` (already padded) over the window at
        ``(p·sh, q·sw)``, NaN winning; ``argmax`` (uint8, or None) = the window position
        ``i·pw + j`` of its first maximum."""
        xp = self._module
        n, h, w, c, *window = _pool_geometry(x_shape, pool_hw, strides, out_hw)
        oh, ow = window[-2:]
        total = n * oh * ow * c
        arrays = (_array(xp, "x", x, n * h * w * c), _array(xp, "y", y, total))
        argmax = _optional(xp, "argmax", argmax, total, np.uint8)
        sizes = (np.int64(v) for v in (h, w, c, *window, total))
        self._launch("max_pool", total, *arrays, argmax, *sizes)

    def max_pool_grad(
        self,
        grad: Any,
        argmax: Any,
        dx: Any,
        x_shape: Sequence[int],
        pool_hw: Sequence[int],
        strides: Sequence[int],
        out_hw: Sequence[int],
        tiled: bool,
    ) -> None:
        """Route each window's gradient to its winner in ``dx`` (NHWC, padded): each element
        of ``dx`` = the sum, over the window positions in order, of ``grad · (argmax == k)``
        of the windows holding it (from 0; stored as is when the windows tile ``dx``)."""
        xp = self._module
        n, h, w, c, kh, kw, sh, sw, oh, ow = _pool_geometry(x_shape, pool_hw, strides, out_hw)
        if tiled and ((sh, sw) != (kh, kw) or (oh * sh, ow * sw) != (h, w)):
            raise ValueError("max_pool_grad: tiled, but the windows do not tile dx")
        outputs, total = n * oh * ow * c, n * h * w * c
        grad = _array(xp, "grad", grad, outputs)
        argmax = _array(xp, "argmax", argmax, outputs, np.uint8)
        dx = _array(xp, "dx", dx, total)
        sizes = (np.int64(v) for v in (h, w, c, kh, kw, sh, sw, oh, ow))
        self._launch(
            "max_pool_grad", total, grad, argmax, dx, *sizes, np.int32(tiled), np.int64(total)
        )


#: The kernels that have a CUDA twin.
NAMES = frozenset(
    name
    for name, member in vars(DeviceKernels).items()
    if callable(member) and not name.startswith("_")
)


@functools.cache
def for_module(module: ModuleType) -> DeviceKernels | None:
    """The kernels for ``module``'s arrays, or None when it has no ``RawKernel`` (a stand-in
    without a C++ compiler to emulate one)."""
    return DeviceKernels(module) if hasattr(module, "RawKernel") else None


def kernel(module: ModuleType, name: str) -> Callable[..., None] | None:
    """The CUDA twin of C kernel ``name`` for ``module``'s arrays, or None if it has none."""
    kernels = for_module(module) if name in NAMES else None
    return None if kernels is None else getattr(kernels, name)
