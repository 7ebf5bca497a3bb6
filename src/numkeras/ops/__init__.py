"""Differentiable operations on tensors: the engine under every layer, loss and metric.

Each function applies one op and returns a :class:`Tensor`; code written with them differentiates
with no extra work::

    from numkeras import ops
    w = ops.Variable([1.0, 2.0])
    loss = ops.sum(ops.square(w * 3.0))
    loss.backward()            # w.grad == 18 * w

Every op is one class, its forward and its VJP side by side, in the module of its kind
(``math``, ``reduction``, ``shape``, ``nn``, ``special``, ``convolution``, ``pooling``,
``normalization``, ``spatial``, ``image``), and one lowercase function beside it: Keras's
``keras.ops`` name and arguments where Keras has the op. ``__all__`` lists those functions;
the op classes stay in their modules (several share names with layers), and the image ops are
under ``ops.image`` as in Keras (``ops.image.affine_transform``).
"""

from __future__ import annotations

from . import image as image  # Keras's ops.image namespace
from .convolution import conv, conv1d, conv2d
from .core import Op as Op
from .core import (
    Tensor,
    as_array,
    convert_to_tensor,
    is_grad_enabled,
    no_grad,
    unbroadcast,
)
from .core import Variable as Variable
from .math import (
    abs,
    add,
    cast,
    clip,
    divide,
    exp,
    log,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    sqrt,
    square,
    subtract,
    where,
)
from .nn import (
    dense,
    dropout,
    elu,
    leaky_relu,
    log_softmax,
    matmul,
    relu,
    selu,
    sigmoid,
    sigmoid_binary_cross_entropy,
    softmax,
    softmax_cross_entropy,
    softplus,
    sparse_softmax_cross_entropy,
    tanh,
)
from .normalization import batch_norm, batch_normalization
from .pooling import average_pool, avg_pool2d, max_pool, max_pool1d, max_pool2d
from .reduction import logsumexp, max, mean, min, sum
from .shape import concatenate, getitem, reshape, stack, transpose
from .spatial import pad, upsampling2d
from .special import erf


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

# Tensor, Variable and Op are public too (``from .core import Op as Op`` marks a re-export), but as
# classes they stay out of ``__all__``, which lists the op functions.
__all__ = [
    # the tape
    "as_array",
    "convert_to_tensor",
    "is_grad_enabled",
    "no_grad",
    "unbroadcast",
    # math
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
    "erf",
    # reduction
    "sum",
    "mean",
    "max",
    "min",
    "logsumexp",
    # shape
    "reshape",
    "transpose",
    "concatenate",
    "stack",
    "getitem",
    # nn: activations, fused layers and losses
    "matmul",
    "relu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "leaky_relu",
    "elu",
    "selu",
    "dense",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "dropout",
    # convolution, pooling, normalization, padding
    "conv",
    "max_pool",
    "average_pool",
    "batch_normalization",
    "pad",
    "upsampling2d",
    # numkeras's own names of the same ops, kept for code written before the Keras names
    "conv1d",
    "conv2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool2d",
    "batch_norm",
]
