"""Between tensors and everything else: Keras 3's ``convert_to_numpy``, ``is_tensor``, ``shape``,
``dtype`` and ``stop_gradient`` (``convert_to_tensor`` is in :mod:`numkeras.ops.core`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .core import Tensor, Variable, convert_to_tensor


def convert_to_numpy(x: Any) -> np.ndarray:
    """``x`` (a tensor, an array, a number or a nested list) as a NumPy array of its own: a copy,
    so that a variable's later updates do not show in it, as in Keras."""
    if backend.get_array_module(x) is not np:  # a CuPy array, which NumPy does not take
        return backend.to_numpy(x)
    return np.array(x, copy=True)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor. As in Keras 3, variables are not: they hold a tensor."""
    return isinstance(x, Tensor) and not isinstance(x, Variable)


def shape(x: Any) -> tuple[int | None, ...]:
    """The shape of ``x`` as a tuple of Python ints (None for a symbolic tensor's unknown
    sizes), as Keras 3's ``ops.shape``."""
    dims = x.shape if hasattr(x, "shape") else np.shape(x)
    return tuple(None if n is None else int(n) for n in dims)


def dtype(x: Any) -> str:
    """The name of ``x``'s dtype (``'float32'``, ``'int32'``, ``'bool'``...), as Keras 3's
    ``ops.dtype``; Python values have the dtype that ``convert_to_tensor`` gives them."""
    value = x if hasattr(x, "dtype") else convert_to_tensor(x)
    return np.dtype(value.dtype).name


def stop_gradient(variable: Any) -> Tensor:
    """The value of ``variable`` as a tensor cut from the tape: no gradient flows back through it.

    A variable's value is copied, so the result keeps the value it had (as in Keras) when an
    optimizer later updates the variable in place.
    """
    value = convert_to_tensor(variable).data
    return Tensor(value.copy() if isinstance(variable, Variable) else value)
