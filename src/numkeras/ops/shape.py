"""Ops that move values around without arithmetic: reshape, transpose, join, index."""

from __future__ import annotations

import itertools
from typing import Any

from ..backend import get_array_module
from .core import Op, Tensor


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


def concatenate(xs: list[Any], axis: int = -1) -> Tensor:
    """``xs`` joined along the existing ``axis`` (the last by default; Keras's is the first)."""
    return Concatenate(axis)(*xs)


def stack(x: list[Any], axis: int = 0) -> Tensor:
    """The tensors ``x`` joined along a new ``axis``."""
    return Stack(axis)(*x)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` (the op behind ``Tensor.__getitem__``)."""
    return GetItem(index)(x)
