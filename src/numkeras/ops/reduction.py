"""Reductions over axes: sum, mean, prod, max, min, var, std and the stable log-sum-exp.

Axes follow Keras: ``axis=None`` reduces every axis, an int or a tuple picks some, ``keepdims``
keeps them as size 1. Dtypes follow Keras too (:mod:`.dtypes`): sums and products of narrow
integers widen to 32 bits; means, variances and deviations of integers are floats.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from ..backend import get_array_module
from .axes import Axis, canonical_axes, reduced_shape
from .core import Op, Tensor
from .cumulative import exclusive_cumprod
from .dtypes import accumulation_dtype, as_float


def _keep(g: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """``g`` with the reduced axes put back as size-1 axes, ready to broadcast to the input."""
    if keepdims:
        return g
    xp = get_array_module(g)
    return xp.expand_dims(g, axes) if axes else g


def extreme_share(x: Any, extreme: Any, axes: tuple[int, ...], attained: bool = True) -> Any:
    """The share of the gradient of a max or min that each element of ``x`` takes, given the
    ``extreme`` reduced over ``axes`` with keepdims: ties split it evenly (as JAX, so Keras,
    does), other elements take none. Unless ``attained`` (the extreme is some element's value),
    a slice where no element reaches it (a max's ``initial`` above them all) takes none."""
    share = (x == extreme).astype(x.dtype)
    count = share.sum(axis=axes, keepdims=True)
    if not attained:
        count = get_array_module(count).maximum(count, 1)
    share /= count
    return share


class Sum(Op):
    """Sum over ``axis`` (all axes when None)."""

    def __init__(self, axis: Axis = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.shape = x.shape
        self.axes = canonical_axes(self.axis, x.ndim)
        if x.dtype.kind == "f":
            # The training path: an explicit dtype=None alone costs NumPy about half the call.
            return x.sum(axis=self.axes, keepdims=self.keepdims)
        return x.sum(axis=self.axes, keepdims=self.keepdims, dtype=accumulation_dtype(x.dtype))

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        return (xp.broadcast_to(_keep(g, self.axes, self.keepdims), self.shape),)


class Mean(Sum):
    """Mean over ``axis`` (all axes when None); integers are averaged as floatx."""

    def forward(self, x: Any) -> Any:
        total = super().forward(as_float(x))
        # The module's own max is the op.
        self.count = builtins.max(1, x.size // builtins.max(1, total.size))
        return total / self.count

    def backward(self, g: Any) -> tuple:
        return (super().backward(g)[0] / self.count,)


class Prod(Op):
    """Product over ``axis``; its VJP is the product of the other elements, exact at zeros."""

    def __init__(self, axis: Axis = None, keepdims: bool = False, dtype: Any = None):
        self.axis, self.keepdims, self.dtype = axis, keepdims, dtype

    def forward(self, x: Any) -> Any:
        self.x = x
        self.axes = canonical_axes(self.axis, x.ndim)
        dtype = accumulation_dtype(x.dtype) if self.dtype is None else self.dtype
        return x.prod(axis=self.axes, keepdims=self.keepdims, dtype=dtype)

    def backward(self, g: Any) -> tuple:
        # With the reduced axes moved last and merged into one, the product of an element's
        # others is the product of its left and right exclusive running products along it.
        order = [i for i in range(self.x.ndim) if i not in self.axes] + list(self.axes)
        lined = self.x.transpose(order)
        merged = lined.reshape(*lined.shape[: self.x.ndim - len(self.axes)], -1)
        others = exclusive_cumprod(merged, -1) * exclusive_cumprod(merged, -1, reverse=True)
        inverse = sorted(range(self.x.ndim), key=order.__getitem__)
        others = others.reshape(lined.shape).transpose(inverse)
        return (others * _keep(g, self.axes, self.keepdims),)


class Var(Op):
    """Population variance (``ddof=0``, as Keras) over ``axis``."""

    def __init__(self, axis: Axis = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        x = as_float(x)
        self.axes = canonical_axes(self.axis, x.ndim)
        self.count = math.prod(x.shape[a] for a in self.axes)
        self.centered = x - x.mean(axis=self.axes, keepdims=True)
        return (self.centered * self.centered).mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g: Any) -> tuple:
        return (self.centered * (2 / self.count) * _keep(g, self.axes, self.keepdims),)


class Std(Var):
    """Population standard deviation over ``axis``: ``√var``.

    Where the deviation is 0 (all values equal) its VJP is 0, the subgradient, where JAX's (so
    Keras's) is NaN: a constant slice of a batch does not poison the whole step.
    """

    def forward(self, x: Any) -> Any:
        self.y = get_array_module(x).sqrt(super().forward(x))
        return self.y

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        y = _keep(self.y, self.axes, self.keepdims)
        spread = y > 0
        scale = _keep(g, self.axes, self.keepdims) * spread / (xp.where(spread, y, 1) * self.count)
        return (self.centered * scale,)


class _Extreme(Op):
    """Shared forward and VJP of max and min, with Keras's ``initial`` (a bound that the result
    cannot pass, and the result of an empty reduction)."""

    reduce_name = combine_name = ""

    def __init__(self, axis: Axis = None, keepdims: bool = False, initial: float | None = None):
        self.axis, self.keepdims, self.initial = axis, keepdims, initial

    def forward(self, x: Any) -> Any:
        self.axes = canonical_axes(self.axis, x.ndim)
        self.x = x
        if self.initial is None:
            self.y = getattr(x, self.reduce_name)(axis=self.axes, keepdims=True)
        else:
            xp = get_array_module(x)
            self.y = xp.full(reduced_shape(x.shape, self.axes), self.initial, dtype=x.dtype)
            if x.size:
                extreme = getattr(x, self.reduce_name)(axis=self.axes, keepdims=True)
                self.y = getattr(xp, self.combine_name)(extreme, self.y)
        return self.y if self.keepdims else self.y.squeeze(axis=self.axes)

    def backward(self, g: Any) -> tuple:
        share = extreme_share(self.x, self.y, self.axes, attained=self.initial is None)
        return (share * _keep(g, self.axes, self.keepdims),)


class Max(_Extreme):
    """Maximum over ``axis``."""

    reduce_name, combine_name = "max", "maximum"


class Min(_Extreme):
    """Minimum over ``axis``."""

    reduce_name, combine_name = "min", "minimum"


class LogSumExp(Op):
    """``log Σ exp(x)`` over ``axis``, computed as ``m + log Σ exp(x - m)`` with m the max."""

    def __init__(self, axis: Axis = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        x = as_float(x)
        self.axes = canonical_axes(self.axis, x.ndim)
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
    """The sum of ``x`` over ``axis`` (all axes when None). Booleans and integers narrower than
    32 bits are summed as int32 (unsigned: uint32), as in Keras."""
    return Sum(axis, keepdims)(x)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The mean of ``x`` over ``axis`` (all axes when None); integers give floatx."""
    return Mean(axis, keepdims)(x)


def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """The product of ``x`` over ``axis`` (all axes when None), in ``dtype`` when given, else
    in ``x``'s dtype widened as :func:`sum` widens it."""
    return Prod(axis, keepdims, dtype)(x)


def max(  # noqa: A001
    x: Any, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> Tensor:
    """The maximum of ``x`` over ``axis`` (all axes when None), and of ``initial`` when given
    (which is then also the maximum of an empty slice). Tied maxima share the gradient."""
    return Max(axis, keepdims, initial)(x)


def min(  # noqa: A001
    x: Any, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> Tensor:
    """The minimum of ``x`` over ``axis`` (all axes when None), and of ``initial`` when given
    (which is then also the minimum of an empty slice). Tied minima share the gradient."""
    return Min(axis, keepdims, initial)(x)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The population variance ``mean((x - mean(x))²)`` over ``axis`` (all axes when None);
    integers give floatx."""
    return Var(axis, keepdims)(x)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The population standard deviation ``√var(x)`` over ``axis`` (all axes when None);
    integers give floatx. Its gradient is 0 where the deviation is 0 (Keras's is NaN)."""
    return Std(axis, keepdims)(x)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log Σ e^x`` over ``axis`` (all axes when None, as Keras), stable for large ``x``."""
    return LogSumExp(axis, keepdims)(x)
