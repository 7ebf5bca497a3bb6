"""Label and array helpers with Keras's semantics: ``to_categorical`` and ``normalize``."""

from __future__ import annotations

from typing import Any

import numpy as np

from numkeras import backend


def to_categorical(y: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels, with the class axis last.

    ``y`` of shape ``(n,)`` gives ``(n, num_classes)``; a trailing axis of size 1 is dropped
    first, so ``(n, 1)`` gives ``(n, num_classes)`` too, as in Keras. Unlike Keras (float64), the
    result has numkeras's default float type, ``backend.floatx()`` (float32), ready for ``fit``.

    Args:
        y: class labels, integers from 0 to ``num_classes - 1`` (floats with integer values,
            e.g. ``3.0``, are accepted as in Keras).
        num_classes: number of classes. ``None`` (the default) infers ``max(y) + 1``.

    Returns:
        A NumPy array of zeros and ones of shape ``y.shape + (num_classes,)``.

    Raises:
        ValueError: if a label is negative, not an integer, or not below ``num_classes``.
    """
    labels = backend.to_numpy(y)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        labels = _integral_floats(labels)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"to_categorical expects labels >= 0. Received: y with the negative "
            f"label {labels.min().item()!r}"
        )
    if num_classes is None:
        if not labels.size:
            raise ValueError(
                "to_categorical cannot infer num_classes from an empty y; pass "
                "num_classes. Received: num_classes=None"
            )
        num_classes = int(labels.max()) + 1
    elif (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, (int, np.integer))
        or num_classes < 1
    ):
        raise ValueError(
            f"num_classes must be a positive integer or None. Received: num_classes={num_classes!r}"
        )
    elif labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"to_categorical expects labels from 0 to num_classes - 1 = "
            f"{num_classes - 1}. Received: num_classes={num_classes} and y with "
            f"the label {labels.max().item()!r}"
        )
    categorical = np.zeros((labels.size, int(num_classes)), dtype=backend.floatx())
    categorical[np.arange(labels.size), labels.astype(np.intp)] = 1
    return categorical.reshape(shape + (int(num_classes),))


def normalize(x: Any, axis: int = -1, order: int | float = 2) -> Any:
    """Divide ``x`` by its ``order``-norm along ``axis`` (the L2 norm of each row by default).

    Keras's formula: ``x / ||x||_order`` along ``axis``, where a norm of 0 is replaced by 1 so an
    all-zero vector stays zero. Float inputs keep their dtype; integer inputs become
    ``backend.floatx()``. Works on NumPy and CuPy arrays alike.

    Args:
        x: array to normalize.
        axis: axis along which to normalize. Defaults to -1 (the last).
        order: norm order as in ``numpy.linalg.norm`` (e.g. 1, 2, ``np.inf``). Defaults to 2.

    Returns:
        A normalized copy of ``x``, of the same shape.
    """
    xp = backend.get_array_module(x)
    x = xp.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx())
    if x.ndim == 0:
        raise ValueError(
            f"normalize expects an array with at least one axis. Received: x of shape {x.shape}"
        )
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis must be in [-{x.ndim}, {x.ndim}) for x of shape {x.shape}. Received: axis={axis}"
        )
    norm = xp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return x / norm


def _integral_floats(labels: np.ndarray) -> np.ndarray:
    # Keras casts labels to int64 without a word, turning 2.7 into 2; a label that is not a whole
    # number is a bug in the caller's data, so it is reported instead.
    try:
        values = labels.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"to_categorical expects integer class labels. Received: y of dtype "
            f"{labels.dtype} ({_preview(labels)})"
        ) from None
    bad = values[~np.isfinite(values) | (values != np.round(values))]
    if bad.size:
        raise ValueError(
            f"to_categorical expects integer class labels. Received: y with the "
            f"non-integer value {bad.flat[0].item()!r}"
        )
    return values


def _preview(values: np.ndarray) -> str:
    flat = values.reshape(-1)
    text = ", ".join(repr(v) for v in flat[:3].tolist())
    return f"[{text}{', ...' if flat.size > 3 else ''}]"
