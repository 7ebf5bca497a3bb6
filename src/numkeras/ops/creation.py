"""Tensors made from a shape or a range: Keras 3's ``zeros``, ``ones``, ``full``, their ``*_like``
forms, ``arange``, ``linspace``, ``eye``, ``identity`` and ``tri``.

Each result is a constant on the active backend (no gradient flows to the arguments). Its dtype is
``dtype`` when given, else Keras's default: ``backend.floatx()``, except that the ``*_like`` forms
keep ``x``'s dtype and ``arange`` of integers gives int32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..backend import get_array_module
from .arguments import normalize_tuple
from .core import Tensor, convert_to_tensor
from .dtypes import python_dtype, standardize_dtype


def _dtype(dtype: Any, default: Any) -> np.dtype:
    """``dtype`` checked, or ``default`` when it is None."""
    return standardize_dtype(default if dtype is None else dtype)


def _count(value: Any, name: str) -> int:
    """``value`` checked as a number of rows, columns or samples: an integer >= 0."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0. Received: {name}={value!r}")
    return int(value)


def _shape(shape: Any) -> tuple[int, ...]:
    """``shape`` (an int, or a sequence of ints >= 0) as a tuple of ints."""
    try:
        rank = len(shape)
    except TypeError:  # an int; anything else normalize_tuple refuses, naming the argument
        rank = 1
    return normalize_tuple(shape, rank, "shape", minimum=0)


def _scalar(value: Any) -> Any:
    """A range's bound or step (a number or a one-element tensor or array) as a number; Python
    numbers stay as they are, so that a float step keeps all its digits."""
    return value if isinstance(value, (int, float)) else convert_to_tensor(value).item()


def full(shape: int | Sequence[int], fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value`` (a number, or an array that broadcasts to
    ``shape``), of ``dtype`` (default floatx)."""
    fill = convert_to_tensor(fill_value).data
    return Tensor(backend.xp().full(_shape(shape), fill, dtype=_dtype(dtype, backend.floatx())))


def zeros(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with 0, of ``dtype`` (default floatx)."""
    return full(shape, 0, dtype)


def ones(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with 1, of ``dtype`` (default floatx)."""
    return full(shape, 1, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``x``'s shape filled with ``fill_value``, of ``dtype`` (default ``x``'s)."""
    value = convert_to_tensor(x).data
    fill = convert_to_tensor(fill_value).data
    return Tensor(get_array_module(value).full(value.shape, fill, dtype=_dtype(dtype, value.dtype)))


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``x``'s shape filled with 0, of ``dtype`` (default ``x``'s)."""
    return full_like(x, 0, dtype)


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``x``'s shape filled with 1, of ``dtype`` (default ``x``'s)."""
    return full_like(x, 1, dtype)


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    """``start, start + step, ...`` up to ``stop`` (excluded), as NumPy's ``arange``: with one
    argument, ``0, 1, ..., start - 1``. ``step`` defaults to 1. The dtype defaults to Keras's:
    int32 when every argument is an integer, else floatx."""
    bounds = [v for v in (start, stop, step) if v is not None]
    if dtype is None:
        dtype = python_dtype(bounds)
    step = 1 if step is None else _scalar(step)
    if step == 0:
        raise ValueError("step must not be 0. Received: step=0")
    stop = None if stop is None else _scalar(stop)
    return Tensor(backend.xp().arange(_scalar(start), stop, step, dtype=standardize_dtype(dtype)))


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Tensor | tuple[Tensor, Tensor]:
    """``num`` evenly spaced samples from ``start`` to ``stop`` (``stop`` excluded when
    ``endpoint`` is False), as NumPy's ``linspace``; arrays for ``start`` and ``stop`` give one
    sequence per element, along ``axis``. With ``retstep``, also the spacing between samples.
    ``dtype`` defaults to floatx; an integer dtype rounds the samples down."""
    dtype = _dtype(dtype, backend.floatx())
    low, high = convert_to_tensor(start).data, convert_to_tensor(stop).data
    xp = get_array_module(low, high)
    samples, spacing = xp.linspace(
        low, high, _count(num, "num"), endpoint=endpoint, retstep=True, dtype=dtype, axis=axis
    )
    if not retstep:
        return Tensor(samples)
    spacing_dtype = dtype if dtype.kind == "f" else backend.floatx()
    return Tensor(samples), Tensor(xp.asarray(spacing, dtype=spacing_dtype))


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """An ``N`` x ``M`` matrix (``M`` defaults to ``N``) of ones on the ``k``-th diagonal (0: the
    main one, > 0 above it, < 0 below) and zeros elsewhere, of ``dtype`` (default floatx)."""
    columns = None if M is None else _count(M, "M")
    return Tensor(
        backend.xp().eye(_count(N, "N"), columns, k, dtype=_dtype(dtype, backend.floatx()))
    )


def identity(n: int, dtype: Any = None) -> Tensor:
    """The ``n`` x ``n`` identity matrix, of ``dtype`` (default floatx)."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """An ``N`` x ``M`` matrix (``M`` defaults to ``N``) of ones on and below the ``k``-th
    diagonal and zeros above it, of ``dtype`` (default floatx)."""
    columns = None if M is None else _count(M, "M")
    return Tensor(
        backend.xp().tri(_count(N, "N"), columns, k, dtype=_dtype(dtype, backend.floatx()))
    )
