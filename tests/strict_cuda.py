"""The strict stand-in's ``cuda`` namespace: CuPy's streams, events and pinned memory, recorded.

``strict_xp.cuda`` is :data:`cuda` (``Stream``, ``Event``, ``get_current_stream``,
``alloc_pinned_memory``, with CuPy's signatures) and ``strict_xp.ndarray.set`` is CuPy's
host-to-device copy, with its checks (a NumPy array of the same dtype and shape, into a contiguous
array), counted as a ``"copy"`` in ``strict_xp.launches``. Nothing here runs asynchronously:
every operation takes effect at once and is appended to :data:`log`, so that a test can check
the order in which a program issued them:

- ``("alloc_pinned", nbytes)``: page-locked host memory allocated;
- ``("copy", stream, pinned)``: a host-to-device copy issued on ``stream`` (a name), from pinned
  memory or not (a copy from pageable memory would not run asynchronously on a real GPU);
- ``("record", stream, event)``, ``("wait", stream, event)``: an event recorded on a stream, and
  a stream made to wait for it;
- ``("synchronize", name)``: the host waiting for an event or a stream.

Streams and events are named ``stream1``, ``event2``, ...; the stream current by default, as in
CuPy, is the null stream, named ``null``. The ``stand_in`` fixture clears :data:`log` first.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import numpy as np

import strict_xp

#: What the program asked of the stand-in GPU, in order (see the module's docstring).
log: list[tuple] = []
_names = itertools.count(1)


class _PinnedMemory(bytearray):
    """What alloc_pinned_memory gives: a copy reads pinned memory when the array it copies
    from is a view of one."""


class Event:
    """CuPy's ``cuda.Event``: a point in a stream that other streams and the host can wait for."""

    def __init__(
        self, block: bool = False, disable_timing: bool = False, interprocess: bool = False
    ):
        self.name = f"event{next(_names)}"
        self.done = True

    def record(self, stream: Stream | None = None) -> None:
        (Stream.null if stream is None else stream).record(self)

    def synchronize(self) -> None:
        log.append(("synchronize", self.name))


class Stream:
    """CuPy's ``cuda.Stream``; ``Stream.null`` is the default stream."""

    null: Stream

    def __init__(
        self, null: bool = False, non_blocking: bool = False, ptds: bool = False, priority: int = 0
    ):
        self.name = "null" if null else f"stream{next(_names)}"
        self.non_blocking = non_blocking

    def record(self, event: Event | None = None) -> Event:
        event = Event() if event is None else event
        log.append(("record", self.name, event.name))
        return event

    def wait_event(self, event: Event) -> None:
        log.append(("wait", self.name, event.name))

    def synchronize(self) -> None:
        log.append(("synchronize", self.name))


Stream.null = Stream(null=True)


def get_current_stream(device_id: int = -1) -> Stream:
    """The stream that device operations are issued on: the null stream, as in CuPy."""
    return Stream.null


def alloc_pinned_memory(size: int) -> _PinnedMemory:
    """Page-locked host memory of ``size`` bytes (here plain memory, marked as pinned)."""
    log.append(("alloc_pinned", size))
    return _PinnedMemory(size)


def _set(self: strict_xp.ndarray, arr: Any, stream: Stream | None = None) -> None:
    """CuPy's ``ndarray.set``: copy the host array ``arr`` into this device array."""
    target = self._a
    if not isinstance(arr, np.ndarray):
        raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
    if target.dtype != arr.dtype:
        raise TypeError(f"{arr.dtype} array cannot be set to {target.dtype} array")
    if target.shape != arr.shape:
        raise ValueError("Shape mismatch")
    if not target.flags.c_contiguous:
        raise RuntimeError("Cannot set to non-contiguous array")
    target[...] = arr
    strict_xp.launches["copy"] += 1  # one transfer, as the stand-in counts its asarray
    stream = get_current_stream() if stream is None else stream
    owner = arr
    while isinstance(owner, np.ndarray):
        owner = owner.base
    log.append(("copy", stream.name, isinstance(owner, _PinnedMemory)))


cuda = SimpleNamespace(
    Stream=Stream,
    Event=Event,
    get_current_stream=get_current_stream,
    alloc_pinned_memory=alloc_pinned_memory,
)
strict_xp.cuda = cuda
strict_xp.ndarray.set = _set
