"""Ops that move values around without arithmetic: reshape, transpose, broadcast, join, split,
index. Those that only relabel axes (``expand_dims``, ``squeeze``, ``moveaxis``, ``swapaxes``)
are a reshape or a transpose."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import get_array_module
from .axes import Axis, canonical_axes, canonical_axis
from .core import Op, Tensor, unbroadcast


class Reshape(Op):
    """The same values in a new shape (one dimension may be -1)."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)

    def forward(self, x: Any) -> Any:
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, g: Any) -> tuple:
        return (g.reshape(self.in_shape),)


class Transpose(Op):
    """Axes permuted by ``axes`` (reversed when None)."""

    def __init__(self, axes: tuple[int, ...] | None = None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x: Any) -> Any:
        self.inverse = (
            None if self.axes is None else tuple(sorted(range(x.ndim), key=lambda i: self.axes[i]))
        )
        return x.transpose(self.axes)

    def backward(self, g: Any) -> tuple:
        return (g.transpose(self.inverse),)


class BroadcastTo(Op):
    """``x`` broadcast to ``shape`` by NumPy's rules; the VJP sums over the broadcast axes."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)

    def forward(self, x: Any) -> Any:
        self.in_shape = x.shape
        try:
            return get_array_module(x).broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to cannot broadcast x of shape {x.shape} to shape={self.shape}: "
                "each axis of x must be 1 or match the aligned axis of shape."
            ) from None

    def backward(self, g: Any) -> tuple:
        return (unbroadcast(g, self.in_shape),)


class Concatenate(Op):
    """Inputs joined along an existing ``axis``."""

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, *xs: Any) -> Any:
        self.bounds = list(itertools.accumulate(x.shape[self.axis] for x in xs))[:-1]
        return get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, g: Any) -> tuple:
        return tuple(get_array_module(g).split(g, self.bounds, axis=self.axis))


class Stack(Op):
    """Inputs of one shape joined along a new ``axis``."""

    def __init__(self, axis: int = 0):
        self.axis = axis

    def forward(self, *xs: Any) -> Any:
        return get_array_module(*xs).stack(xs, axis=self.axis)

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        return tuple(
            xp.squeeze(part, axis=self.axis)
            for part in xp.split(g, g.shape[self.axis], axis=self.axis)
        )


class GetItem(Op):
    """``x[index]`` for basic and advanced indexing; repeated indices accumulate gradients."""

    def __init__(self, index: Any):
        self.index = index.data if isinstance(index, Tensor) else index
        parts = self.index if isinstance(self.index, tuple) else (self.index,)
        # Only advanced (array) indices can select an element twice and need add.at.
        self.advanced = any(not isinstance(p, (int, slice, type(None), type(...))) for p in parts)

    def forward(self, x: Any) -> Any:
        self.in_shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        out = xp.zeros(self.in_shape, dtype=self.dtype)
        if self.advanced:
            xp.add.at(out, self.index, g)
        else:
            out[self.index] = g
        return (out,)


# -- functions (keras.ops names and arguments) -----------------------------------------------------
def reshape(x: Any, newshape: tuple[int, ...]) -> Tensor:
    """``x`` with the shape ``newshape`` (one entry may be -1)."""
    return Reshape(newshape)(x)


def transpose(x: Any, axes: tuple[int, ...] | None = None) -> Tensor:
    """``x`` with its axes permuted by ``axes`` (reversed when None)."""
    return Transpose(axes)(x)


def expand_dims(x: Any, axis: int | Sequence[int]) -> Tensor:
    """``x`` with a new axis of size 1 at ``axis`` (an int, or several as a tuple), counted in
    the result's axes."""
    shape = tuple(np.shape(x))
    axes = canonical_axes(axis, len(shape) + (1 if np.ndim(axis) == 0 else len(axis)))
    rest = iter(shape)
    return Reshape(tuple(1 if i in axes else next(rest) for i in range(len(shape) + len(axes))))(x)


def squeeze(x: Any, axis: Axis = None) -> Tensor:
    """``x`` without the size-1 axes at ``axis`` (all of its size-1 axes when None)."""
    shape = tuple(np.shape(x))
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = canonical_axes(axis, len(shape))
        wide = [a for a in axes if shape[a] != 1]
        if wide:
            raise ValueError(
                f"squeeze can only remove axes of size 1; axis {wide[0]} of x (shape {shape}) "
                f"has size {shape[wide[0]]}. Received: axis={axis}"
            )
    return Reshape(tuple(n for i, n in enumerate(shape) if i not in axes))(x)


def moveaxis(x: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """``x`` with its axes ``source`` moved to the positions ``destination``, the others kept in
    their order."""
    ndim = np.ndim(x)
    sources = canonical_axes(source, ndim, "source")
    destinations = canonical_axes(destination, ndim, "destination")
    if len(sources) != len(destinations):
        raise ValueError(
            "source and destination must name as many axes. "
            f"Received: source={source}, destination={destination}"
        )
    order = [i for i in range(ndim) if i not in sources]
    for dest, src in sorted(zip(destinations, sources)):
        order.insert(dest, src)
    return Transpose(tuple(order))(x)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """``x`` with the axes ``axis1`` and ``axis2`` exchanged."""
    order = list(range(np.ndim(x)))
    a, b = canonical_axis(axis1, len(order), "axis1"), canonical_axis(axis2, len(order), "axis2")
    order[a], order[b] = b, a
    return Transpose(tuple(order))(x)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape`` (NumPy's rules: leading axes added, size-1 axes stretched)."""
    return BroadcastTo(tuple(shape))(x)


def concatenate(xs: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors ``xs`` joined along their existing ``axis`` (the first by default, as Keras)."""
    return Concatenate(axis)(*xs)


def stack(x: list[Any], axis: int = 0) -> Tensor:
    """The tensors ``x`` joined along a new ``axis``."""
    return Stack(axis)(*x)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """``x`` cut along ``axis`` into ``indices_or_sections`` equal parts (an int, which must
    divide the axis), or before each of the positions ``indices_or_sections`` (a sequence)."""
    shape = tuple(np.shape(x))
    axis = canonical_axis(axis, len(shape))
    size = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections < 1 or size % sections:
            raise ValueError(
                f"indices_or_sections must be a positive integer that divides axis {axis} of x "
                f"(size {size}). Received: indices_or_sections={indices_or_sections}"
            )
        bounds = [size // sections * i for i in range(1, sections)]
    else:
        bounds = [int(b) for b in indices_or_sections]
    lead = (slice(None),) * axis
    return [
        GetItem((*lead, slice(start, stop)))(x)
        for start, stop in zip([0, *bounds], [*bounds, size])
    ]


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` (the op behind ``Tensor.__getitem__``)."""
    return GetItem(index)(x)
