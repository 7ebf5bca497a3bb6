"""Axis arguments of the ops, checked and made non-negative as NumPy and Keras read them.

Each check raises a ValueError that names the argument, the valid range and the value received.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Axis = int | Sequence[int] | None


def canonical_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """``axis`` (negative counts from the end) as an index in ``[0, ndim)``."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{name} must be an integer. Received: {name}={axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name} must be in [{-ndim}, {ndim}) for a tensor of rank {ndim}. "
            f"Received: {name}={axis}"
        )
    return int(axis) % ndim


def canonical_axes(axis: Axis, ndim: int, name: str = "axis") -> tuple[int, ...]:
    """``axis`` (an int, a sequence of ints, or None for all axes) as distinct indices in
    ``[0, ndim)``, in the order given."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        return (canonical_axis(axis, ndim, name),)
    try:
        given = tuple(axis)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer, a sequence of integers or None. Received: {name}={axis!r}"
        ) from None
    axes = tuple(canonical_axis(a, ndim, name) for a in given)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name} must not repeat an axis. Received: {name}={given}")
    return axes


def reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the ``axes`` kept as size 1 (the shape of a keepdims reduction)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
