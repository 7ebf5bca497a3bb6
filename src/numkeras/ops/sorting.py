"""Sorting: sort, argsort and top_k.

Orders are stable, as JAX's (so Keras's): equal values keep their index order, ascending in
``sort``/``argsort`` and, among the largest, lowest index first in ``top_k``. Sorted values
differentiate as a gather (:func:`.indexing.gather_along_axis`): each gradient goes back to the
position its value came from. Indices are int32 and not differentiable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module
from .axes import canonical_axis
from .core import Tensor, as_array
from .dtypes import INDEX_DTYPE
from .indexing import gather_along_axis
from .shape import Reshape


def _order(x: Any, axis: int | None) -> tuple[Any, int]:
    """The stable ascending order of ``x`` along ``axis``, and that axis; ``axis=None`` (or a
    scalar ``x``) orders the flattened ``x``, along axis 0."""
    data = as_array(x)
    if axis is None or data.ndim == 0:
        data, axis = data.reshape(-1), 0
    else:
        axis = canonical_axis(axis, data.ndim)
    return get_array_module(data).argsort(data, axis=axis, kind="stable"), axis


def argsort(x: Any, axis: int | None = -1) -> Tensor:
    """The int32 indices that sort ``x`` ascending along ``axis`` (the last by default; the
    flattened ``x`` when None), equal values in index order; not differentiable."""
    return Tensor(_order(x, axis)[0].astype(INDEX_DTYPE))


def sort(x: Any, axis: int | None = -1) -> Tensor:
    """``x`` sorted ascending along ``axis`` (the last by default; the flattened ``x`` when
    None). The gradient of each value goes back to where it came from."""
    order, along = _order(x, axis)
    if axis is None or np.ndim(x) == 0:
        x = Reshape((-1,))(x)
    return gather_along_axis(x, order, along)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The ``k`` largest values of ``x`` along its last axis and their int32 indices, as
    ``(values, indices)``, largest first (lowest index first among equals). Values are
    differentiable, indices are not. The result is sorted whatever ``sorted`` says, as Keras's
    on JAX is (``sorted=False`` only allows any order)."""
    data = as_array(x)
    if data.ndim == 0:
        raise ValueError("top_k needs x with at least one axis. Received: a scalar x")
    size = data.shape[-1]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= size:
        raise ValueError(
            f"k must be an integer in [0, {size}], the size of x's last axis. Received: k={k!r}"
        )
    xp = get_array_module(data)
    # A stable ascending sort of the reversed axis, read backwards, is descending with equal
    # values in ascending index order; no negation, so it holds for unsigned and bool too.
    backwards = xp.argsort(xp.flip(data, -1), axis=-1, kind="stable")
    indices = (size - 1 - xp.flip(backwards, -1)[..., :k]).astype(INDEX_DTYPE)
    return gather_along_axis(x, indices, data.ndim - 1), Tensor(indices)
