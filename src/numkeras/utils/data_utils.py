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
    ``on_epoch_begin`` and ``on_epoch_end`` (e.g. to reshuffle) are called around each epoch.

    Args:
        workers: threads that read batches ahead of the training step. Defaults to 1 (read
            each batch when it is needed); more pays when ``__getitem__`` waits on files or
            decodes images, work that releases the GIL.
        use_multiprocessing: accepted for Keras programs; batches are read by threads either
            way (numkeras never pickles a data set into other processes).
        max_queue_size: the most batches read ahead. Defaults to 10.
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ):
        for argument, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"{argument} must be an integer of at least 1. Received: {argument}={value!r}"
                )
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


def split_dataset(
    dataset: Any,
    left_size: float | int | None = None,
    right_size: float | int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
) -> tuple[Any, Any]:
    """Split an array, or a tuple or list of arrays with one sample per row, into a left and a
    right part, with the arguments of Keras's ``keras.utils.split_dataset``.

    ``left_size`` and ``right_size`` are fractions in (0, 1) or sample counts; given one, the
    other part takes the rest; given neither, the left part takes 80%. A fraction of the
    samples is rounded down. With ``shuffle`` the samples are permuted first (``seed`` fixes
    the permutation).

    Returns:
        ``(left, right)``, each of the form of ``dataset``: arrays, where Keras returns
        ``tf.data`` datasets (numkeras has no TensorFlow).
    """
    import numpy as np

    parts = list(dataset) if isinstance(dataset, (tuple, list)) else [dataset]
    arrays = [np.asarray(a) for a in parts]
    counts = {len(a) for a in arrays}
    if len(counts) != 1:
        raise ValueError(
            "dataset must hold arrays with the same number of samples. Received lengths "
            f"{[len(a) for a in arrays]}"
        )
    total = counts.pop()
    left = _split_size(left_size, total, "left_size")
    right = _split_size(right_size, total, "right_size")
    if left is None and right is None:
        left = int(0.8 * total)
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left <= 0 and right <= 0:
        raise ValueError(
            f"left_size and right_size must leave samples on at least one side and add up to "
            f"at most the {total} samples. Received: left_size={left_size!r}, "
            f"right_size={right_size!r}"
        )
    order = np.random.default_rng(seed).permutation(total) if shuffle else np.arange(total)
    left_part = [a[order[:left]] for a in arrays]
    right_part = [a[order[left : left + right]] for a in arrays]
    if isinstance(dataset, (tuple, list)):
        return type(dataset)(left_part), type(dataset)(right_part)
    return left_part[0], right_part[0]


def _split_size(size: float | int | None, total: int, argument: str) -> int | None:
    """``size`` as a number of samples: a fraction of ``total`` or a count."""
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise TypeError(f"{argument} must be a float or an int. Received: {argument}={size!r}")
    if isinstance(size, float):
        if not 0 < size < 1:
            raise ValueError(f"{argument} as a fraction must be in (0, 1). Received: {size}")
        return int(size * total)
    if not 0 <= size <= total:
        raise ValueError(
            f"{argument} as a count must be in [0, {total}] (the samples). Received: {size}"
        )
    return size
