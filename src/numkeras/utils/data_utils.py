"""Batches as Keras hands them to a model's steps, and ``PyDataset``, Keras 3's batch source."""

from __future__ import annotations

from typing import Any


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """A batch as a step's ``data``: ``(x, y)``, ``(x, y, sample_weight)``, or without ``y``
    ``x`` itself (``(x,)`` when ``x`` is a list or tuple, so that it stays one element), as
    Keras's ``keras.utils.pack_x_y_sample_weight``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` of a step's ``data``, None where absent, as Keras's
    ``keras.utils.unpack_x_y_sample_weight``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data of a step must be x, (x,), (x, y) or (x, y, sample_weight). Received: a tuple "
        f"of {len(data)} elements"
    )


class PyDataset:
    """Base class of a source of batches that ``fit``, ``evaluate`` and ``predict`` read by
    index, as Keras 3's ``keras.utils.PyDataset`` (Keras 2's ``Sequence``).

    A subclass implements ``__getitem__(index)``, returning batch ``index`` as ``x``,
    ``(x, y)`` or ``(x, y, sample_weight)``, and ``__len__``, the number of batches;
    ``on_epoch_end`` (e.g. to reshuffle) is called after each epoch.

    Args:
        workers, use_multiprocessing, max_queue_size: accepted for Keras programs; numkeras
            reads the batches in the training process, one after another.
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    @property
    def num_batches(self) -> int:
        """The number of batches in an epoch (``len(self)``)."""
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each epoch; does nothing by default."""

    def on_epoch_end(self) -> None:
        """Called after each epoch; does nothing by default."""


#: Keras 2's name (``keras.utils.Sequence``), which Keras 3 keeps.
Sequence = PyDataset
