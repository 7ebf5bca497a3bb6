"""Running sums and products along an axis: cumsum and cumprod.

As in Keras (and NumPy), ``axis=None`` runs over the flattened tensor, and ``dtype`` sets the
result's dtype; booleans otherwise count as int32.
"""

from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from .axes import canonical_axis
from .core import Op, Tensor
from .dtypes import INDEX_DTYPE


def _slice_along(x: Any, axis: int, part: slice) -> Any:
    """``x[..., part, ...]`` with ``part`` at ``axis``."""
    return x[(slice(None),) * (axis % x.ndim) + (part,)]


def exclusive_cumprod(x: Any, axis: int, reverse: bool = False) -> Any:
    """At each position along ``axis``, the product of the elements before it (after it when
    ``reverse``): 1 at the first position, no division, so exact where ``x`` has zeros."""
    xp = get_array_module(x)
    if reverse:
        return xp.flip(exclusive_cumprod(xp.flip(x, axis), axis), axis)
    ones = xp.ones_like(_slice_along(x, axis, slice(0, 1)))
    return xp.cumprod(xp.concatenate([ones, _slice_along(x, axis, slice(0, -1))], axis), axis)


class _Cumulative(Op):
    """Shared set-up of the running ops: flatten for ``axis=None``, pick the result dtype."""

    def __init__(self, axis: int | None = None, dtype: Any = None):
        self.axis, self.dtype = axis, dtype

    def prepare(self, x: Any) -> tuple[Any, int, Any]:
        """``x`` as the op runs on it, the axis it runs along, and the result dtype."""
        self.in_shape = x.shape
        if self.axis is None:
            x, axis = x.reshape(-1), 0
        else:
            axis = canonical_axis(self.axis, x.ndim)
        dtype = self.dtype or (INDEX_DTYPE if x.dtype.kind == "b" else x.dtype)
        return x, axis, dtype


class CumSum(_Cumulative):
    """``y_i = Σ_{j ≤ i} x_j`` along the axis; the VJP is the reversed running sum."""

    def forward(self, x: Any) -> Any:
        x, self.run_axis, dtype = self.prepare(x)
        return get_array_module(x).cumsum(x, axis=self.run_axis, dtype=dtype)

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        back = xp.flip(xp.cumsum(xp.flip(g, self.run_axis), axis=self.run_axis), self.run_axis)
        return (back.reshape(self.in_shape),)


class CumProd(_Cumulative):
    """``y_i = Π_{j ≤ i} x_j`` along the axis.

    The VJP ``∂L/∂x_i = Π_{k<i} x_k · S_i`` with ``S_i = g_i + x_{i+1} S_{i+1}`` runs the
    recurrence backwards along the axis instead of dividing ``y`` by ``x``: exact where ``x`` has
    zeros, at the cost of one vectorised step per position along the axis.
    """

    def forward(self, x: Any) -> Any:
        self.x, self.run_axis, dtype = self.prepare(x)
        return get_array_module(x).cumprod(self.x, axis=self.run_axis, dtype=dtype)

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        xs = xp.moveaxis(self.x, self.run_axis, 0)
        suffix = xp.moveaxis(g, self.run_axis, 0).copy()
        for i in range(len(suffix) - 2, -1, -1):
            suffix[i] += xs[i + 1] * suffix[i + 1]
        back = exclusive_cumprod(self.x, self.run_axis) * xp.moveaxis(suffix, 0, self.run_axis)
        return (back.reshape(self.in_shape),)


# -- functions (keras.ops names and arguments) -----------------------------------------------------
def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """The running sum of ``x`` along ``axis`` (over the flattened tensor when None), in
    ``dtype`` when given (booleans otherwise count as int32)."""
    return CumSum(axis, dtype)(x)


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """The running product of ``x`` along ``axis`` (over the flattened tensor when None), in
    ``dtype`` when given (booleans otherwise count as int32); its gradient is exact at zeros."""
    return CumProd(axis, dtype)(x)
