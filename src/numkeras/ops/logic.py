"""Comparisons, logic and tests of values: Keras 3's ops with boolean (or integer) results.

``equal``, ``not_equal``, ``less``, ``less_equal``, ``greater``, ``greater_equal``,
``logical_and``/``or``/``xor``/``not``, ``isnan``/``isinf``/``isfinite`` and
``bitwise_and``/``or``/``xor``/``invert`` (logical on booleans, as NumPy's), behind the tensor
operators ``== != < <= > >= & | ^ ~``. Such a result is a step function of its inputs, so no
gradient flows through it: it is a constant tensor, recorded on no tape.
"""

from __future__ import annotations

import numbers
from typing import Any

from ..backend import get_array_module
from .core import Tensor, convert_to_tensor


def _apply(function: str, *xs: Any) -> Tensor:
    """``xp.<function>`` on the values of ``xs``, as a constant tensor.

    Python numbers go to NumPy as they are, so they take the dtype of the array they meet
    (``t == 0.1`` holds for a float32 ``t`` of 0.1, and ``t & 1`` keeps an integer ``t``'s dtype).
    """
    values = [x if isinstance(x, (bool, int, float)) else convert_to_tensor(x).data for x in xs]
    return Tensor(getattr(get_array_module(*values), function)(*values))


def comparable(x: Any) -> bool:
    """Whether ``tensor == x`` compares element-wise: for numbers and array-likes. Anything else
    (None, a string, a layer) is simply unequal to a tensor, as to TF's tensors."""
    return isinstance(x, (numbers.Number, list, tuple)) or hasattr(x, "__array__")


def equal(x1: Any, x2: Any) -> Tensor:
    """``x1 == x2`` element-wise, broadcast."""
    return _apply("equal", x1, x2)


def not_equal(x1: Any, x2: Any) -> Tensor:
    """``x1 != x2`` element-wise, broadcast."""
    return _apply("not_equal", x1, x2)


def less(x1: Any, x2: Any) -> Tensor:
    """``x1 < x2`` element-wise, broadcast."""
    return _apply("less", x1, x2)


def less_equal(x1: Any, x2: Any) -> Tensor:
    """``x1 <= x2`` element-wise, broadcast."""
    return _apply("less_equal", x1, x2)


def greater(x1: Any, x2: Any) -> Tensor:
    """``x1 > x2`` element-wise, broadcast."""
    return _apply("greater", x1, x2)


def greater_equal(x1: Any, x2: Any) -> Tensor:
    """``x1 >= x2`` element-wise, broadcast."""
    return _apply("greater_equal", x1, x2)


def logical_and(x1: Any, x2: Any) -> Tensor:
    """Both ``x1`` and ``x2`` true (non-zero), element-wise."""
    return _apply("logical_and", x1, x2)


def logical_or(x1: Any, x2: Any) -> Tensor:
    """``x1`` or ``x2`` true (non-zero), element-wise."""
    return _apply("logical_or", x1, x2)


def logical_xor(x1: Any, x2: Any) -> Tensor:
    """Exactly one of ``x1`` and ``x2`` true (non-zero), element-wise."""
    return _apply("logical_xor", x1, x2)


def logical_not(x: Any) -> Tensor:
    """``x`` false (zero), element-wise."""
    return _apply("logical_not", x)


def isnan(x: Any) -> Tensor:
    """Where ``x`` is NaN."""
    return _apply("isnan", x)


def isinf(x: Any) -> Tensor:
    """Where ``x`` is +inf or -inf."""
    return _apply("isinf", x)


def isfinite(x: Any) -> Tensor:
    """Where ``x`` is neither NaN nor infinite."""
    return _apply("isfinite", x)


def bitwise_and(x: Any, y: Any) -> Tensor:
    """``x & y`` on booleans or integers (logical ``and`` on booleans)."""
    return _apply("bitwise_and", x, y)


def bitwise_or(x: Any, y: Any) -> Tensor:
    """``x | y`` on booleans or integers (logical ``or`` on booleans)."""
    return _apply("bitwise_or", x, y)


def bitwise_xor(x: Any, y: Any) -> Tensor:
    """``x ^ y`` on booleans or integers (logical ``xor`` on booleans)."""
    return _apply("bitwise_xor", x, y)


def bitwise_invert(x: Any) -> Tensor:
    """``~x`` on booleans or integers (logical ``not`` on booleans)."""
    return _apply("invert", x)
