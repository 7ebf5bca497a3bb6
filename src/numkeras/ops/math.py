"""Element-wise arithmetic with NumPy broadcasting; each VJP sums over the broadcast axes."""

from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from .core import Op, unbroadcast


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
        return abs(x)

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
