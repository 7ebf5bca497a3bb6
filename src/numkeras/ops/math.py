"""Element-wise arithmetic with NumPy broadcasting; each VJP sums over the broadcast axes.

As in Keras 3, the functions that only make sense on reals (``exp``, ``log``, ``sin``, ``floor``...)
compute in ``backend.floatx()`` when given integers or booleans; ``sign``, ``round`` and
``nan_to_num`` keep integers as they are. The step functions (``sign``, ``round``, ``floor``,
``ceil``) have a zero derivative wherever they have one, so no gradient flows back through them
(their input's gradient is None, as TF's is for ``floor`` and ``round``).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..backend import get_array_module
from .core import Op, Tensor, convert_to_tensor, unbroadcast
from .dtypes import INDEX_DTYPE, as_float


class Add(Op):
    """``a + b``."""

    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g: Any) -> tuple:
        return unbroadcast(g, self.shapes[0]), unbroadcast(g, self.shapes[1])


class Subtract(Op):
    """``a - b``."""

    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g: Any) -> tuple:
        return unbroadcast(g, self.shapes[0]), unbroadcast(-g, self.shapes[1])


class Multiply(Op):
    """``a * b``."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a * b

    def backward(self, g: Any) -> tuple:
        ga = unbroadcast(g * self.b, self.a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(g * self.a, self.b.shape) if self.needs_grad[1] else None
        return ga, gb


class Divide(Op):
    """``a / b``."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a / b

    def backward(self, g: Any) -> tuple:
        ga = unbroadcast(g / self.b, self.a.shape) if self.needs_grad[0] else None
        gb = (
            unbroadcast(-g * self.a / (self.b * self.b), self.b.shape)
            if self.needs_grad[1]
            else None
        )
        return ga, gb


class Negative(Op):
    """``-x``."""

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, g: Any) -> tuple:
        return (-g,)


class Power(Op):
    """``a ** b``; d/da = b a^(b-1), d/db = a^b log a (defined for a > 0)."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(self.a)
        ga = (
            unbroadcast(g * self.b * self.a ** (self.b - 1), self.a.shape)
            if self.needs_grad[0]
            else None
        )
        gb = None
        if self.needs_grad[1]:
            log_a = xp.log(xp.where(self.a > 0, self.a, 1))
            gb = unbroadcast(g * self.y * log_a, self.b.shape)
        return ga, gb


class Exp(Op):
    """``e^x``."""

    def forward(self, x: Any) -> Any:
        self.y = get_array_module(x).exp(as_float(x))
        return self.y

    def backward(self, g: Any) -> tuple:
        return (g * self.y,)


class Expm1(Op):
    """``e^x - 1``, exact for small ``x``; d/dx = e^x."""

    def forward(self, x: Any) -> Any:
        self.y = get_array_module(x).expm1(as_float(x))
        return self.y

    def backward(self, g: Any) -> tuple:
        return (g * (self.y + 1),)


class Log(Op):
    """Natural logarithm."""

    def forward(self, x: Any) -> Any:
        self.x = as_float(x)
        return get_array_module(x).log(self.x)

    def backward(self, g: Any) -> tuple:
        return (g / self.x,)


class Log1p(Op):
    """``log(1 + x)``, exact for small ``x``; d/dx = 1 / (1 + x)."""

    def forward(self, x: Any) -> Any:
        self.x = as_float(x)
        return get_array_module(x).log1p(self.x)

    def backward(self, g: Any) -> tuple:
        return (g / (1 + self.x),)


class Sqrt(Op):
    """``√x``."""

    def forward(self, x: Any) -> Any:
        self.y = get_array_module(x).sqrt(as_float(x))
        return self.y

    def backward(self, g: Any) -> tuple:
        return (g / (2 * self.y),)


class Square(Op):
    """``x²``."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return x * x

    def backward(self, g: Any) -> tuple:
        return (2 * g * self.x,)


class Abs(Op):
    """``|x|``; the VJP uses sign(x), 0 at 0."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return builtins.abs(x)  # the module's own abs is the op

    def backward(self, g: Any) -> tuple:
        return (g * get_array_module(self.x).sign(self.x),)


class Reciprocal(Op):
    """``1 / x``; d/dx = -1/x²."""

    def forward(self, x: Any) -> Any:
        self.y = get_array_module(x).reciprocal(as_float(x))
        return self.y

    def backward(self, g: Any) -> tuple:
        return (-g * self.y * self.y,)


class Sin(Op):
    """``sin x``; d/dx = cos x."""

    def forward(self, x: Any) -> Any:
        self.x = as_float(x)
        return get_array_module(x).sin(self.x)

    def backward(self, g: Any) -> tuple:
        return (g * get_array_module(g).cos(self.x),)


class Cos(Op):
    """``cos x``; d/dx = -sin x."""

    def forward(self, x: Any) -> Any:
        self.x = as_float(x)
        return get_array_module(x).cos(self.x)

    def backward(self, g: Any) -> tuple:
        return (-g * get_array_module(g).sin(self.x),)


class Tan(Op):
    """``tan x``; d/dx = 1 + tan² x."""

    def forward(self, x: Any) -> Any:
        self.y = get_array_module(x).tan(as_float(x))
        return self.y

    def backward(self, g: Any) -> tuple:
        return (g * (1 + self.y * self.y),)


class _Step(Op):
    """Shared VJP of the step functions: no gradient flows back (their derivative is zero
    wherever it exists)."""

    def backward(self, g: Any) -> tuple:
        return (None,)


class Sign(_Step):
    """-1, 0 or 1 by the sign of ``x``, in ``x``'s dtype."""

    def forward(self, x: Any) -> Any:
        return get_array_module(x).sign(x)


class Floor(_Step):
    """The largest integer ``<= x``, as a float."""

    def forward(self, x: Any) -> Any:
        return get_array_module(x).floor(as_float(x))


class Ceil(_Step):
    """The smallest integer ``>= x``, as a float."""

    def forward(self, x: Any) -> Any:
        return get_array_module(x).ceil(as_float(x))


class Round(_Step):
    """``x`` rounded to ``decimals`` decimal places, halves to even (NumPy's and Keras's rule)."""

    def __init__(self, decimals: int):
        self.decimals = decimals

    def forward(self, x: Any) -> Any:
        return get_array_module(x).round(x, self.decimals)


class NanToNum(Op):
    """``x`` with NaN, +inf and -inf replaced by finite numbers; the gradient flows where ``x``
    was finite, and none to the replaced elements."""

    def __init__(self, nan: float, posinf: float | None, neginf: float | None):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.finite = xp.isfinite(x)
        return xp.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, g: Any) -> tuple:
        return (g * self.finite,)


class _Select(Op):
    """Shared VJP of maximum/minimum: the gradient goes to the chosen input (to ``a`` on ties).

    Masks multiply rather than ``where`` select: on random masks NumPy's ``where`` is many
    times slower than a multiplication.
    """

    pick = "greater_equal"
    combine = "maximum"

    def forward(self, a: Any, b: Any) -> Any:
        xp = get_array_module(a)
        self.shapes = a.shape, b.shape
        self.take_a = getattr(xp, self.pick)(a, b)
        return getattr(xp, self.combine)(a, b)

    def backward(self, g: Any) -> tuple:
        ga = unbroadcast(g * self.take_a, self.shapes[0]) if self.needs_grad[0] else None
        gb = unbroadcast(g * ~self.take_a, self.shapes[1]) if self.needs_grad[1] else None
        return ga, gb


class Maximum(_Select):
    """Element-wise ``max(a, b)``."""


class Minimum(_Select):
    """Element-wise ``min(a, b)``."""

    pick = "less_equal"
    combine = "minimum"


class Clip(Op):
    """``x`` limited to ``[low, high]``; no gradient flows where it was clipped."""

    def __init__(self, low: float | None, high: float | None):
        self.low, self.high = low, high

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        y = xp.clip(x, self.low, self.high)
        self.inside = y == x
        return y

    def backward(self, g: Any) -> tuple:
        return (g * self.inside,)


class Where(Op):
    """``where(condition, a, b)``: ``a`` where the (constant) condition holds, else ``b``."""

    def forward(self, condition: Any, a: Any, b: Any) -> Any:
        self.condition = condition.astype(bool)
        self.shapes = a.shape, b.shape
        return get_array_module(a).where(self.condition, a, b)

    def backward(self, g: Any) -> tuple:
        ga = unbroadcast(g * self.condition, self.shapes[0]) if self.needs_grad[1] else None
        gb = unbroadcast(g * ~self.condition, self.shapes[1]) if self.needs_grad[2] else None
        return None, ga, gb


class Cast(Op):
    """``x`` converted to ``dtype``; the gradient is converted back to ``x``'s dtype."""

    def __init__(self, dtype: Any):
        self.dtype = dtype

    def forward(self, x: Any) -> Any:
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, g: Any) -> tuple:
        return (g.astype(self.in_dtype),)


# -- functions (keras.ops names and arguments) -----------------------------------------------------
def add(x1: Any, x2: Any) -> Tensor:
    """``x1 + x2``, broadcast."""
    return Add()(x1, x2)


def subtract(x1: Any, x2: Any) -> Tensor:
    """``x1 - x2``, broadcast."""
    return Subtract()(x1, x2)


def multiply(x1: Any, x2: Any) -> Tensor:
    """``x1 · x2`` element-wise, broadcast."""
    return Multiply()(x1, x2)


def divide(x1: Any, x2: Any) -> Tensor:
    """``x1 / x2`` element-wise, broadcast."""
    return Divide()(x1, x2)


def negative(x: Any) -> Tensor:
    """``-x``."""
    return Negative()(x)


def power(x1: Any, x2: Any) -> Tensor:
    """``x1 ** x2`` element-wise, broadcast."""
    return Power()(x1, x2)


def cast(x: Any, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable for float types)."""
    return Cast(dtype)(x)


def exp(x: Any) -> Tensor:
    """``e^x``."""
    return Exp()(x)


def expm1(x: Any) -> Tensor:
    """``e^x - 1``, accurate where ``x`` is near 0."""
    return Expm1()(x)


def log(x: Any) -> Tensor:
    """The natural logarithm of ``x``."""
    return Log()(x)


def log1p(x: Any) -> Tensor:
    """``log(1 + x)``, accurate where ``x`` is near 0."""
    return Log1p()(x)


def sqrt(x: Any) -> Tensor:
    """``√x``."""
    return Sqrt()(x)


def square(x: Any) -> Tensor:
    """``x²``."""
    return Square()(x)


def abs(x: Any) -> Tensor:  # noqa: A001  (Keras's name)
    """``|x|``."""
    return Abs()(x)


def reciprocal(x: Any) -> Tensor:
    """``1 / x``."""
    return Reciprocal()(x)


def sin(x: Any) -> Tensor:
    """The sine of ``x`` (radians)."""
    return Sin()(x)


def cos(x: Any) -> Tensor:
    """The cosine of ``x`` (radians)."""
    return Cos()(x)


def tan(x: Any) -> Tensor:
    """The tangent of ``x`` (radians)."""
    return Tan()(x)


def sign(x: Any) -> Tensor:
    """-1, 0 or 1 by the sign of each element of ``x`` (no gradient flows back)."""
    return Sign()(x)


def floor(x: Any) -> Tensor:
    """The largest integer ``<= x``, element-wise, as floats (no gradient flows back)."""
    return Floor()(x)


def ceil(x: Any) -> Tensor:
    """The smallest integer ``>= x``, element-wise, as floats (no gradient flows back)."""
    return Ceil()(x)


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001  (Keras's name)
    """``x`` rounded to ``decimals`` decimal places (negative: to tens, hundreds...), halves to
    even as in Keras; integers stay integers. No gradient flows back."""
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise ValueError(f"decimals must be an integer. Received: decimals={decimals!r}")
    return Round(int(decimals))(x)


def nan_to_num(
    x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """``x`` with NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (None: the
    largest finite number of ``x``'s dtype, of either sign), as Keras's ``nan_to_num``."""
    return NanToNum(nan, posinf, neginf)(x)


def maximum(x1: Any, x2: Any) -> Tensor:
    """Element-wise ``max(x1, x2)``, broadcast."""
    return Maximum()(x1, x2)


def minimum(x1: Any, x2: Any) -> Tensor:
    """Element-wise ``min(x1, x2)``, broadcast."""
    return Minimum()(x1, x2)


def clip(x: Any, x_min: float | None, x_max: float | None) -> Tensor:
    """``x`` limited to ``[x_min, x_max]`` (None: no bound on that side)."""
    return Clip(x_min, x_max)(x)


def where(condition: Any, x1: Any = None, x2: Any = None) -> Tensor | tuple[Tensor, ...]:
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast; no gradient to ``condition``).

    With ``condition`` alone: the indices of its non-zero elements, one int32 tensor per axis
    (``np.nonzero``), as Keras's ``ops.where``.
    """
    if x1 is None and x2 is None:
        value = convert_to_tensor(condition).data
        return tuple(Tensor(i.astype(INDEX_DTYPE)) for i in get_array_module(value).nonzero(value))
    if x1 is None or x2 is None:
        raise ValueError(
            "where takes x1 and x2 both or neither. "
            f"Received: x1={'None' if x1 is None else 'a value'}, "
            f"x2={'None' if x2 is None else 'a value'}"
        )
    return Where()(condition, x1, x2)
