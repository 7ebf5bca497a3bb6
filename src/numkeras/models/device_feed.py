"""Batches onto the GPU: the next batch is copied while the current one computes.

``fit``, ``evaluate`` and ``predict`` take NumPy arrays and, on a GPU, move one batch at a time
to the device. Copied in the step itself (``cupy.asarray`` on the compute stream), each batch
would wait for its copy and each copy for the step before it. :class:`DeviceFeed` overlaps the
two, as PyTorch's pinned-memory loaders and tf.data's ``prefetch_to_device`` do:

- batch ``i + 1`` is written into page-locked ("pinned") host memory and copied to the device
  with ``ndarray.set(pinned, stream=copy_stream)`` on a stream of its own
  (``cupy.cuda.Stream(non_blocking=True)``) *before* step ``i`` is issued, so the copy engine
  moves it while the GPU computes step ``i``;
- an event recorded on the copy stream after the copy is waited for by the compute stream
  (``get_current_stream().wait_event``) before step ``i + 1`` uses the batch: the wait is on the
  GPU, the host never blocks on it;
- two sets of buffers (pinned on the host, plain on the device), one per batch in flight, are
  allocated once per array of the batch (again only for a larger batch or another sample shape;
  a short last batch takes their first rows), then reused: before a set is written again, the host
  waits for the copy that last read its pinned memory (done long before: it was two batches
  ago), and the copy stream waits for the compute stream to finish the step that last read its
  device memory.

A batch yielded by the feed is valid until the step after it starts, the contract that the data
adapters' reused gather buffers already have. On the CPU there is nothing to copy:
:func:`for_active_device` gives ``iter`` itself. Only CuPy's public API is used, through the
GPU's array module (``cupy.cuda.Stream``, ``Event``, ``get_current_stream``,
``alloc_pinned_memory``, ``ndarray.set``), so the strict stand-in of the tests can record it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

import numpy as np

from .. import backend

#: One mini-batch: the inputs (one array per model input), the targets (None, or one per
#: output) and the sample weights (or None).
Batch = tuple[list[Any], list[Any] | None, Any]
#: Array kinds that go to the device: bool, integers and floats (texts stay on the host, for a
#: first layer that turns them into numbers).
_NUMERIC = "biuf"


def for_active_device() -> Callable[[Iterable[Batch]], Iterator[Batch]]:
    """What turns a pass of host batches into the batches a step takes on the active device:
    a new :class:`DeviceFeed`'s :meth:`~DeviceFeed.batches` on a GPU, ``iter`` on the CPU."""
    module = backend.xp()
    return iter if module is np else DeviceFeed(module).batches


class DeviceFeed:
    """Moves ``(xs, ys, sample_weight)`` batches of host arrays to the GPU of ``module``
    (CuPy, or a stand-in that follows its API), each copy issued one step ahead on a stream
    of its own, from pinned host buffers reused across batches and epochs."""

    #: Batches in flight: the one a step uses and the one being copied.
    SLOTS = 2

    def __init__(self, module: ModuleType):
        self._xp = module
        self._cuda = module.cuda
        self._stream = module.cuda.Stream(non_blocking=True)
        # Timing is never read; events without it cost less to record and wait on.
        self._copied = [module.cuda.Event(disable_timing=True) for _ in range(self.SLOTS)]
        self._computed = module.cuda.Event(disable_timing=True)
        # Per slot, per array of the batch: its pinned host buffer and its device buffer.
        self._buffers: list[dict[int, tuple[np.ndarray, Any]]] = [{} for _ in range(self.SLOTS)]

    def batches(self, host_batches: Iterable[Batch]) -> Iterator[Batch]:
        """The batches of ``host_batches`` on the device, in order: each one's copy is issued
        before the step on the one before it, and the compute stream waits for the copy."""
        source = iter(host_batches)
        try:
            first = next(source, None)
            if first is None:
                return
            slot = 0
            current = self._issue(first, slot)
            for following in source:
                slot = (slot + 1) % self.SLOTS
                ahead = self._issue(following, slot)
                yield self._ready(*current)
                current = ahead
            yield self._ready(*current)
        finally:
            # A pass cut short may leave a copy in flight into buffers about to be freed.
            self._stream.synchronize()
            # Training stopped early: the source's own clean-up (a Sequence's reader threads)
            # runs now, as it would without the feed.
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def _issue(self, batch: Batch, slot: int) -> tuple[Batch, Any]:
        """Start copying ``batch`` into the buffers of ``slot``: the batch of device arrays,
        and the event that marks the end of its copy."""
        xs, ys, sample_weight = batch
        # The slot's pinned memory was last read by a copy two batches ago (long done), and
        # its device memory by the step on that batch, already issued on the compute stream.
        self._copied[slot].synchronize()
        self._stream.wait_event(self._cuda.get_current_stream().record(self._computed))
        arrays = [*xs, *(ys or ()), sample_weight]
        moved = [self._copy(slot, i, array) for i, array in enumerate(arrays)]
        self._stream.record(self._copied[slot])
        n = len(xs)
        return (moved[:n], None if ys is None else moved[n:-1], moved[-1]), self._copied[slot]

    def _ready(self, batch: Batch, copied: Any) -> Batch:
        """``batch``, once the compute stream waits (on the GPU, not the host) for its copy."""
        self._cuda.get_current_stream().wait_event(copied)
        return batch

    def _copy(self, slot: int, position: int, array: Any) -> Any:
        """``array`` (the ``position``-th of a batch) copied to the device through the pinned
        buffer of ``slot``; anything but a numeric host array of rows is passed on as it is
        (an empty one is a data-parallel rank's share of a short batch, which no step reads)."""
        if not _has_rows(array):
            return array
        pinned, device = self._buffers_for(slot, position, array)
        if len(array) < len(pinned):
            # A short last batch takes the first rows of the buffers: still contiguous.
            pinned, device = pinned[: len(array)], device[: len(array)]
        np.copyto(pinned, array)
        device.set(pinned, stream=self._stream)
        return device

    def _buffers_for(self, slot: int, position: int, array: np.ndarray) -> tuple[np.ndarray, Any]:
        """The pinned and device buffers of ``slot`` for the ``position``-th array: those of
        the last batch when ``array`` fits them (same sample shape and dtype, no more rows),
        else new ones of its size."""
        buffers = self._buffers[slot].get(position)
        if buffers is not None:
            pinned = buffers[0]
            fits = pinned.dtype == array.dtype and pinned.shape[1:] == array.shape[1:]
            if fits and len(pinned) >= len(array):
                return buffers
        memory = self._cuda.alloc_pinned_memory(math.prod(array.shape) * array.dtype.itemsize)
        # What cupyx.empty_pinned does: a NumPy array over the pinned allocation, which may be
        # larger than asked.
        pinned = np.ndarray(array.shape, array.dtype, buffer=memory)
        buffers = self._buffers[slot][position] = pinned, self._xp.empty(array.shape, array.dtype)
        return buffers


def _has_rows(array: Any) -> bool:
    """Whether ``array`` is a host array of numbers with at least one row of values."""
    return (
        isinstance(array, np.ndarray)
        and array.dtype.kind in _NUMERIC
        and array.ndim > 0
        and array.size > 0
    )
