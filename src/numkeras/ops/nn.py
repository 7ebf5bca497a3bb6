"""Neural-network ops: every activation op, the fused dense layer, fused losses and dropout.

The rule: an activation that is one op lives here, as in Keras's ``keras.ops.nn``;
:mod:`numkeras.ops.special` holds the functions that NumPy lacks (``erf``), and the activations
composed of ops (GELU, SiLU, ...) are in :mod:`numkeras.activations`.

The fused ops exist for speed and numerical stability: ``Dense`` computes ``act(x @ W + b)`` in
the matrix product's own output buffer, and the softmax/sigmoid cross-entropies work on logits,
so their gradients are the simple ``p - y`` and no ``log(0)`` can occur. ``LeakyReLU`` and
``ELU`` (which also serves SELU) are piecewise activations that a composition of ops would
compute in many passes over the array. As one op each, they blend their two pieces with
arithmetic (``max``, ``min``, a multiply by the mask) rather than ``where``, whose branch per
element costs some thirty times a multiply when the signs are random.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, blas, kernels
from ..backend import get_array_module
from . import scratch
from .core import Op, Tensor, convert_to_tensor, mark_logits, unbroadcast

#: SELU's constants (Klambauer et al., 2017): they keep the mean and variance of the activations
#: at 0 and 1 across layers initialised with ``lecun_normal``.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class MatMul(Op):
    """Matrix product ``a @ b`` with NumPy's rules (batch dimensions broadcast, 1-D promoted)."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a @ b

    def backward(self, g: Any) -> tuple:
        if self.a.ndim == 1 and self.b.ndim == 1:
            return g * self.b, g * self.a
        xp = get_array_module(g)
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        if self.a.ndim == 1:
            g = xp.expand_dims(g, -2)
        if self.b.ndim == 1:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if self.needs_grad[0]:
            ga = unbroadcast(g @ xp.swapaxes(b, -1, -2), a.shape).reshape(self.a.shape)
        if self.needs_grad[1]:
            gb = unbroadcast(xp.swapaxes(a, -1, -2) @ g, b.shape).reshape(self.b.shape)
        return ga, gb


def relu_into(x: Any, out: Any) -> Any:
    """``out = max(x, 0)``; ``out`` may be ``x``."""
    return get_array_module(x).maximum(x, 0, out=out)


def relu_grad(g: Any, y: Any) -> Any:
    """The VJP of ReLU from its output ``y``: ``g`` where ``y > 0``, else 0."""
    xp = get_array_module(y)
    out = xp.empty_like(g)
    kernel = kernels.fused("relu_grad", g, y, out)
    if kernel is not None:
        kernel(g, y, out)
        return out
    # The mask is made in g's dtype, so that the product is a plain float multiply.
    mask = xp.greater(y, 0, out=out)
    mask *= g
    return mask


def sigmoid_into(x: Any, out: Any) -> Any:
    """``out = σ(x) = (1 + tanh(x/2)) / 2`` (no exp overflows); ``out`` may be ``x``."""
    xp = get_array_module(x)
    xp.multiply(x, 0.5, out=out)
    xp.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def sigmoid_grad(g: Any, y: Any) -> Any:
    """The VJP of the sigmoid from its output ``y``: ``g · y · (1 - y)``, in one new array."""
    xp = get_array_module(y)
    d = xp.empty_like(g)
    kernel = kernels.fused("sigmoid_grad", g, y, d)
    if kernel is not None:
        kernel(g, y, d)
        return d
    xp.subtract(1, y, out=d)
    d *= y
    d *= g
    return d


def tanh_into(x: Any, out: Any) -> Any:
    """``out = tanh(x)``; ``out`` may be ``x``."""
    return get_array_module(x).tanh(x, out=out)


def tanh_grad(g: Any, y: Any) -> Any:
    """The VJP of tanh from its output ``y``: ``g · (1 - y²)``, in one new array."""
    d = y * y
    get_array_module(y).subtract(1, d, out=d)
    d *= g
    return d


#: Activations whose value and VJP need only the output: (compute into, VJP from the output).
#: ``Dense`` applies them in the product's own buffer.
OUTPUT_ACTIVATIONS = {
    "relu": (relu_into, relu_grad),
    "sigmoid": (sigmoid_into, sigmoid_grad),
    "tanh": (tanh_into, tanh_grad),
}


class _OutputActivation(Op):
    """An element-wise activation whose VJP needs only its output (see OUTPUT_ACTIVATIONS)."""

    name = ""

    def forward(self, x: Any) -> Any:
        self.y = OUTPUT_ACTIVATIONS[self.name][0](x, get_array_module(x).empty_like(x))
        return self.y

    def backward(self, g: Any) -> tuple:
        return (OUTPUT_ACTIVATIONS[self.name][1](g, self.y),)


class ReLU(_OutputActivation):
    """``max(x, 0)``."""

    name = "relu"


class Sigmoid(_OutputActivation):
    """``1 / (1 + e^-x)``, computed as ``(1 + tanh(x/2)) / 2`` so that no exp overflows."""

    name = "sigmoid"


class Tanh(_OutputActivation):
    """Hyperbolic tangent."""

    name = "tanh"


class Softplus(Op):
    """``log(1 + e^x)``; its derivative is the sigmoid."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return get_array_module(x).logaddexp(0, x)

    def backward(self, g: Any) -> tuple:
        return (g * (0.5 * (1 + get_array_module(g).tanh(0.5 * self.x))),)


class LeakyReLU(Op):
    """``x`` for ``x ≥ 0``, ``negative_slope · x`` below; the slope is the derivative below 0."""

    def __init__(self, negative_slope: float):
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.x = x
        s = self.negative_slope
        if 0 <= s <= 1:  # then the function is max(x, s·x)
            y = x * s
            return xp.maximum(x, y, out=y)
        y = xp.minimum(x, 0)
        y *= s
        y += xp.maximum(x, 0)
        return y

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        s = self.negative_slope
        grad = xp.multiply(self.x >= 0, 1 - s, dtype=g.dtype)
        grad += s
        grad *= g
        return (grad,)


class ELU(Op):
    """``scale · x`` for ``x > 0``, ``scale · alpha · (e^x - 1)`` otherwise.

    The derivative is ``scale`` above 0 and ``scale · alpha · e^x = y + scale · alpha`` below, so
    the backward pass needs only the output. ``scale=1`` is ELU; SELU sets both constants.
    """

    def __init__(self, alpha: float = 1.0, scale: float = 1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.negative = x <= 0
        y = xp.minimum(x, 0)  # e^x of the negative part only: no overflow for large x
        xp.expm1(y, out=y)
        y *= self.alpha
        y += xp.maximum(x, 0)
        if self.scale != 1:
            y *= self.scale
        self.y = y
        return y

    def backward(self, g: Any) -> tuple:
        grad = self.y + (self.scale * self.alpha - self.scale)
        grad *= self.negative  # leaves y + scale·alpha - scale below 0, and 0 above
        grad += self.scale
        grad *= g
        return (grad,)


def max_keepdims(x: Any, axis: int) -> Any:
    """``x.max(axis=axis, keepdims=True)``, fast for the few classes of a 2-D batch of logits.

    NumPy reduces a short contiguous last axis one row at a time (50 µs for 1000 rows of 10
    classes); the rows of a transposed copy reduce as whole vectors, ten times faster.
    """
    if x.ndim == 2 and axis in (-1, 1) and x.shape[1] <= 32 and type(x) is np.ndarray:
        return np.ascontiguousarray(x.T).max(axis=0)[:, None]
    return x.max(axis=axis, keepdims=True)


def _softmax(x: Any, axis: int) -> Any:
    xp = get_array_module(x)
    e = xp.exp(x - max_keepdims(x, axis))
    e /= e.sum(axis=axis, keepdims=True)
    return e


class Softmax(Op):
    """``e^x / Σ e^x`` along ``axis``. Its input is kept as ``logits`` for the fused losses."""

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x: Any) -> Any:
        self.y = _softmax(x, self.axis)
        return self.y

    def backward(self, g: Any) -> tuple:
        gy = g * self.y
        return (gy - self.y * gy.sum(axis=self.axis, keepdims=True),)


class LogSoftmax(Op):
    """``x - log Σ e^x`` along ``axis``."""

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        shifted = x - max_keepdims(x, self.axis)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.p = xp.exp(y)
        return y

    def backward(self, g: Any) -> tuple:
        return (g - self.p * g.sum(axis=self.axis, keepdims=True),)


def add_bias_and_activate(y: Any, bias: Any, activation: str | None, mask: Any = None) -> None:
    """``y = activation(y + bias)`` in place (``bias`` and ``activation`` may be None), and with
    ``mask`` (a uint8 array of y's shape) also ``mask = y > 0``: what ReLU's VJP needs.

    With no activation or ReLU this is one fused pass where the kernel applies.
    """
    if activation in (None, "relu") and (bias is not None or mask is not None or activation):
        one_pass = kernels.fused("bias_relu", y, bias)
        if one_pass is not None:
            one_pass(y, bias, activation == "relu", mask)
            return
    if bias is not None:
        y += bias
    if activation is not None:
        OUTPUT_ACTIVATIONS[activation][0](y, y)
    if mask is not None:
        get_array_module(y).greater(y, 0, out=mask)


def masked_and_bias_grads(g: Any, mask: Any, out: Any, bias_grad: Any) -> Any:
    """The VJPs of :func:`add_bias_and_activate` from ReLU's ``mask``: returns ``g · mask``,
    written into ``out`` (``g`` itself when ``mask`` and ``out`` are None), and writes its sum
    over every axis but the last into ``bias_grad`` (the bias's gradient) when given.

    One fused pass where the kernel applies.
    """
    one_pass = kernels.fused("bias_relu_grad", g, out, bias_grad)
    if one_pass is not None:
        one_pass(g, mask, out, bias_grad)
        return g if mask is None else out
    if mask is not None:
        g = get_array_module(g).multiply(g, mask, out=out)
    if bias_grad is not None:
        g.reshape(-1, bias_grad.size).sum(axis=0, out=bias_grad)
    return g


#: The activations that ``Dense`` fuses: those of the course's networks.
DENSE_ACTIVATIONS = ("relu", "sigmoid")


class Dense(Op):
    """``act(x @ W + b)`` over the last axis of ``x``, with ``act`` None, ``'relu'`` or
    ``'sigmoid'``.

    The bias and the activation are applied in place in the product's output buffer, and the
    backward pass skips the input gradient when nothing upstream needs it (the first layer's
    ``dx``). Every large array the op makes (output, ReLU mask, gradients) comes from the
    training step's arena (:mod:`.scratch`), which reuses the dead ones of the step before.
    """

    def __init__(self, activation: str | None = None):
        if activation is not None and activation not in DENSE_ACTIVATIONS:
            raise ValueError(
                f"activation must be None or one of {DENSE_ACTIVATIONS}. "
                f"Received: activation={activation!r}"
            )
        self.activation = activation

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        xp = get_array_module(x)
        self.x, self.kernel = x, kernel
        y = _product(x, kernel, xp)
        # ReLU's VJP needs only where y > 0: one byte per unit rather than y's four (and
        # nothing when no gradient is recorded, as in predict).
        relu = self.activation == "relu" and self.needs_grad
        self.mask = scratch.empty(y.shape, xp.uint8, xp) if relu else None
        add_bias_and_activate(y, bias, self.activation, self.mask)
        if self.activation == "sigmoid":
            self.y = y
        return y

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        has_bias = len(self.needs_grad) == 3
        if self.activation == "sigmoid":
            g = sigmoid_grad(g, self.y)
        gb = scratch.empty(g.shape[-1:], g.dtype, xp) if has_bias and self.needs_grad[2] else None
        out = None if self.mask is None else scratch.empty(g.shape, g.dtype, xp)
        g = masked_and_bias_grads(g, self.mask, out, gb)
        gx = _product(g, self.kernel.T, xp) if self.needs_grad[0] else None
        gk = (
            _product(self.x.reshape(-1, self.x.shape[-1]).T, g.reshape(-1, g.shape[-1]), xp)
            if self.needs_grad[1]
            else None
        )
        return (gx, gk, gb) if has_bias else (gx, gk)


def _product(a: Any, b: Any, xp: Any) -> Any:
    """``a @ b`` (``b`` 2-D), written into an array of the step arena where it pools one
    (:func:`scratch.pooled`)."""
    dtype = a.dtype if a.dtype == b.dtype else xp.result_type(a.dtype, b.dtype)
    return blas.matmul(a, b, out=scratch.pooled((*a.shape[:-1], b.shape[-1]), dtype, xp))


def flush_subnormals(a: Any) -> Any:
    """``a`` with its subnormal entries (below the dtype's smallest normal number) set to 0.

    A confident softmax puts probabilities of 1e-38 and less on the wrong classes, and their
    gradients, divided by the batch, are subnormal; every product they then take part in costs
    the CPU a microcode assist per operation (W1's epochs grew by 5% from the fourth on).
    Keras's backends run with the CPU's flush-to-zero mode, which does the same everywhere.
    """
    xp = get_array_module(a)
    xp.copyto(a, 0, where=xp.abs(a) < xp.finfo(a.dtype).tiny)
    return a


class SoftmaxCrossEntropy(Op):
    """Per-sample ``-Σ y log softmax(z)`` along ``axis``, from logits ``z`` and targets ``y``.

    Gradient with respect to ``z``: ``softmax(z) Σy - y``, i.e. ``p - y`` for one-hot targets.
    """

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, logits: Any, target: Any) -> Any:
        xp = get_array_module(logits)
        shifted = logits - max_keepdims(logits, self.axis)
        e = xp.exp(shifted)
        total = e.sum(axis=self.axis, keepdims=True)
        self.p = e / total
        self.target = target
        log_p = shifted - xp.log(total)
        return -(target * log_p).sum(axis=self.axis)

    def backward(self, g: Any) -> tuple:
        # Indexing costs a tenth of expand_dims, for the usual last axis.
        g = g[..., None] if self.axis == -1 else get_array_module(g).expand_dims(g, self.axis)
        mass = self.target.sum(axis=self.axis, keepdims=True)
        return flush_subnormals(g * (self.p * mass - self.target)), None


class SparseSoftmaxCrossEntropy(Op):
    """Per-sample ``-log softmax(z)[label]`` along the last axis, from integer labels."""

    def forward(self, logits: Any, labels: Any) -> Any:
        xp = get_array_module(logits)
        shifted = logits - max_keepdims(logits, -1)
        e = xp.exp(shifted)
        total = e.sum(axis=-1, keepdims=True)
        self.p = e / total
        self.labels = labels.astype(xp.intp)[..., None]
        picked = xp.take_along_axis(shifted, self.labels, axis=-1)
        return (xp.log(total) - picked)[..., 0]

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        grad = self.p.copy()
        xp.put_along_axis(grad, self.labels, xp.take_along_axis(grad, self.labels, -1) - 1, -1)
        return flush_subnormals(grad * g[..., None]), None


class SigmoidBinaryCrossEntropy(Op):
    """Element-wise ``-y log σ(z) - (1-y) log(1-σ(z))`` from logits.

    Computed as ``max(z, 0) - zy + log(1 + e^-|z|)``, which never overflows.

    Gradient with respect to ``z``: ``σ(z) - y``.
    """

    def forward(self, logits: Any, target: Any) -> Any:
        xp = get_array_module(logits)
        self.logits, self.target = logits, target
        return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-abs(logits)))

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        p = 0.5 * (1 + xp.tanh(0.5 * self.logits))
        return unbroadcast(g * (p - self.target), self.logits.shape), None


class Dropout(Op):
    """Inverted dropout: zero a fraction ``rate`` of the units, scale the rest by ``1/(1-rate)``.

    The mask is drawn once per call from numkeras's random stream (so seeding reproduces it),
    or from ``rng`` when given;
    ``noise_shape`` shares one draw along its size-1 axes, as in Keras.
    """

    def __init__(self, rate: float, noise_shape: tuple[int, ...] | None = None, rng: Any = None):
        if not 0 <= rate < 1:
            raise ValueError(f"rate must be in [0, 1). Received: rate={rate}")
        self.rate, self.noise_shape, self.rng = rate, noise_shape, rng

    def forward(self, x: Any) -> Any:
        shape = self.noise_shape or x.shape
        keep = backend.uniform_draws(shape, x.dtype, like=x, rng=self.rng) >= self.rate
        self.mask = keep * x.dtype.type(1 / (1 - self.rate))
        return x * self.mask

    def backward(self, g: Any) -> tuple:
        return (g * self.mask,)


# -- functions (keras.ops names and arguments where Keras has the op) ------------------------------
def matmul(x1: Any, x2: Any) -> Tensor:
    """The matrix product ``x1 @ x2`` (batch axes broadcast, 1-D operands promoted)."""
    return MatMul()(x1, x2)


def relu(x: Any) -> Tensor:
    """``max(x, 0)``."""
    return ReLU()(x)


def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + e^-x)``; a recorded output carries its logits for the fused losses."""
    return mark_logits(Sigmoid()(x), "sigmoid")


def tanh(x: Any) -> Tensor:
    """The hyperbolic tangent of ``x``."""
    return Tanh()(x)


def softplus(x: Any) -> Tensor:
    """``log(1 + e^x)``."""
    return Softplus()(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """``e^x / Σ e^x`` along ``axis``; a recorded output carries its logits for the fused
    losses."""
    return mark_logits(Softmax(axis)(x), "softmax", axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """``x - log Σ e^x`` along ``axis``."""
    return LogSoftmax(axis)(x)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x >= 0``, ``negative_slope · x`` below; the slope defaults to 0.2 (Keras)."""
    return LeakyReLU(negative_slope)(x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, ``alpha · (e^x - 1)`` otherwise; ``alpha`` defaults to 1.0."""
    return ELU(alpha)(x)


def selu(x: Any) -> Tensor:
    """``scale · elu(x, alpha)`` with :data:`SELU_ALPHA` ≈ 1.6733 and :data:`SELU_SCALE` ≈
    1.0507."""
    return ELU(SELU_ALPHA, SELU_SCALE)(x)


def dense(x: Any, kernel: Any, bias: Any = None, activation: str | None = None) -> Tensor:
    """``activation(x @ kernel + bias)`` as one fused op (``activation``: None, ``'relu'`` or
    ``'sigmoid'``)."""
    args = (x, kernel) if bias is None else (x, kernel, bias)
    return Dense(activation)(*args)


def softmax_cross_entropy(logits: Any, target: Any, axis: int = -1) -> Tensor:
    """Per-sample cross-entropy ``-Σ target · log softmax(logits)``, fused and stable."""
    return SoftmaxCrossEntropy(axis)(logits, target)


def sparse_softmax_cross_entropy(logits: Any, labels: Any) -> Tensor:
    """Per-sample ``-log softmax(logits)[label]`` from integer labels, fused and stable."""
    return SparseSoftmaxCrossEntropy()(logits, labels)


def sigmoid_binary_cross_entropy(logits: Any, target: Any) -> Tensor:
    """Element-wise binary cross-entropy of ``sigmoid(logits)`` against ``target``, stable."""
    return SigmoidBinaryCrossEntropy()(logits, target)


def dropout(
    x: Any, rate: float, noise_shape: tuple[int, ...] | None = None, rng: Any = None
) -> Tensor:
    """Inverted dropout of a fraction ``rate`` of ``x``'s units (a new mask at every call)."""
    return convert_to_tensor(x) if rate == 0 else Dropout(rate, noise_shape, rng)(x)
