"""Vector and matrix norms: ``ops.norm`` as Keras (and ``numpy.linalg.norm``) reads its
arguments.

One axis gives a vector norm: ``ord`` None or 2 (Euclidean), any other number p
(``(Σ|x|^p)^(1/p)``), ``inf``/``-inf`` (largest/smallest ``|x|``) or 0 (the count of non-zeros).
Two axes give a matrix norm: None or ``'fro'`` (Frobenius), 1/-1 (largest/smallest column sum of
``|x|``), ``inf``/``-inf`` (row sums), 2/-2 (largest/smallest singular value) or ``'nuc'`` (their
sum). ``axis=None`` means every axis of a vector or a matrix, or, with ``ord=None``, the
Euclidean norm of the flattened tensor of any rank.

Where a norm is 0 its gradient is 0 (a subgradient), where JAX's (so Keras's) is NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import get_array_module
from .axes import Axis, canonical_axes, reduced_shape
from .core import Op, Tensor
from .dtypes import as_float
from .reduction import extreme_share

MATRIX_ORDS = (1, -1, math.inf, -math.inf, 2, -2, "nuc")


class VectorNorm(Op):
    """The ``order``-norm of ``x`` taken over ``axes`` as one vector."""

    def __init__(self, order: float, axes: tuple[int, ...], keepdims: bool):
        self.order, self.axes, self.keepdims = order, axes, keepdims

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.x = x = as_float(x)
        size = abs(x)
        p = self.order
        if p == math.inf:
            self.y = size.max(axis=self.axes, keepdims=True)
        elif p == -math.inf:
            self.y = size.min(axis=self.axes, keepdims=True)
        elif p == 0:
            self.y = (x != 0).sum(axis=self.axes, keepdims=True).astype(x.dtype)
        elif p == 2:
            self.y = xp.sqrt((x * x).sum(axis=self.axes, keepdims=True))
        else:
            self.y = ((size**p).sum(axis=self.axes, keepdims=True)) ** (1 / p)
        return self.y if self.keepdims else self.y.squeeze(axis=self.axes)

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        g = g if self.keepdims else xp.expand_dims(g, self.axes)
        p, x, y = self.order, self.x, self.y
        if p == 0:
            return (xp.zeros_like(x),)
        if abs(p) == math.inf:
            return (xp.sign(x) * extreme_share(abs(x), y, self.axes) * g,)
        # d‖x‖_p/dx = sign(x)·|x|^(p-1) / ‖x‖_p^(p-1), taken as 0 where the norm is 0.
        nonzero = y > 0
        scale = g * nonzero / xp.where(nonzero, y, 1) ** (p - 1)
        slope = x if p == 2 else xp.sign(x) * abs(x) ** (p - 1)
        return (slope * scale,)


class MatrixNorm(Op):
    """The ``order``-norm (one of :data:`MATRIX_ORDS`) of the matrices on ``axes`` (rows,
    columns) of ``x``."""

    def __init__(self, order: Any, axes: tuple[int, int], keepdims: bool):
        self.order, self.axes, self.keepdims = order, axes, keepdims

    def forward(self, x: Any) -> Any:
        self.x = x = as_float(x)
        if self.order in ("nuc", 2, -2):
            y = self._singular_values(x)
        else:
            # 1/-1 pick among column sums (summed down the rows), inf/-inf among row sums.
            down = self.order in (1, -1)
            sum_axis, self.pick_axis = self.axes if down else self.axes[::-1]
            self.sums = abs(x).sum(axis=sum_axis, keepdims=True)
            pick = "max" if self.order > 0 else "min"
            y = getattr(self.sums, pick)(axis=self.pick_axis, keepdims=True)
        self.y = y
        return y if self.keepdims else y.squeeze(axis=self.axes)

    def _singular_values(self, x: Any) -> Any:
        """The norm from the SVD of the matrices, keeping the direction d(norm)/dx: ``U Vᵀ`` for
        the nuclear norm, ``u vᵀ`` of the chosen singular value for 2 and -2."""
        xp = get_array_module(x)
        matrices = xp.moveaxis(x, self.axes, (-2, -1))
        u, s, vt = xp.linalg.svd(matrices, full_matrices=False)
        if self.order == "nuc":
            value, direction = s.sum(axis=-1), u @ vt
        else:
            i = 0 if self.order == 2 else -1
            value, direction = s[..., i], u[..., :, i, None] * vt[..., i, None, :]
        self.direction = xp.moveaxis(direction, (-2, -1), self.axes)
        return value.reshape(reduced_shape(x.shape, self.axes))

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        g = g if self.keepdims else xp.expand_dims(g, self.axes)
        if self.order in ("nuc", 2, -2):
            return (self.direction * g,)
        share = extreme_share(self.sums, self.y, (self.pick_axis,))
        return (xp.sign(self.x) * share * g,)


def _vector_order(order: Any) -> float:
    """``order`` checked as a vector norm's, None meaning 2."""
    if order is None:
        return 2.0
    if isinstance(order, str) or not np.isscalar(order):
        raise ValueError(
            f"ord must be a number for a vector norm (one axis). Received: ord={order!r}"
        )
    return float(order)


def norm(x: Any, ord: Any = None, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """The norm of ``x``: a vector norm over one ``axis``, a matrix norm over two, as listed in
    this module's description; ``axis=None`` takes every axis of a vector or matrix (the
    flattened tensor, of any rank, when ``ord`` is None too). Integers give floatx."""
    rank = np.ndim(x)
    if axis is None and ord is None:
        return VectorNorm(2.0, tuple(range(rank)), keepdims)(x)
    axes = canonical_axes(axis, rank)
    if len(axes) == 1:
        return VectorNorm(_vector_order(ord), axes, keepdims)(x)
    if len(axes) != 2:
        raise ValueError(
            "norm takes one axis (a vector norm) or two (a matrix norm). "
            f"Received: axis={axis} for x of rank {rank}"
        )
    if ord in (None, "fro"):
        return VectorNorm(2.0, axes, keepdims)(x)
    if ord not in MATRIX_ORDS:
        raise ValueError(
            f"ord must be one of None, 'fro', {', '.join(map(repr, MATRIX_ORDS))} for a matrix "
            f"norm (two axes). Received: ord={ord!r}"
        )
    return MatrixNorm(ord, axes, keepdims)(x)
