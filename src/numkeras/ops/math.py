"""Element-wise arithmetic with NumPy broadcasting; each VJP sums over the broadcast axes."""

from __future__ import annotations

import builtins
from typing import Any

from ..backend import get_array_module
from .core import Op, Tensor, unbroadcast


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
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, g: Any) -> tuple:
        return (g * self.y,)


class Log(Op):
    """Natural logarithm."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, g: Any) -> tuple:
        return (g / self.x,)


class Sqrt(Op):
    """``√x``."""

    def forward(self, x: Any) -> Any:
        self.y = get_array_module(x).sqrt(x)
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


def log(x: Any) -> Tensor:
    """The natural logarithm of ``x``."""
    return Log()(x)


def sqrt(x: Any) -> Tensor:
    """``√x``."""
    return Sqrt()(x)


def square(x: Any) -> Tensor:
    """``x²``."""
    return Square()(x)


def abs(x: Any) -> Tensor:  # noqa: A001  (Keras's name)
    """``|x|``."""
    return Abs()(x)


def maximum(x1: Any, x2: Any) -> Tensor:
    """Element-wise ``max(x1, x2)``, broadcast."""
    return Maximum()(x1, x2)


def minimum(x1: Any, x2: Any) -> Tensor:
    """Element-wise ``min(x1, x2)``, broadcast."""
    return Minimum()(x1, x2)


def clip(x: Any, x_min: float | None, x_max: float | None) -> Tensor:
    """``x`` limited to ``[x_min, x_max]`` (None: no bound on that side)."""
    return Clip(x_min, x_max)(x)


def where(condition: Any, x1: Any, x2: Any) -> Tensor:
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast; no gradient to ``condition``)."""
    return Where()(condition, x1, x2)
