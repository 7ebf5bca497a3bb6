"""Reductions over axes: sum, mean, max, min and the stable log-sum-exp."""

from __future__ import annotations

import builtins
from typing import Any

from ..backend import get_array_module
from .core import Op, Tensor

Axis = int | tuple[int, ...] | None


def _normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axes)


def _keep(g: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """``g`` with the reduced axes put back as size-1 axes, ready to broadcast to the input."""
    if keepdims:
        return g
    xp = get_array_module(g)
    return xp.expand_dims(g, axes) if axes else g


class Sum(Op):
    """Sum over ``axis`` (all axes when None)."""

    def __init__(self, axis: Axis = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.shape = x.shape
        self.axes = _normalize_axes(self.axis, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        return (xp.broadcast_to(_keep(g, self.axes, self.keepdims), self.shape),)


class Mean(Sum):
    """Mean over ``axis`` (all axes when None)."""

    def forward(self, x: Any) -> Any:
        total = super().forward(x)
        # The module's own max is the op.
        self.count = builtins.max(1, x.size // builtins.max(1, total.size))
        return total / self.count

    def backward(self, g: Any) -> tuple:
        return (super().backward(g)[0] / self.count,)


class _Extreme(Op):
    """Shared VJP of max and min: the gradient is split evenly among the tied extremes."""

    reduce_name = ""

    def __init__(self, axis: Axis = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = _normalize_axes(self.axis, x.ndim)
        self.x = x
        self.y = getattr(x, self.reduce_name)(axis=self.axes, keepdims=True)
        return self.y if self.keepdims else self.y.squeeze(axis=self.axes)

    def backward(self, g: Any) -> tuple:
        share = (self.x == self.y).astype(g.dtype)
        share /= share.sum(axis=self.axes, keepdims=True)
        return (share * _keep(g, self.axes, self.keepdims),)


class Max(_Extreme):
    """Maximum over ``axis``."""

    reduce_name = "max"


class Min(_Extreme):
    """Minimum over ``axis``."""

    reduce_name = "min"


class LogSumExp(Op):
    """``log Σ exp(x)`` over ``axis``, computed as ``m + log Σ exp(x - m)`` with m the max."""

    def __init__(self, axis: Axis = -1, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.axes = _normalize_axes(self.axis, x.ndim)
        m = x.max(axis=self.axes, keepdims=True)
        e = xp.exp(x - m)
        s = e.sum(axis=self.axes, keepdims=True)
        self.softmax = e / s
        y = m + xp.log(s)
        return y if self.keepdims else y.squeeze(axis=self.axes)

    def backward(self, g: Any) -> tuple:
        return (self.softmax * _keep(g, self.axes, self.keepdims),)


# -- functions (keras.ops names and arguments) -----------------------------------------------------
def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The sum of ``x`` over ``axis`` (all axes when None)."""
    return Sum(axis, keepdims)(x)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The mean of ``x`` over ``axis`` (all axes when None)."""
    return Mean(axis, keepdims)(x)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The maximum of ``x`` over ``axis`` (all axes when None)."""
    return Max(axis, keepdims)(x)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The minimum of ``x`` over ``axis`` (all axes when None)."""
    return Min(axis, keepdims)(x)


def logsumexp(x: Any, axis: Axis = -1, keepdims: bool = False) -> Tensor:
    """``log Σ e^x`` over ``axis``, stable for large ``x``. ``axis`` defaults to the last one
    (Keras's to all axes)."""
    return LogSumExp(axis, keepdims)(x)
