"""Keras 2's backend functions, the ``K.*`` that old programs call, on numkeras's ops.

``from numkeras import backend as K`` gives these beside the engine's settings (``K.floatx``,
``K.epsilon``, ``K.image_data_format``)::

    from numkeras import backend as K
    K.sum(K.square(y_pred - y_true), axis=-1)     # a custom loss, as written for Keras 2
    K.int_shape(x)                                # (None, 784) on a symbolic input

Names, arguments and defaults are Keras 2's (``K.sum(x, axis=None, keepdims=False)``,
``K.expand_dims(x, axis=-1)``, ``K.categorical_crossentropy(target, output, from_logits=False)``
per sample), and each function is made of ``numkeras.ops``, so it differentiates as the ops it
wraps. ``K.zeros``, ``K.ones`` and ``K.variable`` return variables, as Keras 2's did; the random
functions take ``seed`` as :mod:`numkeras.random` does. Keras 2's graph-mode functions
(``placeholder``, ``function``, ``gradients``, ``learning_phase``) have no eager meaning and are
not here.

This module wraps ops, losses and layers, so it stands above the engine; the engine package
``numkeras.backend`` loads it on first use of one of its names.
"""

from __future__ import annotations

import gc
import string
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import activations, legacy, losses, ops
from .. import random as nk_random
from ..layers import layer as layer_module
from ..ops.core import Tensor, Variable
from . import floatx, image_data_format, set_image_data_format

Axis = int | Sequence[int] | None

#: Keras 1's ``image_dim_ordering`` values and the ``image_data_format`` each stands for.
DIM_ORDERINGS = {"tf": "channels_last", "th": "channels_first"}


# -- session and settings -------------------------------------------------------------------------
def clear_session(free_memory: bool = True) -> None:
    """Forget the names given so far, so new layers are named ``dense``, ``dense_1``, ... again.

    As Keras's ``clear_session``: ``free_memory`` (default ``True``) also runs Python's garbage
    collector. The random streams are left as they are (``utils.set_random_seed`` reseeds them).
    """
    layer_module._name_counts.clear()
    if free_memory:
        gc.collect()


def image_dim_ordering() -> str:
    """Keras 1's name for :func:`image_data_format`: ``'tf'`` (channels last) or ``'th'``."""
    legacy.warn("`K.image_dim_ordering()` is the Keras 1 spelling; use `K.image_data_format()`.")
    return {v: k for k, v in DIM_ORDERINGS.items()}[image_data_format()]


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Keras 1's name for :func:`set_image_data_format`: ``'tf'`` or ``'th'``."""
    if dim_ordering not in DIM_ORDERINGS:
        raise ValueError(
            f"dim_ordering must be 'tf' or 'th'. Received: dim_ordering={dim_ordering!r}"
        )
    legacy.warn(
        "`K.set_image_dim_ordering()` is the Keras 1 spelling; use `K.set_image_data_format("
        f"{DIM_ORDERINGS[dim_ordering]!r})`."
    )
    set_image_data_format(DIM_ORDERINGS[dim_ordering])


# -- variables and constants ----------------------------------------------------------------------
def variable(
    value: Any, dtype: str | None = None, name: str | None = None, constraint: Any = None
) -> Variable:
    """A trainable variable holding a copy of ``value``, of ``dtype`` (default: floatx)."""
    return Variable(ops.as_array(value).astype(dtype or floatx()), name=name, constraint=constraint)


def constant(
    value: Any,
    dtype: str | None = None,
    shape: Sequence[int] | None = None,
    name: str | None = None,
) -> Tensor:
    """A constant tensor of ``dtype`` (default: floatx); a scalar ``value`` fills ``shape``, any
    other value of as many elements is reshaped to it."""
    data = ops.as_array(value).astype(dtype or floatx())
    if shape is None:
        return _named(Tensor(data), name)
    if data.size == 1:
        return _named(ops.full(shape, data.reshape(()), data.dtype), name)
    if data.size != int(np.prod(shape)):
        raise ValueError(
            f"shape must hold the {data.size} elements of value. Received: shape={tuple(shape)}"
        )
    return _named(Tensor(data.reshape(tuple(shape))), name)


def zeros(shape: Sequence[int], dtype: str | None = None, name: str | None = None) -> Variable:
    """A variable of zeros of ``dtype`` (default: floatx); Keras 2 returns a variable here."""
    return Variable(ops.zeros(shape, dtype).data, name=name)


def ones(shape: Sequence[int], dtype: str | None = None, name: str | None = None) -> Variable:
    """A variable of ones of ``dtype`` (default: floatx); Keras 2 returns a variable here."""
    return Variable(ops.ones(shape, dtype).data, name=name)


def zeros_like(x: Any, dtype: str | None = None, name: str | None = None) -> Tensor:
    """A tensor of zeros of ``x``'s shape and (unless ``dtype`` is given) dtype."""
    return _named(ops.zeros_like(x, dtype), name)


def ones_like(x: Any, dtype: str | None = None, name: str | None = None) -> Tensor:
    """A tensor of ones of ``x``'s shape and (unless ``dtype`` is given) dtype."""
    return _named(ops.ones_like(x, dtype), name)


def _named(tensor: Tensor, name: str | None) -> Tensor:
    tensor.name = name
    return tensor


def get_value(x: Any) -> Any:
    """The value of a variable or tensor as a NumPy array; anything else is returned as it is."""
    return x.numpy() if isinstance(x, Tensor) else x


def batch_get_value(tensors: Iterable[Any]) -> list[Any]:
    """:func:`get_value` of each of ``tensors``."""
    return [get_value(x) for x in tensors]


def set_value(x: Variable, value: Any) -> None:
    """Copy ``value`` into variable ``x`` (same shape; cast to ``x``'s dtype)."""
    if not isinstance(x, Variable):
        raise TypeError(f"x must be a variable. Received: x of type {type(x).__name__}")
    x.assign(value)


def batch_set_value(tuples: Iterable[tuple[Variable, Any]]) -> None:
    """:func:`set_value` for each ``(variable, value)`` pair."""
    for x, value in tuples:
        set_value(x, value)


def eval(x: Any) -> Any:  # noqa: A001  (Keras 2's name)
    """The value of a tensor as a NumPy array (as :func:`get_value`)."""
    return get_value(x)


# -- shapes and types -----------------------------------------------------------------------------
def int_shape(x: Any) -> tuple[int | None, ...]:
    """The shape of ``x`` as a tuple, with None for the batch axis of a symbolic input."""
    return ops.shape(x)


def shape(x: Any) -> Tensor:
    """The shape of a tensor as a 1-D int32 tensor (Keras 2's symbolic shape, here concrete)."""
    dims = ops.shape(x)
    if None in dims:
        raise ValueError(
            f"shape needs a tensor with a value; for a symbolic input use int_shape. "
            f"Received: x with shape {dims}"
        )
    return Tensor(np.asarray(dims, dtype="int32"))


def ndim(x: Any) -> int:
    """The number of axes of ``x``."""
    return len(ops.shape(x))


def dtype(x: Any) -> str:
    """The dtype of ``x`` by name, e.g. ``'float32'``."""
    return ops.dtype(x)


def cast(x: Any, dtype: str) -> Tensor:
    """``x`` as ``dtype``."""
    return ops.cast(x, dtype)


# -- reductions -----------------------------------------------------------------------------------
def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The sum of ``x`` over ``axis`` (all axes when None)."""
    return ops.sum(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The mean of ``x`` over ``axis`` (all axes when None)."""
    return ops.mean(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The maximum of ``x`` over ``axis`` (all axes when None)."""
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The minimum of ``x`` over ``axis`` (all axes when None)."""
    return ops.min(x, axis=axis, keepdims=keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The product of ``x`` over ``axis`` (all axes when None)."""
    return ops.prod(x, axis=axis, keepdims=keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The (population) standard deviation of ``x`` over ``axis`` (all axes when None)."""
    return ops.std(x, axis=axis, keepdims=keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The (population) variance of ``x`` over ``axis`` (all axes when None)."""
    return ops.var(x, axis=axis, keepdims=keepdims)


def argmax(x: Any, axis: int = -1) -> Tensor:
    """The index of the largest value along ``axis`` (default: the last)."""
    return ops.argmax(x, axis=axis)


def argmin(x: Any, axis: int = -1) -> Tensor:
    """The index of the smallest value along ``axis`` (default: the last)."""
    return ops.argmin(x, axis=axis)


# -- element-wise ---------------------------------------------------------------------------------
def square(x: Any) -> Tensor:
    """``x²``."""
    return ops.square(x)


def sqrt(x: Any) -> Tensor:
    """``√max(x, 0)``: Keras 2 clips negative values to 0 first, so the result has no NaN."""
    return ops.sqrt(ops.maximum(x, 0.0))


def exp(x: Any) -> Tensor:
    """``e^x``."""
    return ops.exp(x)


def log(x: Any) -> Tensor:
    """The natural logarithm of ``x``."""
    return ops.log(x)


def abs(x: Any) -> Tensor:  # noqa: A001
    """``|x|``."""
    return ops.abs(x)


def pow(x: Any, a: Any) -> Tensor:  # noqa: A001
    """``x`` to the power ``a``."""
    return ops.power(x, a)


def maximum(x: Any, y: Any) -> Tensor:
    """The element-wise maximum of ``x`` and ``y``."""
    return ops.maximum(x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """The element-wise minimum of ``x`` and ``y``."""
    return ops.minimum(x, y)


def clip(x: Any, min_value: float | None, max_value: float | None) -> Tensor:
    """``x`` clipped to ``[min_value, max_value]``; None leaves that side open, and a
    ``max_value`` below ``min_value`` is raised to it (Keras 2's rules)."""
    if min_value is not None and max_value is not None and max_value < min_value:
        max_value = min_value
    return ops.clip(x, min_value, max_value)


# -- shape manipulation ---------------------------------------------------------------------------
def reshape(x: Any, shape: Sequence[int]) -> Tensor:
    """``x`` with the shape ``shape`` (one entry may be -1)."""
    return ops.reshape(x, tuple(shape))


def permute_dimensions(x: Any, pattern: Sequence[int]) -> Tensor:
    """``x`` with its axes in the order ``pattern``, e.g. ``(0, 2, 1)``."""
    return ops.transpose(x, tuple(pattern))


def transpose(x: Any) -> Tensor:
    """``x`` with its axes reversed."""
    return ops.transpose(x)


def expand_dims(x: Any, axis: int = -1) -> Tensor:
    """``x`` with a new axis of size 1 at ``axis`` (default: the end)."""
    return ops.expand_dims(x, axis)


def squeeze(x: Any, axis: int) -> Tensor:
    """``x`` without its axis ``axis``, which must have size 1."""
    return ops.squeeze(x, axis)


def flatten(x: Any) -> Tensor:
    """``x`` as one axis."""
    return ops.reshape(x, (-1,))


def batch_flatten(x: Any) -> Tensor:
    """Each sample of ``x`` as one axis: ``(batch, ...) -> (batch, prod(...))``."""
    return ops.reshape(x, (int_shape(x)[0], -1))


def concatenate(tensors: Sequence[Any], axis: int = -1) -> Tensor:
    """``tensors`` joined along ``axis`` (default: the last)."""
    return ops.concatenate(list(tensors), axis=axis)


def stack(x: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors ``x`` stacked along a new axis ``axis``."""
    return ops.stack(list(x), axis=axis)


def one_hot(indices: Any, num_classes: int) -> Tensor:
    """Integer ``indices`` as one-hot vectors on a new last axis of size ``num_classes``."""
    return ops.one_hot(indices, num_classes)


# -- products -------------------------------------------------------------------------------------
def dot(x: Any, y: Any) -> Tensor:
    """The product of ``x`` and ``y`` contracting the last axis of ``x`` with the second-to-last
    of ``y`` (the last when ``y`` is 1-D), as Keras 2 (and Theano's ``dot``) do for any rank:
    ``(2, 3, 4) · (4, 5) -> (2, 3, 5)`` and ``(2, 3) · (4, 3, 5) -> (2, 4, 5)``."""
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if x.ndim <= 2 and y.ndim <= 2:
        return ops.matmul(x, y)
    return ops.tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2 if y.ndim > 1 else 0]))


def batch_dot(x: Any, y: Any, axes: int | Sequence[int] | None = None) -> Tensor:
    """The dot product of ``x[i]`` and ``y[i]`` for each sample ``i``, as Keras 2's ``batch_dot``.

    ``axes`` names the axis of ``x`` and of ``y`` to contract (one int for both); by default the
    last of ``x`` and the last (``y`` of rank 2) or second-to-last of ``y``. The result has the
    remaining axes of ``x`` then those of ``y``, and two rank-2 inputs give ``(batch, 1)``: e.g.
    ``(32, 20, 1)`` and ``(32, 30, 20)`` with ``axes=(1, 2)`` give ``(32, 1, 30)``.
    """
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    a0, a1 = _batch_dot_axes(x.shape, y.shape, axes)
    # One Einstein summation: the batch axis shared, the contracted axes one label, every other
    # axis its own label, kept in order (x's, then y's).
    x_labels = list(string.ascii_letters[: x.ndim])
    y_labels = [x_labels[0], *string.ascii_letters[x.ndim : x.ndim + y.ndim - 1]]
    y_labels[a1] = x_labels[a0]
    kept = [label for i, label in enumerate(x_labels) if i != a0]
    kept += [label for i, label in enumerate(y_labels) if i not in (0, a1)]
    result = ops.einsum(f"{''.join(x_labels)},{''.join(y_labels)}->{''.join(kept)}", x, y)
    return ops.expand_dims(result, -1) if x.ndim == 2 and y.ndim == 2 else result


def _batch_dot_axes(
    x_shape: tuple[int, ...], y_shape: tuple[int, ...], axes: int | Sequence[int] | None
) -> tuple[int, int]:
    """The contracted axis of each :func:`batch_dot` operand, checked, as non-negative ints."""
    if len(x_shape) < 2 or len(y_shape) < 2:
        raise ValueError(
            f"batch_dot needs inputs of rank >= 2. Received: shapes {x_shape} and {y_shape}"
        )
    if x_shape[0] != y_shape[0]:
        raise ValueError(
            f"batch_dot needs inputs of one batch size. Received: shapes {x_shape} and {y_shape}"
        )
    pair = axes
    if axes is None:
        pair = (len(x_shape) - 1, len(y_shape) - (1 if len(y_shape) == 2 else 2))
    elif isinstance(axes, (int, np.integer)):
        pair = (axes, axes)
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(a, (int, np.integer)) for a in pair)
    ):
        raise ValueError(f"axes must be None, an int or a pair of ints. Received: axes={axes!r}")
    a0, a1 = pair[0] % len(x_shape), pair[1] % len(y_shape)
    if a0 == 0 or a1 == 0:
        raise ValueError(f"batch_dot cannot contract the batch axis 0. Received: axes={axes!r}")
    if x_shape[a0] != y_shape[a1]:
        raise ValueError(
            f"batch_dot contracts axes of one size, but x.shape[{a0}] = {x_shape[a0]} and "
            f"y.shape[{a1}] = {y_shape[a1]}. Received: axes={axes!r}"
        )
    return a0, a1


def l2_normalize(x: Any, axis: Axis = None) -> Tensor:
    """``x / √max(Σ x², 1e-12)`` over ``axis`` (all axes when None), as Keras 2."""
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(squares, 1e-12))


# -- activations ----------------------------------------------------------------------------------
def softmax(x: Any, axis: int = -1) -> Tensor:
    """``e^x / Σ e^x`` along ``axis``; a cross-entropy on it then works from the logits."""
    return ops.softmax(x, axis=axis)


def relu(
    x: Any, alpha: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Tensor:
    """The rectified linear unit with Keras 2's arguments: slope ``alpha`` below ``threshold``,
    saturated at ``max_value`` (as ``activations.relu(x, negative_slope=alpha, ...)``)."""
    return activations.relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, ``alpha · (e^x - 1)`` otherwise."""
    return ops.elu(x, alpha)


def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + e^-x)``; a binary cross-entropy on it then works from the logits."""
    return ops.sigmoid(x)


def tanh(x: Any) -> Tensor:
    """The hyperbolic tangent of ``x``."""
    return ops.tanh(x)


def softplus(x: Any) -> Tensor:
    """``log(1 + e^x)``."""
    return ops.softplus(x)


# -- losses ---------------------------------------------------------------------------------------
def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Per-sample ``-Σ target · log(output)`` along ``axis``, from probabilities (renormalised
    and clipped to ``[ε, 1 - ε]``) or, with ``from_logits``, from logits. As
    :func:`numkeras.losses.categorical_crossentropy`, an ``output`` made by a recorded softmax is
    taken from its logits."""
    return losses.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(
    target: Any,
    output: Any,
    from_logits: bool = False,
    axis: int = -1,
    ignore_class: int | None = None,
) -> Tensor:
    """Per-sample ``-log(output[target])`` from integer labels, the classes along ``axis``;
    samples labelled ``ignore_class`` (default None: no label is ignored) get a loss of 0."""
    output = ops.convert_to_tensor(output)
    axis %= output.ndim
    if axis != output.ndim - 1:
        rest = [i for i in range(output.ndim) if i != axis]
        output = ops.transpose(output, (*rest, axis))
    labels = ops.as_array(target)
    if ignore_class is None:
        return losses.sparse_categorical_crossentropy(labels, output, from_logits=from_logits)
    # An ignored label need not be a class (Keras's examples use -1): it is scored as class 0,
    # and that score is then zeroed.
    valid = labels != ignore_class
    values = losses.sparse_categorical_crossentropy(labels * valid, output, from_logits=from_logits)
    return values * valid.reshape(values.shape).astype(values.dtype)


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Element-wise ``-(target · log p + (1 - target) · log(1 - p))``, ``p = output`` clipped to
    ``[ε, 1 - ε]`` or, with ``from_logits``, ``p = sigmoid(output)``; no mean is taken.

    As :func:`numkeras.losses.binary_crossentropy`, an ``output`` made by a recorded sigmoid is
    taken from its logits (exact, and its gradient does not vanish where the sigmoid saturates).
    """
    output = ops.convert_to_tensor(output)
    logits = output if from_logits else losses._logits_behind(output, "sigmoid")
    source, from_logits = (output, False) if logits is None else (logits, True)
    # The loss averages over its last axis; over a new last axis of size one it is the elements.
    unit_axis = (*output.shape, 1)
    return losses.binary_crossentropy(
        ops.reshape(target, unit_axis), ops.reshape(source, unit_axis), from_logits=from_logits
    )


# -- random ---------------------------------------------------------------------------------------
def random_normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: str | None = None,
    seed: Any = None,
) -> Tensor:
    """Normal draws (as :func:`numkeras.random.normal`)."""
    return nk_random.normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_uniform(
    shape: Sequence[int],
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: str | None = None,
    seed: Any = None,
) -> Tensor:
    """Uniform draws in ``[minval, maxval)`` (as :func:`numkeras.random.uniform`)."""
    return nk_random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed)


def truncated_normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: str | None = None,
    seed: Any = None,
) -> Tensor:
    """Normal draws within 2 ``stddev`` of ``mean`` (as
    :func:`numkeras.random.truncated_normal`)."""
    return nk_random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_bernoulli(
    shape: Sequence[int], p: float = 0.0, dtype: str | None = None, seed: Any = None
) -> Tensor:
    """Draws of 1 with probability ``p``, else 0, of ``dtype`` (default: floatx)."""
    return nk_random.binomial(shape, counts=1, probabilities=p, dtype=dtype, seed=seed)


def dropout(
    x: Any, level: float, noise_shape: Sequence[int] | None = None, seed: Any = None
) -> Tensor:
    """Inverted dropout of a fraction ``level`` of ``x`` (as :func:`numkeras.random.dropout`)."""
    return nk_random.dropout(x, level, noise_shape=noise_shape, seed=seed)


__all__ = [
    "clear_session",
    "image_dim_ordering",
    "set_image_dim_ordering",
    "variable",
    "constant",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "get_value",
    "batch_get_value",
    "set_value",
    "batch_set_value",
    "eval",
    "int_shape",
    "shape",
    "ndim",
    "dtype",
    "cast",
    "sum",
    "mean",
    "max",
    "min",
    "prod",
    "std",
    "var",
    "argmax",
    "argmin",
    "square",
    "sqrt",
    "exp",
    "log",
    "abs",
    "pow",
    "maximum",
    "minimum",
    "clip",
    "reshape",
    "permute_dimensions",
    "transpose",
    "expand_dims",
    "squeeze",
    "flatten",
    "batch_flatten",
    "concatenate",
    "stack",
    "one_hot",
    "dot",
    "batch_dot",
    "l2_normalize",
    "softmax",
    "relu",
    "elu",
    "sigmoid",
    "tanh",
    "softplus",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "random_bernoulli",
    "dropout",
]
