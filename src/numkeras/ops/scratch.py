"""Pools of large scratch arrays reused from one training step to the next.

The same ops run with the same shapes every step; taking their large work arrays (im2col
matrices, ReLU masks, an augmentation's coordinate grids) back from a pool costs nothing, where a
fresh allocation of tens of MB costs as many page faults as writing it.

Two mechanisms, by how a buffer's end is known: :class:`ScratchPool` lends a work array to one op
until the op is collected (with its tape); a :class:`StepArena` hands out the arrays that a
training step's ops return (activations, ReLU masks, gradients) and takes one back once nothing
but the arena refers to it. Without them a warm step still pays: glibc serves a block of a few
MB with ``mmap`` (or from a heap top it trimmed at the last ``free``) and returns it when freed,
so every step faults in fresh pages, one per 4 KiB.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

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


class StepArena:
    """NumPy arrays handed out during training steps and again once provably dead.

    :meth:`take` gives an array of the shape and dtype asked for: one of the arena's that
    nothing else refers to (no tensor, view, tape, gradient list or user variable: Python's
    reference count shows the arena's as the only reference), else a fresh one that the arena
    keeps. So an array is reused only when no one can see it again, within a step or in the
    next, and whatever outlives the step (``last_gradients``, an output a layer kept) stays
    intact. :meth:`end_step` forgets the arrays that the last ``keep_steps`` steps did not take
    (the shapes of an epoch's short last batch, once it is over).

    CuPy arrays are not pooled: CuPy's memory pool already reuses device memory.
    """

    def __init__(self, keep_steps: int = 2):
        self.keep_steps = keep_steps
        self._step = 0
        # (shape, dtype) -> entries [array, the step that last took it]
        self._entries: dict[tuple, list[list[Any]]] = {}

    def take(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An array of ``shape`` and ``dtype``: a dead one of the arena's, else a new one."""
        key = (shape, dtype)
        entries = self._entries.get(key)
        if entries is None:
            entries = self._entries[key] = []
        for entry in entries:
            if _sole_reference(entry):
                entry[1] = self._step
                return entry[0]
        buf = np.empty(shape, dtype=dtype)
        entries.append([buf, self._step])
        return buf

    def end_step(self) -> None:
        """End a step: forget the arrays that neither it nor the ``keep_steps - 1`` before
        it took."""
        oldest = self._step - self.keep_steps
        self._step += 1
        for key, entries in list(self._entries.items()):
            if entries[0][1] <= oldest or entries[-1][1] <= oldest:
                entries[:] = [e for e in entries if e[1] > oldest]
                if not entries:
                    del self._entries[key]

    def arrays(self) -> list[np.ndarray]:
        """The arrays the arena holds (taken or free)."""
        return [e[0] for entries in self._entries.values() for e in entries]


def _sole_reference(entry: list[Any]) -> bool:
    """Whether ``entry[0]`` has no reference but ``entry``'s (a view holds its base's)."""
    return sys.getrefcount(entry[0]) == _SOLE_REFERENCE


def _count_sole_reference() -> int:
    """The reference count that :func:`_sole_reference` sees for an array only its entry holds
    (measured, as it differs between Python versions)."""
    entry = [np.empty(0), 0]
    return sys.getrefcount(entry[0])


_SOLE_REFERENCE = _count_sole_reference()


class _Active(threading.local):
    """The arena of this thread's training step (None outside one), per thread so that a
    model served or predicted in another thread never draws from it."""

    arena: StepArena | None = None


_active = _Active()


@contextlib.contextmanager
def step_arena(arena: StepArena) -> Iterator[None]:
    """One training step of this thread: inside the block :func:`pooled` (and so
    :func:`empty`) draws from ``arena``."""
    previous, _active.arena = _active.arena, arena
    try:
        yield
    finally:
        _active.arena = previous
        arena.end_step()


#: Arrays smaller than this come from ``malloc``'s free lists at no cost (glibc maps a fresh
#: block from 128 KiB up), where the arena's bookkeeping would cost more than it saves.
ARENA_MIN_BYTES = 64 * 1024


def pooled(shape: tuple[int, ...], dtype: Any, xp: Any) -> Any:
    """An array of the active :class:`StepArena` for a result of ``shape`` and ``dtype``, or
    None where the caller allocates as usual: outside a training step, for a CuPy array, or
    below :data:`ARENA_MIN_BYTES`."""
    arena = _active.arena
    if arena is None or xp is not np:
        return None
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize < ARENA_MIN_BYTES:
        return None
    return arena.take(shape, dtype)


def empty(shape: tuple[int, ...], dtype: Any, xp: Any) -> Any:
    """An uninitialised array for an op's result: :func:`pooled`'s, else a fresh one."""
    out = pooled(shape, dtype, xp)
    return xp.empty(shape, dtype=dtype) if out is None else out
