"""Differentiable operations on tensors: the engine under every layer, loss and metric.

Each function applies one op and returns a :class:`Tensor`; code written with them differentiates
with no extra work::

    from numkeras import ops
    w = ops.Variable([1.0, 2.0])
    loss = ops.sum(ops.square(w * 3.0))
    loss.backward()            # w.grad == 18 * w

Every op is one class, its forward and its VJP side by side, in the module of its kind
(``math``, ``reduction``, ``cumulative``, ``shape``, ``arrangement``, ``indexing``,
``sorting``, ``linalg``, ``norms``, ``nn``, ``special``, ``convolution``, ``pooling``,
``normalization``, ``spatial``, ``image``), and one lowercase function beside it: Keras's
``keras.ops`` name and arguments where Keras has the op. ``__all__`` lists those functions;
the op classes stay in their modules (several share names with layers), and the image ops are
under ``ops.image`` as in Keras (``ops.image.affine_transform``). Results through which no
gradient flows are plain functions: comparisons and logic (``logic``), constants made from a
shape or a range (``creation``), conversions (``conversion``).
"""

from __future__ import annotations

from . import image as image  # Keras's ops.image namespace
from .arrangement import flip, repeat, roll, tile
from .conversion import convert_to_numpy, dtype, is_tensor, stop_gradient
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
from .creation import (
    arange,
    eye,
    full,
    full_like,
    identity,
    linspace,
    ones,
    ones_like,
    tri,
    zeros,
    zeros_like,
)
from .cumulative import cumprod, cumsum
from .gradient_tape import GradientTape as GradientTape
from .grouped_convolution import depthwise_conv, separable_conv
from .indexing import argmax, argmin, one_hot, take, take_along_axis
from .linalg import dot, einsum, tensordot
from .logic import (
    bitwise_and,
    bitwise_invert,
    bitwise_or,
    bitwise_xor,
    comparable,
    equal,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
)
from .math import (
    abs,
    add,
    cast,
    ceil,
    clip,
    cos,
    divide,
    exp,
    expm1,
    floor,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    nan_to_num,
    negative,
    power,
    reciprocal,
    round,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tan,
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
from .norms import norm
from .pooling import average_pool, avg_pool1d, avg_pool2d, max_pool, max_pool1d, max_pool2d
from .reduction import logsumexp, max, mean, min, prod, std, sum, var
from .shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    getitem,
    moveaxis,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from .sorting import argsort, sort, top_k
from .spatial import pad, upsampling2d
from .special import erf
from .transposed_convolution import conv_transpose


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
    # Anything but a number or an array-like is unequal to a tensor (``t == None`` is False).
    Tensor.__eq__ = lambda a, b: equal(a, b) if comparable(b) else NotImplemented
    Tensor.__ne__ = lambda a, b: not_equal(a, b) if comparable(b) else NotImplemented
    Tensor.__lt__ = lambda a, b: less(a, b)
    Tensor.__le__ = lambda a, b: less_equal(a, b)
    Tensor.__gt__ = lambda a, b: greater(a, b)
    Tensor.__ge__ = lambda a, b: greater_equal(a, b)
    Tensor.__and__ = lambda a, b: bitwise_and(a, b)
    Tensor.__rand__ = lambda a, b: bitwise_and(b, a)
    Tensor.__or__ = lambda a, b: bitwise_or(a, b)
    Tensor.__ror__ = lambda a, b: bitwise_or(b, a)
    Tensor.__xor__ = lambda a, b: bitwise_xor(a, b)
    Tensor.__rxor__ = lambda a, b: bitwise_xor(b, a)
    Tensor.__invert__ = lambda a: bitwise_invert(a)
    Tensor.__getitem__ = lambda a, index: getitem(a, index)
    Tensor.T = property(lambda a: transpose(a))
    Tensor.sum = lambda a, axis=None, keepdims=False: sum(a, axis, keepdims)
    Tensor.mean = lambda a, axis=None, keepdims=False: mean(a, axis, keepdims)
    Tensor.max = lambda a, axis=None, keepdims=False: max(a, axis, keepdims)
    Tensor.min = lambda a, axis=None, keepdims=False: min(a, axis, keepdims)
    Tensor.reshape = lambda a, *shape: reshape(a, shape[0] if len(shape) == 1 else shape)
    Tensor.transpose = lambda a, *axes: transpose(a, axes or None)


_install_operators()

# Importing the submodule ``ops/shape.py`` binds ``shape`` on this package to that module; Keras's
# ``ops.shape`` is the function, so it is bound here, after every import.
from .conversion import shape  # noqa: E402

# Tensor, Variable and Op are public too (``from .core import Op as Op`` marks a re-export), but as
# classes they stay out of ``__all__``, which lists the op functions.
__all__ = [
    # the tape
    "as_array",
    "convert_to_tensor",
    "is_grad_enabled",
    "no_grad",
    "unbroadcast",
    # tensors and NumPy
    "convert_to_numpy",
    "is_tensor",
    "shape",
    "dtype",
    "stop_gradient",
    # creation
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "full_like",
    "arange",
    "linspace",
    "eye",
    "identity",
    "tri",
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
    "log1p",
    "expm1",
    "reciprocal",
    "sin",
    "cos",
    "tan",
    "sign",
    "round",
    "floor",
    "ceil",
    "nan_to_num",
    # comparison and logic
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "isnan",
    "isinf",
    "isfinite",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_invert",
    # reduction
    "sum",
    "mean",
    "max",
    "min",
    "logsumexp",
    "prod",
    "var",
    "std",
    "cumsum",
    "cumprod",
    # shape
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "moveaxis",
    "swapaxes",
    "broadcast_to",
    "concatenate",
    "stack",
    "split",
    "getitem",
    "tile",
    "repeat",
    "flip",
    "roll",
    # indexing and sorting
    "take",
    "take_along_axis",
    "argmax",
    "argmin",
    "one_hot",
    "sort",
    "argsort",
    "top_k",
    # linear algebra
    "einsum",
    "tensordot",
    "dot",
    "norm",
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
    "conv_transpose",
    "depthwise_conv",
    "separable_conv",
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
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
]

# Each function takes symbolic tensors too, once numkeras.layers registers its handler; wrapped
# here, once, so that each keeps one identity whenever the layers are imported.
from .dispatch import defer_functions  # noqa: E402

defer_functions(globals(), __all__)
