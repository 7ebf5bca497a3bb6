"""Pools of large scratch arrays reused from one training step to the next.

The same ops run with the same shapes every step; taking their large work arrays (im2col
matrices, ReLU masks, an augmentation's coordinate grids) back from a pool costs nothing, where a
fresh allocation of tens of MB costs as many page faults as writing it.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from ..backend import get_array_module


class ScratchPool:
    """Large arrays handed out for the life of an op and taken back when the op is gone.

    A buffer is lent to one op only, so two layers (or two calls of one layer) never share live
    scratch; it returns to the pool when the op is garbage-collected, i.e. when the training step
    drops its tape, and the next step's op of the same shape gets it back.
    """

    def __init__(self, max_free: int = 6):
        self.max_free = max_free
        self._free: list[Any] = []

    def take(self, shape: tuple[int, ...], dtype: Any, xp: Any) -> Any:
        size = math.prod(shape)
        for k, buf in enumerate(self._free):
            if buf.size == size and buf.dtype == dtype and get_array_module(buf) is xp:
                return self._free.pop(k).reshape(shape)
        return xp.empty(shape, dtype=dtype)

    def give(self, buf: Any) -> None:
        self._free.append(buf)
        if len(self._free) > self.max_free:
            self._free.pop(0)

    def lend(self, owner: Any, shape: tuple[int, ...], dtype: Any, xp: Any) -> Any:
        """A buffer that comes back to the pool when ``owner`` is collected."""
        buf = self.take(shape, dtype, xp)
        weakref.finalize(owner, self.give, buf).atexit = False
        return buf
