"""Gathering by integer indices (take, take_along_axis), positions of extremes (argmax, argmin)
and one-hot encoding.

The gathers are ``x[index]`` (:class:`~.shape.GetItem`), whose VJP scatters the gradient back
with ``add.at``, so an index taken twice gets both gradients. Positions and one-hot encodings are
not differentiable, as in Keras: they come back as tensors off the tape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..backend import get_array_module
from .axes import canonical_axis
from .core import Tensor, as_array
from .dtypes import INDEX_DTYPE
from .shape import GetItem, Reshape


def as_indices(indices: Any, name: str = "indices") -> Any:
    """``indices`` as an integer array of the active backend (Python ints give int64)."""
    if not isinstance(indices, Tensor) and not hasattr(indices, "dtype"):
        indices = np.asarray(indices)
    data = as_array(indices)
    if data.dtype.kind not in "iu":
        if data.size:
            raise ValueError(f"{name} must have an integer type. Received: dtype={data.dtype}")
        data = data.astype(INDEX_DTYPE)
    return data


def _check_range(indices: Any, size: int, axis: int, name: str = "indices") -> None:
    """Raise unless every index addresses one of ``size`` positions (negatives from the end)."""
    if indices.size and (int(indices.min()) < -size or int(indices.max()) >= size):
        raise IndexError(
            f"{name} must lie in [{-size}, {size}) for axis {axis} of x, of size {size}. "
            f"Received: {name} from {int(indices.min())} to {int(indices.max())}"
        )


def _flat(x: Any) -> Any:
    """``x`` flattened (differentiably), as the ops read ``axis=None``."""
    return Reshape((-1,))(x)


def gather_along_axis(x: Any, indices: Any, axis: int) -> Tensor:
    """``x`` gathered at the integer array ``indices`` along ``axis`` (in range, non-negative or
    negative), the other axes of ``x`` and ``indices`` broadcast against each other: NumPy's
    ``take_along_axis`` as an index of ``x``, so it differentiates as ``x[index]`` does."""
    xp = get_array_module(indices)
    shape, ndim = tuple(np.shape(x)), indices.ndim
    index = tuple(
        indices if i == axis else xp.arange(n).reshape((1,) * i + (n,) + (1,) * (ndim - i - 1))
        for i, n in enumerate(shape)
    )
    return GetItem(index)(x)


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """The slices of ``x`` at the integer ``indices`` along ``axis`` (of the flattened ``x``
    when None); the result has ``indices``' shape in place of that axis. Negative indices
    count from the end; an index out of range is an IndexError (Keras on JAX gives NaN)."""
    indices = as_indices(indices)
    if axis is None:
        x, axis = _flat(x), 0
    shape = tuple(np.shape(x))
    axis = canonical_axis(axis, len(shape))
    _check_range(indices, shape[axis], axis)
    return GetItem((slice(None),) * axis + (indices,))(x)


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """``x`` gathered at ``indices`` along ``axis``: ``out[..., i, ...] = x[..., indices[..., i,
    ...], ...]``, as ``numpy.take_along_axis``. ``indices`` has the rank of ``x`` (of the
    flattened ``x`` when ``axis`` is None) and the other axes broadcast against ``x``'s."""
    indices = as_indices(indices)
    if axis is None:
        x, axis = _flat(x), 0
    shape = tuple(np.shape(x))
    axis = canonical_axis(axis, len(shape))
    if indices.ndim != len(shape) or any(
        i != axis and 1 not in (n, m) and n != m
        for i, (n, m) in enumerate(zip(shape, indices.shape))
    ):
        raise ValueError(
            f"indices must have the rank of x ({len(shape)}) and, off axis {axis}, sizes that "
            f"broadcast against x's {shape}. Received: indices.shape={indices.shape}"
        )
    _check_range(indices, shape[axis], axis)
    return gather_along_axis(x, indices, axis)


def _position(reduce_name: str, x: Any, axis: int | None, keepdims: bool) -> Tensor:
    """The int32 positions where ``x`` reaches its extreme along ``axis`` (the first of ties)."""
    data = as_array(x)
    if axis is not None:
        axis = canonical_axis(axis, data.ndim)
    xp = get_array_module(data)
    found = getattr(xp, reduce_name)(data, axis=axis, keepdims=keepdims)
    return Tensor(found.astype(INDEX_DTYPE))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The int32 index of the maximum of ``x`` along ``axis`` (of the flattened ``x`` when
    None), the first one where there are ties; not differentiable."""
    return _position("argmax", x, axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The int32 index of the minimum of ``x`` along ``axis`` (of the flattened ``x`` when
    None), the first one where there are ties; not differentiable."""
    return _position("argmin", x, axis, keepdims)


def one_hot(
    x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> Tensor:
    """The one-hot encoding of the class indices ``x``: a new axis of ``num_classes`` at
    ``axis`` (the last by default), 1 at each index and 0 elsewhere, in ``dtype`` (floatx by
    default). An index that is negative, too large or not a whole number gives a row of zeros,
    as in Keras. ``sparse=True`` is refused: numkeras has dense tensors only."""
    if sparse:
        raise ValueError("one_hot makes dense tensors only in numkeras. Received: sparse=True")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
        raise TypeError(f"num_classes must be an integer. Received: num_classes={num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1. Received: num_classes={num_classes}")
    data = as_array(x if hasattr(x, "dtype") else np.asarray(x))
    xp = get_array_module(data)
    hot = (data[..., None] == xp.arange(num_classes)).astype(dtype or backend.floatx())
    return Tensor(xp.moveaxis(hot, -1, canonical_axis(axis, hot.ndim)))
