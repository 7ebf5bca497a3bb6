"""Differentiable operations on tensors: the engine under every layer, loss and metric.

Each function applies one op (``numkeras.ops.math``, ``.reduction``, ``.shape``, ``.nn``) and
returns a :class:`Tensor`; code written with them differentiates with no extra work::

    from numkeras import ops
    w = ops.Variable([1.0, 2.0])
    loss = ops.sum(ops.square(w * 3.0))
    loss.backward()            # w.grad == 18 * w
"""

from __future__ import annotations

from typing import Any

from .conv import (
    BatchNorm,
    Conv2D,
    Pad,
    Pool2D,
    UpSample2D,
    avg_pool2d,
    batch_norm,
    conv1d,
    conv2d,
    max_pool1d,
    max_pool2d,
    pad,
    upsampling2d,
)
from .core import Op, Tensor, Variable, as_array, is_grad_enabled, no_grad, unbroadcast
from .math import (
    Abs,
    Add,
    Cast,
    Clip,
    Divide,
    Exp,
    Log,
    Maximum,
    Minimum,
    Multiply,
    Negative,
    Power,
    Sqrt,
    Square,
    Subtract,
    Where,
)
from .nn import (
    Dense,
    Dropout,
    LogSoftmax,
    MatMul,
    ReLU,
    Sigmoid,
    SigmoidBinaryCrossEntropy,
    Softmax,
    SoftmaxCrossEntropy,
    Softplus,
    SparseSoftmaxCrossEntropy,
    Tanh,
)
from .reduction import LogSumExp, Max, Mean, Min, Sum
from .shape import Concatenate, GetItem, Reshape, Stack, Transpose
from .special import Erf, erf

Axis = int | tuple[int, ...] | None


def convert_to_tensor(x: Any) -> Tensor:
    """``x`` as a :class:`Tensor` (tensors are returned as they are)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def add(a: Any, b: Any) -> Tensor:
    return Add()(a, b)


def subtract(a: Any, b: Any) -> Tensor:
    return Subtract()(a, b)


def multiply(a: Any, b: Any) -> Tensor:
    return Multiply()(a, b)


def divide(a: Any, b: Any) -> Tensor:
    return Divide()(a, b)


def negative(x: Any) -> Tensor:
    return Negative()(x)


def power(a: Any, b: Any) -> Tensor:
    return Power()(a, b)


def cast(x: Any, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable for float types)."""
    return Cast(dtype)(x)


def exp(x: Any) -> Tensor:
    return Exp()(x)


def log(x: Any) -> Tensor:
    return Log()(x)


def sqrt(x: Any) -> Tensor:
    return Sqrt()(x)


def square(x: Any) -> Tensor:
    return Square()(x)


def abs(x: Any) -> Tensor:  # noqa: A001  (Keras's name)
    return Abs()(x)


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum()(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    return Minimum()(a, b)


def clip(x: Any, low: float | None, high: float | None) -> Tensor:
    return Clip(low, high)(x)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    return Where()(condition, a, b)


def matmul(a: Any, b: Any) -> Tensor:
    return MatMul()(a, b)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Sum(axis, keepdims)(x)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return Mean(axis, keepdims)(x)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Max(axis, keepdims)(x)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Min(axis, keepdims)(x)


def logsumexp(x: Any, axis: Axis = -1, keepdims: bool = False) -> Tensor:
    return LogSumExp(axis, keepdims)(x)


def reshape(x: Any, shape: tuple[int, ...]) -> Tensor:
    return Reshape(shape)(x)


def transpose(x: Any, axes: tuple[int, ...] | None = None) -> Tensor:
    return Transpose(axes)(x)


def concatenate(xs: list[Any], axis: int = -1) -> Tensor:
    return Concatenate(axis)(*xs)


def stack(xs: list[Any], axis: int = 0) -> Tensor:
    return Stack(axis)(*xs)


def getitem(x: Any, index: Any) -> Tensor:
    return GetItem(index)(x)


def relu(x: Any) -> Tensor:
    return ReLU()(x)


def sigmoid(x: Any) -> Tensor:
    return Sigmoid()(x)


def tanh(x: Any) -> Tensor:
    return Tanh()(x)


def softplus(x: Any) -> Tensor:
    return Softplus()(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    return Softmax(axis)(x)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return LogSoftmax(axis)(x)


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


def _install_operators() -> None:
    """Give Tensor its Python operators, each one an op above."""
    Tensor.__add__ = lambda a, b: add(a, b)
    Tensor.__radd__ = lambda a, b: add(b, a)
    Tensor.__sub__ = lambda a, b: subtract(a, b)
    Tensor.__rsub__ = lambda a, b: subtract(b, a)
    Tensor.__mul__ = lambda a, b: multiply(a, b)
    Tensor.__rmul__ = lambda a, b: multiply(b, a)
    Tensor.__truediv__ = lambda a, b: divide(a, b)
    Tensor.__rtruediv__ = lambda a, b: divide(b, a)
    Tensor.__pow__ = lambda a, b: power(a, b)
    Tensor.__rpow__ = lambda a, b: power(b, a)
    Tensor.__matmul__ = lambda a, b: matmul(a, b)
    Tensor.__rmatmul__ = lambda a, b: matmul(b, a)
    Tensor.__neg__ = lambda a: negative(a)
    Tensor.__abs__ = lambda a: abs(a)
    Tensor.__getitem__ = lambda a, index: getitem(a, index)
    Tensor.T = property(lambda a: transpose(a))
    Tensor.sum = lambda a, axis=None, keepdims=False: sum(a, axis, keepdims)
    Tensor.mean = lambda a, axis=None, keepdims=False: mean(a, axis, keepdims)
    Tensor.max = lambda a, axis=None, keepdims=False: max(a, axis, keepdims)
    Tensor.min = lambda a, axis=None, keepdims=False: min(a, axis, keepdims)
    Tensor.reshape = lambda a, *shape: reshape(a, shape[0] if len(shape) == 1 else shape)
    Tensor.transpose = lambda a, *axes: transpose(a, axes or None)


_install_operators()

__all__ = [
    "Op",
    "Tensor",
    "Variable",
    "as_array",
    "convert_to_tensor",
    "is_grad_enabled",
    "no_grad",
    "unbroadcast",
    "add",
    "subtract",
    "multiply",
    "divide",
    "negative",
    "power",
    "cast",
    "exp",
    "log",
    "sqrt",
    "square",
    "abs",
    "maximum",
    "minimum",
    "clip",
    "where",
    "matmul",
    "sum",
    "mean",
    "max",
    "min",
    "logsumexp",
    "reshape",
    "transpose",
    "concatenate",
    "stack",
    "getitem",
    "relu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "dense",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "dropout",
    "erf",
    "Erf",
    "conv2d",
    "conv1d",
    "max_pool2d",
    "avg_pool2d",
    "max_pool1d",
    "batch_norm",
    "pad",
    "upsampling2d",
    "Conv2D",
    "Pool2D",
    "BatchNorm",
    "Pad",
    "UpSample2D",
]
