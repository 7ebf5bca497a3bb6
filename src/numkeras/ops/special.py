"""Special functions that NumPy lacks, as differentiable ops: the error function.

``erf`` (for the exact GELU): NumPy has no error function and numkeras depends on NumPy alone,
so ``erf`` is evaluated from two polynomials fitted, on first use, to Python's ``math.erf`` /
``math.erfc`` (Chebyshev interpolation, then Horner's rule):

* ``|x| < 2``: ``erf(x) = x · P(x²)``, ``P`` fitted to ``erf(√s)/√s`` on ``s`` in [0, 4];
* ``2 ≤ |x| < 6``: ``erf(x) = sign(x) (1 - e^(-x²) Q(|x|))``, ``Q`` fitted to the slowly varying
  ``e^(x²) erfc(x)`` on [2, 6];
* ``|x| ≥ 6``: ``erf(x) = sign(x)`` (the same formula, as ``erfc(6) < 3e-17``).

Each polynomial stops where the Chebyshev coefficients fall below the dtype's resolution: 17 and
22 terms for float64 (error below 2e-15), 9 and 11 for float32 (about 2 ulp).

The activation ops, the piecewise ones included, are in :mod:`numkeras.ops.nn`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..backend import get_array_module
from .core import Op, Tensor

_SMALL = 2.0  # below: P(x²); from here on: the erfc form
_SATURATE = 6.0  # erfc(6) ≈ 2e-17, so Q is only fitted up to here
_NODES = 48  # interpolation nodes per fit; far more than the terms kept
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _fit(f: Any, low: float, high: float, tolerance: float) -> tuple[float, ...]:
    """Power-series coefficients, in ``t`` ∈ [-1, 1] mapped onto [low, high], of ``f``.

    ``f`` is interpolated at Chebyshev nodes; the Chebyshev series is cut at its first
    coefficient below ``tolerance`` and converted to powers of ``t`` for Horner's rule.
    """
    theta = np.pi * (np.arange(_NODES) + 0.5) / _NODES
    nodes = 0.5 * (high - low) * np.cos(theta) + 0.5 * (high + low)
    values = np.array([f(v) for v in nodes])
    chebyshev = (2.0 / _NODES) * (np.cos(np.outer(np.arange(_NODES), theta)) @ values)
    chebyshev[0] /= 2
    kept = chebyshev[: int(np.argmax(np.abs(chebyshev) < tolerance))]
    # Python floats, so that float32 inputs stay float32.
    return tuple(float(c) for c in np.polynomial.chebyshev.cheb2poly(kept))


@functools.cache
def _polynomials(dtype_name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    def erf_over_x(s: float) -> float:
        x = math.sqrt(s)
        return math.erf(x) / x if x > 0 else _TWO_OVER_SQRT_PI

    def scaled_erfc(x: float) -> float:
        return math.exp(x * x) * math.erfc(x)

    tolerance = float(np.finfo(dtype_name).eps) / 2
    return (
        _fit(erf_over_x, 0.0, _SMALL**2, tolerance),
        _fit(scaled_erfc, _SMALL, _SATURATE, tolerance),
    )


def _horner(coefficients: tuple[float, ...], t: Any) -> Any:
    """``Σ c_k t^k``, in place in one buffer."""
    out = get_array_module(t).full_like(t, coefficients[-1])
    for c in coefficients[-2::-1]:
        out *= t
        out += c
    return out


def erf_array(x: Any) -> Any:
    """``erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`` element-wise, for a float array of any backend."""
    xp = get_array_module(x)
    inner, outer = _polynomials(x.dtype.name)
    a = xp.abs(x)
    t = xp.minimum(a * a, _SMALL**2)
    t *= 2 / _SMALL**2
    t -= 1
    out = _horner(inner, t)
    out *= x
    # Few inputs lie beyond _SMALL, so the second polynomial runs on those alone.
    far = xp.nonzero(a >= _SMALL)
    if far[0].size:
        z = xp.minimum(a[far], _SATURATE)
        tail = _horner(outer, (z - 0.5 * (_SMALL + _SATURATE)) * (2 / (_SATURATE - _SMALL)))
        tail *= xp.exp(-z * z)
        out[far] = xp.copysign(1 - tail, x[far])
    return out


class Erf(Op):
    """The error function ``erf(x) = 2/√π ∫₀ˣ e^(-t²) dt``; its derivative is ``2/√π e^(-x²)``."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return erf_array(x)

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        return (g * _TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x),)


def erf(x: Any) -> Tensor:
    """``erf(x)`` as a differentiable op.

    >>> erf([0.0, 1.0]).numpy().round(6)
    array([0.      , 0.842701], dtype=float32)
    """
    return Erf()(x)
