"""Ops that repeat or reorder elements along axes: tile, repeat, flip and roll."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import get_array_module
from .axes import Axis, canonical_axes, canonical_axis
from .core import Op, Tensor
from .indexing import take


class Tile(Op):
    """``x`` repeated ``repeats[i]`` times along each axis ``i`` (NumPy's ``tile``: ``x`` or
    ``repeats`` is padded with leading 1s to the longer of the two)."""

    def __init__(self, repeats: tuple[int, ...]):
        self.repeats = repeats

    def forward(self, x: Any) -> Any:
        self.in_shape = x.shape
        return get_array_module(x).tile(x, self.repeats)

    def backward(self, g: Any) -> tuple:
        rank = max(len(self.in_shape), len(self.repeats))
        shape = (1,) * (rank - len(self.in_shape)) + self.in_shape
        reps = (1,) * (rank - len(self.repeats)) + self.repeats
        # Each output axis of size r·n splits into (r, n): the copies, then the original axis.
        split = g.reshape([size for pair in zip(reps, shape) for size in pair])
        return (split.sum(axis=tuple(range(0, 2 * rank, 2))).reshape(self.in_shape),)


class Flip(Op):
    """``x`` in reverse order along ``axes``; the VJP flips the gradient back."""

    def __init__(self, axes: tuple[int, ...]):
        self.axes = axes

    def forward(self, x: Any) -> Any:
        return get_array_module(x).flip(x, self.axes)

    def backward(self, g: Any) -> tuple:
        return (get_array_module(g).flip(g, self.axes),)


class Roll(Op):
    """``x`` shifted cyclically by ``shift`` along ``axis`` (the flattened ``x`` when None);
    the VJP shifts the gradient back."""

    def __init__(self, shift: int | tuple[int, ...], axis: tuple[int, ...] | None):
        self.shift, self.axis = shift, axis

    def forward(self, x: Any) -> Any:
        return get_array_module(x).roll(x, self.shift, self.axis)

    def backward(self, g: Any) -> tuple:
        back = tuple(-s for s in self.shift) if isinstance(self.shift, tuple) else -self.shift
        return (get_array_module(g).roll(g, back, self.axis),)


# -- functions (keras.ops names and arguments) -----------------------------------------------------
def tile(x: Any, repeats: int | Sequence[int]) -> Tensor:
    """``x`` repeated ``repeats`` times along each axis, aligned from the last (NumPy's rules:
    the shorter of ``x``'s shape and ``repeats`` gets leading 1s)."""
    reps = (repeats,) if np.ndim(repeats) == 0 else tuple(repeats)
    if not all(isinstance(r, (int, np.integer)) and r >= 0 for r in reps):
        raise ValueError(f"repeats must be non-negative integers. Received: repeats={repeats!r}")
    return Tile(tuple(int(r) for r in reps))(x)


def repeat(x: Any, repeats: int | Sequence[int], axis: int | None = None) -> Tensor:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (of the flattened ``x``
    when None): an int for all, or one count per element of that axis."""
    size = int(np.size(x)) if axis is None else np.shape(x)[canonical_axis(axis, np.ndim(x))]
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts < 0).any():
        raise ValueError(
            f"repeats must be a non-negative integer or a sequence of them. "
            f"Received: repeats={repeats!r}"
        )
    if counts.ndim == 1 and counts.size != size:
        raise ValueError(
            f"repeats must have one count per element along the axis ({size}). "
            f"Received: {counts.size} counts"
        )
    # Repeating is gathering each position as often as it is repeated.
    return take(x, np.repeat(np.arange(size), counts), axis)


def flip(x: Any, axis: Axis = None) -> Tensor:
    """``x`` in reverse order along ``axis`` (an int or a tuple; all axes when None)."""
    return Flip(canonical_axes(axis, np.ndim(x)))(x)


def roll(x: Any, shift: int | Sequence[int], axis: Axis = None) -> Tensor:
    """``x`` shifted cyclically by ``shift`` along ``axis`` (over the flattened ``x``, then
    reshaped back, when None); several axes take one shift each, or one shift for all."""
    if axis is not None:
        axis = canonical_axes(axis, np.ndim(x))
    shift = tuple(int(s) for s in shift) if np.ndim(shift) else int(shift)
    return Roll(shift, axis)(x)
