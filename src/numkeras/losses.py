"""Losses: how good a function is (step 2 of the course), as Keras 3 computes it.

Every loss exists as a function and as a class, with Keras's names, defaults and formulas:

* the function, ``loss(y_true, y_pred, ...)``, returns one value per sample (the mean or sum over
  the last axis), as a :class:`~numkeras.ops.Tensor` that differentiates;
* the class, ``Loss(reduction='sum_over_batch_size', name=...)``, is called as
  ``loss(y_true, y_pred, sample_weight=None)`` and returns a scalar: the per-sample values times
  the sample weights, reduced over the batch.

``y_true`` is a plain array (it is converted to ``y_pred``'s dtype, so float32 stays float32);
``y_pred`` is the model's output Tensor. When that output carries a mask (``Tensor._keras_mask``,
e.g. a sequence model after ``Embedding(mask_zero=True)``), the masked steps get weight 0 and,
for ``'sum_over_batch_size'``, the sum is divided by the number of unmasked values, as Keras 3
folds the mask into the sample weights (:func:`apply_mask`). Everything is built from
:mod:`numkeras.ops`, and so is a loss that a user writes::

    def my_loss(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    model.compile(optimizer="sgd", loss=my_loss)     # differentiates with no extra code

Cross-entropy on probabilities clips them to ``[ε, 1 - ε]`` (``ε = 1e-7``) as Keras does. When the
probabilities come straight from a softmax (or a sigmoid) recorded on the tape, the cross-entropy
is computed from that op's logits instead, by a fused op whose gradient is ``p - y``: faster,
and exact where the clipped formula would saturate. The two agree to within the clipping. Keras 3
(on JAX) clips there too, so this is where numkeras differs from it on purpose: at logits
``[50, 0, 0]`` with the true class 2, Keras's loss is 16.1 with a zero gradient, numkeras's 50
with a gradient that trains (see docs/keras-differences.md). Without a tape (``evaluate``,
``predict``) no mark is left and the clipped formula gives Keras's figure.
"""

from __future__ import annotations

import functools
import math
import operator
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from . import backend, ops, registry
from .backend import get_array_module
from .ops import Tensor, as_array
from .per_sample import FunctionTable, FunctionWrapper, snake_case

Shape = tuple[Any, ...]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

#: Every loss function by its name, filed where it is defined (each has a class too).
FUNCTIONS = FunctionTable()


# --------------------------------------------------------------------------------------------
# Shapes, targets and sample weights
# --------------------------------------------------------------------------------------------
def _same_rank_shapes(a: Shape, b: Shape) -> tuple[Shape, Shape]:
    """Keras's rank rule: when ranks differ by one and the longer shape ends in 1, drop that
    axis, or add one to the shorter shape when it is 1-D (so ``(n,)`` meets ``(n, 1)``)."""
    if len(a) == len(b) + 1 and a[-1] == 1:
        return (a, b + (1,)) if len(b) == 1 else (a[:-1], b)
    if len(b) == len(a) + 1 and b[-1] == 1:
        return (a + (1,), b) if len(a) == 1 else (a, b[:-1])
    return a, b


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any) -> tuple[Any, Any]:
    """``x1`` and ``x2`` (arrays or Tensors) reshaped to the same rank by Keras's rule.

    A trailing axis of size 1 is dropped from the higher-rank one, except that a 1-D partner
    gains one instead: ``(n,)`` and ``(n, 1)`` both become ``(n, 1)``.
    """
    s1, s2 = _same_rank_shapes(tuple(x1.shape), tuple(x2.shape))
    return (
        x1 if s1 == tuple(x1.shape) else x1.reshape(s1),
        x2 if s2 == tuple(x2.shape) else x2.reshape(s2),
    )


def align_sample_weight(sample_weight: Any, values: Any) -> Any:
    """``sample_weight`` as an array of ``values``' dtype that broadcasts against ``values``.

    Weights of shape ``(n,)`` or ``(n, 1)`` apply to whole samples; ``(n, t)`` weights apply to
    each step of ``(n, t)`` values. Raises ValueError when they cannot match.
    """
    dtype = values.dtype if values.dtype.kind == "f" else backend.floatx()
    weights = as_array(sample_weight, dtype)
    if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    if weights.ndim < values.ndim:
        weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
    if weights.ndim != values.ndim or any(
        w not in (1, v) for w, v in zip(weights.shape, values.shape, strict=True)
    ):
        raise ValueError(
            f"sample_weight must have one weight per sample, shape {values.shape[:1]}, or match "
            f"the values it weighs, shape {tuple(values.shape)}. "
            f"Received: sample_weight.shape={tuple(as_array(sample_weight).shape)}"
        )
    return weights


def apply_mask(sample_weight: Any, mask: Any, reduction: str | None, dtype: Any) -> Any:
    """``sample_weight`` (None: all 1) times the ``mask`` of the values (True: counted), as
    Keras 3 folds a mask into the sample weights.

    For ``'sum_over_batch_size'`` and ``'mean'`` the mask's weights are ``total / valid`` (the
    mask's size over its number of True, 0 when none is), so that the reduction's division by
    the number of values becomes a division by the number of unmasked ones; otherwise they are
    1 and 0. Returns ``sample_weight`` as it is when ``mask`` is None.
    """
    if mask is None:
        return sample_weight
    weights = as_array(mask).astype(dtype)
    if reduction in ("sum_over_batch_size", "mean"):
        valid = weights.sum()
        weights = weights * (weights.size / valid) if valid else weights
    if sample_weight is None:
        return weights
    return align_sample_weight(sample_weight, weights) * weights


def reduce_weighted_values(
    values: Any,
    sample_weight: Any = None,
    reduction: str | None = "sum_over_batch_size",
    mask: Any = None,
) -> Tensor:
    """Weight per-sample loss ``values`` and reduce them as Keras does.

    ``'sum_over_batch_size'`` (and its alias ``'mean'``): ``Σ w·l / (number of values)``;
    ``'sum'``: ``Σ w·l``; ``'mean_with_sample_weight'``: ``Σ w·l / Σ w``, the weights counted
    once per value they weigh (a true weighted mean also for per-step values); ``'none'``/None:
    the weighted values themselves. A ``mask`` of the values is folded into the weights first
    (:func:`apply_mask`).
    """
    values = ops.convert_to_tensor(values)
    weights = None
    dtype = values.dtype if values.dtype.kind == "f" else backend.floatx()
    sample_weight = apply_mask(sample_weight, mask, reduction, dtype)
    if sample_weight is not None:
        weights = align_sample_weight(sample_weight, values)
        values = values * weights
    if reduction in (None, "none") or values.ndim == 0:
        return values
    if reduction == "sum" or values.size == 0:
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and weights is not None:
        xp = get_array_module(weights)
        total_weight = float(xp.broadcast_to(weights, values.shape).sum())
        return ops.sum(values) / total_weight if total_weight else ops.sum(values)
    return ops.mean(values)


def _target(y_true: Any, dtype: Any) -> Any:
    """``y_true`` as an array of ``dtype`` (that of ``y_pred``: no silent float64)."""
    target = as_array(y_true, dtype)
    return target if target.dtype == dtype else target.astype(dtype)


def _prepare(y_true: Any, y_pred: Any, fn: Callable) -> tuple[Any, Tensor]:
    """Targets as an array and predictions as a Tensor of matching rank, checked against ``fn``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_target(y_true, y_pred.dtype), y_pred)
    _raise_on_shape_error(fn, fn.__name__, "y_true", "y_pred", y_true.shape, y_pred.shape)
    return y_true, y_pred


def _logits_behind(y_pred: Tensor, activation: str, axis: int | None = None) -> Tensor | None:
    """The logits that ``y_pred`` is ``activation`` of (over ``axis``), read from the mark that a
    recorded ``ops.softmax`` or ``ops.sigmoid`` leaves on its output; None when unmarked."""
    mark = y_pred._keras_logits
    if mark is None or mark.activation != activation:
        return None
    if axis is not None and (
        not isinstance(mark.axis, int) or mark.axis % y_pred.ndim != axis % y_pred.ndim
    ):
        return None
    return mark.logits


# --------------------------------------------------------------------------------------------
# Regression losses
# --------------------------------------------------------------------------------------------
@FUNCTIONS.add
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((y_true - y_pred)², axis=-1)``.

    >>> import numpy as np
    >>> mean_squared_error(np.array([[0., 1.]]), np.array([[1., 1.]])).numpy()
    array([0.5])
    """
    y_true, y_pred = _prepare(y_true, y_pred, mean_squared_error)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


@FUNCTIONS.add
def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred, mean_absolute_error)
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


@FUNCTIONS.add
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """``100 · mean(|y_true - y_pred| / max(|y_true|, ε), axis=-1)``, ``ε = 1e-7``."""
    y_true, y_pred = _prepare(y_true, y_pred, mean_absolute_percentage_error)
    xp = get_array_module(y_true)
    scale = 100.0 / xp.maximum(abs(y_true), backend.epsilon())
    return ops.mean(ops.abs(y_pred - y_true) * scale, axis=-1)


@FUNCTIONS.add
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((log(max(y_pred, ε) + 1) - log(max(y_true, ε) + 1))², axis=-1)``, ``ε = 1e-7``."""
    y_true, y_pred = _prepare(y_true, y_pred, mean_squared_logarithmic_error)
    xp = get_array_module(y_true)
    eps = backend.epsilon()
    log_true = xp.log(xp.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(ops.log(ops.clip(y_pred, eps, None) + 1.0) - log_true), axis=-1)


@FUNCTIONS.add
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Huber loss, quadratic for small errors and linear for large ones, averaged over axis -1.

    With ``x = y_pred - y_true``: ``x²/2`` where ``|x| ≤ delta``, else ``delta·|x| - delta²/2``.
    ``delta`` defaults to ``1.0``.
    """
    y_true, y_pred = _prepare(y_true, y_pred, huber)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    inside = abs_error.data <= delta
    values = ops.where(inside, 0.5 * ops.square(error), delta * abs_error - 0.5 * delta * delta)
    return ops.mean(values, axis=-1)


@FUNCTIONS.add
def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as ``x + softplus(-2x) - log 2``
    so that no ``cosh`` overflows. About ``x²/2`` for small errors, ``|x| - log 2`` for large."""
    y_true, y_pred = _prepare(y_true, y_pred, log_cosh)
    error = y_pred - y_true
    return ops.mean(error + ops.softplus(-2.0 * error) - math.log(2.0), axis=-1)


@FUNCTIONS.add
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """``-Σ l2_normalize(y_true) · l2_normalize(y_pred)`` along ``axis``, in [-1, 1].

    ``l2_normalize(x) = x / max(‖x‖, ε)``, so a zero vector gives 0. Minimising the loss
    maximises the similarity (-1 means the same direction).
    """
    y_true, y_pred = _prepare(y_true, y_pred, cosine_similarity)
    xp = get_array_module(y_true)
    eps2 = backend.epsilon() ** 2
    true_unit = y_true / xp.sqrt(xp.maximum((y_true * y_true).sum(axis, keepdims=True), eps2))
    pred_norm = ops.sqrt(ops.clip(ops.sum(ops.square(y_pred), axis, keepdims=True), eps2, None))
    return ops.sum(y_pred * -true_unit / pred_norm, axis=axis)


# --------------------------------------------------------------------------------------------
# Probabilistic losses
# --------------------------------------------------------------------------------------------
def _clipped_log(p: Tensor) -> Tensor:
    """``log(clip(p, ε, 1 - ε))``: Keras's guard against ``log(0)``."""
    eps = backend.epsilon()
    return ops.log(ops.clip(p, eps, 1.0 - eps))


def _probability_crossentropy(target: Any, probs: Tensor, axis: int) -> Tensor:
    """``-Σ target · log(clip(p))`` with ``p`` renormalised to sum to 1 along ``axis``."""
    total = ops.sum(probs, axis=axis, keepdims=True)
    return ops.sum(-target * _clipped_log(probs / total), axis=axis)


@FUNCTIONS.add
def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Per-sample ``-Σ y_true · log(y_pred)`` along ``axis``, from one-hot (or soft) targets.

    Args:
        y_true: targets of ``y_pred``'s shape, one-hot (or probabilities).
        y_pred: probabilities (``from_logits=False``, the default) or logits.
        from_logits: whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: ``ls`` in [0, 1]; targets become ``y·(1 - ls) + ls/num_classes``.
            Defaults to ``0.0``.
        axis: the class axis. Defaults to ``-1``.

    Probabilities are renormalised to sum to 1 and clipped to ``[1e-7, 1 - 1e-7]`` as in Keras,
    unless ``y_pred`` is the output of a recorded softmax over ``axis``: then the fused, stable
    ``ops.softmax_cross_entropy`` works on the softmax's logits (gradient ``p - y``). The two
    values agree to within the clipping.

    >>> import numpy as np
    >>> y = np.array([[0., 1., 0.], [0., 0., 1.]])
    >>> p = np.array([[0.05, 0.95, 0.], [0.1, 0.8, 0.1]])
    >>> categorical_crossentropy(y, p).numpy().round(4)
    array([0.0513, 2.3026])
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    _raise_on_shape_error(
        categorical_crossentropy,
        "categorical_crossentropy",
        "y_true",
        "y_pred",
        y_true.shape,
        y_pred.shape,
    )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    logits = y_pred if from_logits else _logits_behind(y_pred, "softmax", axis)
    if logits is not None:
        return ops.softmax_cross_entropy(logits, y_true, axis=axis)
    return _probability_crossentropy(y_true, y_pred, axis)


@FUNCTIONS.add
def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """Per-sample ``-log(y_pred[label])`` from integer class labels.

    Args:
        y_true: integer labels in ``[0, num_classes)``, shape ``y_pred.shape[:-1]`` (or with a
            trailing axis of 1).
        y_pred: probabilities (``from_logits=False``, the default) or logits over the last axis.
        from_logits: whether ``y_pred`` holds logits. Defaults to ``False``.

    Like :func:`categorical_crossentropy` with one-hot targets: clipped probabilities, or the
    fused ``ops.sparse_softmax_cross_entropy`` on the logits of a recorded softmax.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    labels = _labels(y_true, y_pred)
    logits = y_pred if from_logits else _logits_behind(y_pred, "softmax", -1)
    if logits is not None:
        return ops.sparse_softmax_cross_entropy(logits, labels)
    xp = get_array_module(labels)
    one_hot = (labels[..., None] == xp.arange(y_pred.shape[-1])).astype(y_pred.dtype)
    return _probability_crossentropy(one_hot, y_pred, -1)


def _labels(y_true: Any, y_pred: Tensor) -> Any:
    """Integer class labels of shape ``y_pred.shape[:-1]``, checked to be valid classes."""
    labels = as_array(y_true)
    _raise_on_shape_error(
        sparse_categorical_crossentropy,
        "sparse_categorical_crossentropy",
        "y_true",
        "y_pred",
        labels.shape,
        y_pred.shape,
    )
    if labels.ndim == y_pred.ndim:
        labels = labels.reshape(labels.shape[:-1])
    labels = labels.astype("int64", copy=False)
    classes = y_pred.shape[-1]
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy needs class labels in [0, {classes}) for a "
            f"{classes}-class output. Received: labels from {int(labels.min())} to "
            f"{int(labels.max())}"
        )
    return labels


@FUNCTIONS.add
def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """``mean(-(y·log p + (1 - y)·log(1 - p)), axis)``: one independent yes/no per output.

    Args:
        y_true: targets in [0, 1] (labels 0/1), of ``y_pred``'s shape (or ``(n,)`` for ``(n, 1)``).
        y_pred: probabilities (``from_logits=False``, the default) or logits.
        from_logits: whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: ``ls`` in [0, 1]; targets become ``y·(1 - ls) + ls/2``. Defaults to 0.
        axis: the axis averaged over. Defaults to ``-1``.

    ``p`` is clipped to ``[1e-7, 1 - 1e-7]`` unless ``y_pred`` is the output of a recorded
    sigmoid: then the fused, stable ``ops.sigmoid_binary_cross_entropy`` uses its logits.

    >>> import numpy as np
    >>> binary_crossentropy(np.array([[0., 1.], [0., 0.]]), np.array([[0.6, 0.4], [0.4, 0.6]])
    ...                     ).numpy().round(4)
    array([0.9163, 0.7136])
    """
    y_true, y_pred = _prepare(y_true, y_pred, binary_crossentropy)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else _logits_behind(y_pred, "sigmoid")
    if logits is not None:
        values = ops.sigmoid_binary_cross_entropy(logits, y_true)
    else:
        values = -y_true * _clipped_log(y_pred) - (1.0 - y_true) * _clipped_log(1.0 - y_pred)
    return ops.mean(values, axis=axis)


@FUNCTIONS.add
def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """Kullback-Leibler divergence ``Σ y_true · log(y_true / y_pred)`` over axis -1.

    Both are clipped to ``[ε, 1]`` (``ε = 1e-7``) first, as in Keras.
    """
    y_true, y_pred = _prepare(y_true, y_pred, kl_divergence)
    xp = get_array_module(y_true)
    eps = backend.epsilon()
    y_true = xp.clip(y_true, eps, 1.0)
    return ops.sum(y_true * (xp.log(y_true) - ops.log(ops.clip(y_pred, eps, 1.0))), axis=-1)


@FUNCTIONS.add
def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(y_pred - y_true · log(y_pred + ε), axis=-1)``, ``ε = 1e-7``."""
    y_true, y_pred = _prepare(y_true, y_pred, poisson)
    return ops.mean(y_pred - y_true * ops.log(y_pred + backend.epsilon()), axis=-1)


# --------------------------------------------------------------------------------------------
# Max-margin losses
# --------------------------------------------------------------------------------------------
def _hinge_margins(y_true: Any, y_pred: Tensor) -> Tensor:
    """``max(1 - y·ŷ, 0)``, with labels 0/1 first mapped to -1/1 (as Keras does)."""
    xp = get_array_module(y_true)
    if xp.all((y_true == 0) | (y_true == 1)):
        y_true = 2.0 * y_true - 1.0
    return ops.relu(1.0 - y_true * y_pred)


@FUNCTIONS.add
def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(max(1 - y_true · y_pred, 0), axis=-1)``; labels -1/1 (0/1 are converted)."""
    y_true, y_pred = _prepare(y_true, y_pred, hinge)
    return ops.mean(_hinge_margins(y_true, y_pred), axis=-1)


@FUNCTIONS.add
def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(max(1 - y_true · y_pred, 0)², axis=-1)``; labels -1/1 (0/1 are converted)."""
    y_true, y_pred = _prepare(y_true, y_pred, squared_hinge)
    return ops.mean(ops.square(_hinge_margins(y_true, y_pred)), axis=-1)


@FUNCTIONS.add
def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``max(neg - pos + 1, 0)`` with ``pos = Σ y·ŷ`` and ``neg = max((1 - y)·ŷ)`` over axis -1:
    the true class's score must beat the best other score by a margin of 1."""
    y_true, y_pred = _prepare(y_true, y_pred, categorical_hinge)
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.relu(negative - positive + 1.0)


# Keras 2's other names of the loss functions, as attributes of the module (both spellings).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

#: Keras's other names of loss functions (``get`` matches names case-insensitively).
ALIASES: dict[str, Callable] = {
    "mse": mse,
    "mae": mae,
    "mape": mape,
    "msle": msle,
    "kld": kld,
    "kullback_leibler_divergence": kullback_leibler_divergence,
    "logcosh": logcosh,
    "bce": binary_crossentropy,
    "cce": categorical_crossentropy,
    "scce": sparse_categorical_crossentropy,
}


# --------------------------------------------------------------------------------------------
# Loss classes
# --------------------------------------------------------------------------------------------
@registry.register
class Loss:
    """Base class of losses: subclass it and implement ``call(y_true, y_pred)``.

    ``call`` returns per-sample values; calling the loss applies ``sample_weight`` and the
    ``reduction``: ``'sum_over_batch_size'`` (the default: the mean over samples), ``'sum'``,
    ``'mean'`` (the same as the default), ``'mean_with_sample_weight'`` (divided by the sum of
    the weights) or ``'none'``/None (the weighted per-sample values).
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size"):
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {list(REDUCTIONS)}. Received: reduction={reduction!r}"
            )
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The reduced loss, a scalar Tensor (unless ``reduction='none'``); the masks of
        ``y_pred`` and of the values (both, joined, when both have one) weigh the values."""
        y_pred = ops.convert_to_tensor(y_pred)
        values = self.call(_target(y_true, y_pred.dtype), y_pred)
        masks = [m.data for m in (y_pred._keras_mask, values._keras_mask) if m is not None]
        mask = functools.reduce(operator.and_, masks) if masks else None
        return reduce_weighted_values(values, sample_weight, self.reduction, mask)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


@registry.register
class LossFunctionWrapper(FunctionWrapper, Loss):
    """A :class:`Loss` that applies ``fn(y_true, y_pred, **kwargs)``: any per-sample function,
    built in or the user's own, becomes a loss with sample weights and a reduction.

    Its config names ``fn`` (see :mod:`numkeras.per_sample`) among the loss functions, their
    aliases and ``custom_objects``.
    """

    kind = "loss"
    functions = {**FUNCTIONS, **ALIASES}

    def __init__(
        self,
        fn: Callable,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(name or getattr(fn, "__name__", None), reduction)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self.fn_kwargs)


class _FixedFunctionLoss(LossFunctionWrapper):
    """A loss class around one function without options; its name defaults to the function's."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str | None = None):
        super().__init__(type(self).function, reduction, name)


@registry.register
class MeanSquaredError(_FixedFunctionLoss):
    """Mean of squared errors, ``mean((y_true - y_pred)²)``; see :func:`mean_squared_error`."""

    function = staticmethod(mean_squared_error)


@registry.register
class MeanAbsoluteError(_FixedFunctionLoss):
    """Mean of absolute errors, ``mean(|y_true - y_pred|)``; see :func:`mean_absolute_error`."""

    function = staticmethod(mean_absolute_error)


@registry.register
class MeanAbsolutePercentageError(_FixedFunctionLoss):
    """``100 · mean(|y_true - y_pred| / |y_true|)``; see :func:`mean_absolute_percentage_error`."""

    function = staticmethod(mean_absolute_percentage_error)


@registry.register
class MeanSquaredLogarithmicError(_FixedFunctionLoss):
    """``mean((log(y_pred + 1) - log(y_true + 1))²)``;
    see :func:`mean_squared_logarithmic_error`."""

    function = staticmethod(mean_squared_logarithmic_error)


@registry.register
class LogCosh(_FixedFunctionLoss):
    """``mean(log(cosh(y_pred - y_true)))``; see :func:`log_cosh`."""

    function = staticmethod(log_cosh)


@registry.register
class KLDivergence(_FixedFunctionLoss):
    """``Σ y_true · log(y_true / y_pred)``; see :func:`kl_divergence`."""

    function = staticmethod(kl_divergence)


@registry.register
class Poisson(_FixedFunctionLoss):
    """``mean(y_pred - y_true · log(y_pred))``; see :func:`poisson`."""

    function = staticmethod(poisson)


@registry.register
class Hinge(_FixedFunctionLoss):
    """``mean(max(1 - y_true · y_pred, 0))``; see :func:`hinge`."""

    function = staticmethod(hinge)


@registry.register
class SquaredHinge(_FixedFunctionLoss):
    """``mean(max(1 - y_true · y_pred, 0)²)``; see :func:`squared_hinge`."""

    function = staticmethod(squared_hinge)


@registry.register
class CategoricalHinge(_FixedFunctionLoss):
    """``max(max_other(y_pred) - y_pred[true] + 1, 0)``; see :func:`categorical_hinge`."""

    function = staticmethod(categorical_hinge)


@registry.register
class Huber(LossFunctionWrapper):
    """Huber loss (``delta=1.0``, name ``'huber_loss'``); see :func:`huber`."""

    function = staticmethod(huber)

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
    ):
        super().__init__(huber, reduction, name, delta=delta)


@registry.register
class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis`` (default -1); see :func:`cosine_similarity`."""

    function = staticmethod(cosine_similarity)

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
    ):
        super().__init__(cosine_similarity, reduction, name, axis=axis)


@registry.register
class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy from one-hot targets; see :func:`categorical_crossentropy`.

    Defaults: ``from_logits=False, label_smoothing=0.0, axis=-1``.
    """

    function = staticmethod(categorical_crossentropy)

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
    ):
        super().__init__(
            categorical_crossentropy,
            reduction,
            name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@registry.register
class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy from integer labels (``from_logits=False``);
    see :func:`sparse_categorical_crossentropy`."""

    function = staticmethod(sparse_categorical_crossentropy)

    def __init__(
        self,
        from_logits: bool = False,
        reduction: str | None = "sum_over_batch_size",
        name: str = "sparse_categorical_crossentropy",
    ):
        super().__init__(sparse_categorical_crossentropy, reduction, name, from_logits=from_logits)


@registry.register
class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy; see :func:`binary_crossentropy`.

    Defaults: ``from_logits=False, label_smoothing=0.0, axis=-1``.
    """

    function = staticmethod(binary_crossentropy)

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
    ):
        super().__init__(
            binary_crossentropy,
            reduction,
            name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


# --------------------------------------------------------------------------------------------
# Names, lookup and target checks
# --------------------------------------------------------------------------------------------
#: Every loss class by name: the classes registered in this module.
CLASSES: dict[str, type] = registry.own_classes(registry.package_of(Loss))
# Names a user may write: functions, Keras's aliases and the classes that need no arguments.
_TABLE: dict[str, Any] = {
    **LossFunctionWrapper.functions,
    **{name: cls for name, cls in CLASSES.items() if cls not in (Loss, LossFunctionWrapper)},
}


def _instantiate(found: Any) -> Any:
    return found() if isinstance(found, type) else found


#: What a loss slot (``compile(loss=...)``) accepts from a config.
FAMILY = registry.Family("loss", (Loss,))


def get(identifier: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """The loss that ``identifier`` names, as Keras's ``losses.get``.

    A name (``'mse'``, ``'categorical_crossentropy'``, case-insensitive) gives the function; a
    class name or class gives an instance; a config dict is deserialized; a function or a
    :class:`Loss` instance is returned as it is; None stays None. Unknown names raise a
    ValueError that lists the valid ones.
    """
    if identifier is None:
        return None
    return registry.resolve(identifier, _TABLE, FAMILY, _instantiate, custom_objects)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a loss from :func:`serialize`'s output (a name or a class config)."""
    return get(config, custom_objects)


def serialize(loss: Any) -> Any:
    """A JSON-ready description of ``loss``: a function's name or a class's config."""
    return registry.serialize(loss)


def as_loss(identifier: Any) -> Loss | None:
    """``get(identifier)`` as a :class:`Loss` object (functions are wrapped), as compile needs."""
    loss = get(identifier)
    if loss is None or isinstance(loss, Loss):
        return loss
    if not callable(loss):
        raise ValueError(f"A loss must be callable. Received: loss={identifier!r}")
    return LossFunctionWrapper(loss, name=identifier if isinstance(identifier, str) else None)


def function_of(loss: Any) -> Callable | None:
    """The per-sample function that a loss identifier computes (None for a custom
    :class:`Loss` subclass, whose ``call`` is its own)."""
    if isinstance(loss, (str, dict, type)):
        loss = get(loss)
    if isinstance(loss, LossFunctionWrapper):
        return loss.fn
    if isinstance(loss, Loss) or not callable(loss):
        return None
    return loss


def _compatible(a: Shape, b: Shape) -> bool:
    """Equal shapes, where None (an unknown size) matches any size."""
    return len(a) == len(b) and all(
        x is None or y is None or x == y for x, y in zip(a, b, strict=True)
    )


def _shape_error(fn: Callable, name: str, target: str, output: str, y: Shape, out: Shape) -> str:
    """Why targets of shape ``y`` cannot go with outputs of shape ``out`` under loss ``fn``
    (empty when they can). ``target``/``output`` name the two in the message."""
    y, out = tuple(y), tuple(out)
    if not out or (y == out and fn is not sparse_categorical_crossentropy):
        return ""  # the hot path: a training step's targets have the outputs' shape
    classes = out[-1]
    received = f"Received: {target}.shape={y}, {output}.shape={out}"
    labels = (classes is None or classes > 1) and (
        _compatible(y, out[:-1]) or _compatible(y, out[:-1] + (1,))
    )
    if fn is sparse_categorical_crossentropy:
        if labels:
            return ""
        hint = (
            f" {target} looks one-hot encoded: use loss='categorical_crossentropy' for one-hot "
            f"targets (or {target}.argmax(-1) for the labels)."
            if _compatible(y, out)
            else ""
        )
        return (
            f"loss='{name}' expects one integer class label per sample in {target}, of shape "
            f"{out[:-1]} or {out[:-1] + (1,)}.{hint} {received}"
        )
    if _compatible(*_same_rank_shapes(y, out)):
        return ""
    one_hot = " (one-hot targets)" if fn is categorical_crossentropy else ""
    message = (
        f"loss='{name}' compares {target} with {output} element by element, so {target} needs "
        f"the shape {out}{one_hot}"
    )
    if labels:
        message += (
            f"; {target} looks like integer class labels: use "
            f"numkeras.utils.to_categorical({target}, {classes}) to one-hot encode them"
        )
        if fn is categorical_crossentropy:
            message += ", or loss='sparse_categorical_crossentropy'"
    return f"{message}. {received}"


def _raise_on_shape_error(fn: Callable, name: str, target: str, output: str, y: Shape, out: Shape):
    message = _shape_error(fn, name, target, output, y, out)
    if message:
        raise ValueError(message)


_CHECKED = frozenset(FUNCTIONS.values())


def check_target_shape(loss: Any, y_true_shape: Shape, y_pred_shape: Shape) -> None:
    """Raise ValueError, with the fix, when targets of ``y_true_shape`` do not suit ``loss``
    and a model output of ``y_pred_shape`` (None marks an unknown size, e.g. the batch).

    For instance integer labels ``(n,)`` with ``categorical_crossentropy`` on a ``(None, 10)``
    output: use ``numkeras.utils.to_categorical(y, 10)`` or ``'sparse_categorical_crossentropy'``;
    one-hot ``(n, 10)`` targets with ``sparse_categorical_crossentropy``: use
    ``'categorical_crossentropy'``. Custom losses are not checked: their rules are their own.
    """
    fn = function_of(loss)
    if fn not in _CHECKED:
        return
    name = loss if isinstance(loss, str) else fn.__name__
    if fn is categorical_crossentropy and tuple(y_pred_shape)[-1:] == (1,):
        warnings.warn(
            f"loss='{name}' on a model output with a single unit is always 0 (that unit's "
            "probability is renormalised to 1), so the model cannot learn: for two classes "
            "use one sigmoid unit and loss='binary_crossentropy'.",
            stacklevel=2,
        )
    _raise_on_shape_error(fn, name, "y", "output", y_true_shape, y_pred_shape)


__all__ = [
    *CLASSES,
    *FUNCTIONS,
    "get",
    "serialize",
    "deserialize",
    "as_loss",
    "function_of",
    "check_target_shape",
    "squeeze_or_expand_to_same_rank",
    "align_sample_weight",
    "reduce_weighted_values",
    "REDUCTIONS",
    "CLASSES",
    "FUNCTIONS",
    "ALIASES",
    "mse",
    "MSE",
    "mae",
    "MAE",
    "mape",
    "MAPE",
    "msle",
    "MSLE",
    "kld",
    "KLD",
    "kullback_leibler_divergence",
    "logcosh",
]
