"""Turning what ``fit``, ``evaluate`` and ``predict`` receive into mini-batches.

Arrays are checked once (same sample count, no NaN or inf, not empty), converted once to floatx,
and gathered batch by batch into buffers reused across steps, in a new random order every epoch
when shuffling. Python generators, iterators and ``Sequence``-like objects (``__len__`` and
``__getitem__``) yield their own batches; one that runs out of them is marked ``ran_dry``, for
the loop to warn and stop as Keras does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend

Batch = tuple[list[Any], list[Any] | None, Any]


def to_list(data: Any) -> list[Any] | None:
    """``data`` as a list of arrays (one per model input or output), or None."""
    if data is None:
        return None
    if isinstance(data, dict):
        return list(data.values())
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], np.ndarray):
        return list(data)
    return [data]


def as_floatx(array: Any, argument: str, check_finite: bool = True) -> np.ndarray:
    """``array`` as a floatx NumPy array (float64 kept), with clear errors for bad content:
    NaN or inf too when ``check_finite`` (prediction skips that pass over the data, and passes
    a NaN through to its output)."""
    if isinstance(array, (list, tuple)):
        try:
            array = np.asarray(array)
        except ValueError as err:
            raise ValueError(f"{argument} must be a rectangular array: {err}") from None
    if not hasattr(array, "shape") or not hasattr(array, "dtype"):
        raise TypeError(
            f"{argument} must be a NumPy array or a list of numbers. Received: "
            f"{type(array).__name__}"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{argument} must hold numbers. Received: dtype={array.dtype}")
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(
            f"{argument} is empty: it needs at least one sample. Received: "
            f"{argument}.shape={array.shape}"
        )
    array = np.ascontiguousarray(array, dtype=backend.floatx())
    # A finite sum proves every value finite, in one pass and with no temporary the size of
    # the data; only a non-finite sum (or an overflow) needs the element-wise check.
    if not check_finite or array.dtype.kind != "f":
        return array
    with np.errstate(over="ignore", invalid="ignore"):
        finite = bool(np.isfinite(array.sum())) or bool(np.isfinite(array).all())
    if not finite:
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{argument} contains NaN or inf values (the first at index {tuple(bad.tolist())}). "
            "Clean or impute the data before training."
        )
    return array


def check_sample_counts(
    xs: list[np.ndarray], ys: list[np.ndarray] | None, sample_weight: np.ndarray | None
) -> int:
    """The common number of samples, or a ValueError naming the arrays that disagree."""
    counts = {f"x[{i}]" if len(xs) > 1 else "x": len(a) for i, a in enumerate(xs)}
    for i, a in enumerate(ys or []):
        counts[f"y[{i}]" if len(ys) > 1 else "y"] = len(a)
    if sample_weight is not None:
        counts["sample_weight"] = len(sample_weight)
    if len(set(counts.values())) > 1:
        detail = ", ".join(f"{k}.shape[0]={v}" for k, v in counts.items())
        raise ValueError(
            f"x, y and sample_weight must have the same number of samples. Received: {detail}"
        )
    return next(iter(counts.values()))


def split_validation(arrays: list[Any], validation_split: float) -> tuple[list[Any], list[Any]]:
    """Split each array into its first ``1 - validation_split`` and its last part, unshuffled.

    This is Keras's rule: the validation data is the last samples of ``x`` and ``y``, taken
    before any shuffling, so class-sorted data must be shuffled by the user first.
    """
    if not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split must be in (0, 1). Received: validation_split={validation_split}"
        )
    n = len(next(a for a in arrays if a is not None))
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at in (0, n):
        raise ValueError(
            f"validation_split={validation_split} leaves no training or no validation sample "
            f"out of {n} samples."
        )
    train = [None if a is None else a[:split_at] for a in arrays]
    val = [None if a is None else a[split_at:] for a in arrays]
    return train, val


class ArrayBatches:
    """Mini-batches of in-memory arrays, reshuffled every epoch when ``shuffle`` is true."""

    #: Arrays never run out: every epoch has all its steps.
    ran_dry = False

    def __init__(
        self,
        xs: list[np.ndarray],
        ys: list[np.ndarray] | None,
        sample_weight: np.ndarray | None,
        batch_size: int,
        shuffle: bool = False,
        steps: int | None = None,
    ):
        self.xs, self.ys, self.sample_weight = xs, ys, sample_weight
        self.batch_size, self.shuffle = batch_size, shuffle
        self.num_samples = len(xs[0])
        full = math.ceil(self.num_samples / batch_size)
        self.steps = full if steps is None else min(math.ceil(steps), full)
        self._buffers: dict[tuple[int, int], np.ndarray] = {}

    def _gather(self, key: int, array: np.ndarray, index: np.ndarray) -> np.ndarray:
        # Reusing one buffer per array and batch size saves an allocation per step; the
        # previous batch is no longer referenced once the next step starts.
        buf = self._buffers.get((key, len(index)))
        if buf is None:
            buf = self._buffers[(key, len(index))] = np.empty(
                (len(index), *array.shape[1:]), array.dtype
            )
        # The indices come from a permutation, so none is out of range; mode="raise" would
        # gather into a temporary and copy it into ``buf`` (NumPy buffers ``out`` for it).
        return np.take(array, index, axis=0, out=buf, mode="clip")

    def __iter__(self) -> Iterator[Batch]:
        order = backend.rng().permutation(self.num_samples) if self.shuffle else None
        for step in range(self.steps):
            start = step * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            if order is None:
                index = slice(start, stop)
                xb = [x[index] for x in self.xs]
                yb = None if self.ys is None else [y[index] for y in self.ys]
            else:
                index = order[start:stop]
                xb = [self._gather(i, x, index) for i, x in enumerate(self.xs)]
                yb = (
                    None
                    if self.ys is None
                    else [self._gather(-1 - i, y, index) for i, y in enumerate(self.ys)]
                )
            sw = None if self.sample_weight is None else self.sample_weight[index]
            yield xb, yb, sw


class GeneratorBatches:
    """Batches from a generator, an iterator or a ``Sequence``-like object.

    Each item is ``x``, ``(x, y)`` or ``(x, y, sample_weight)``. A ``Sequence`` knows its length;
    an endless generator needs ``steps`` (``steps_per_epoch``). Without ``steps`` an epoch of a
    generator ends when it is exhausted.

    ``ran_dry`` becomes True when the source gives fewer batches than ``steps`` in a pass (a
    ``Sequence`` asked for more steps than its length, a generator that ends), or none at all
    (a generator exhausted by the previous epochs): it has nothing more to give.
    """

    def __init__(self, source: Any, steps: int | None = None, argument: str = "x"):
        self.source = source
        self.is_sequence = hasattr(source, "__len__") and hasattr(source, "__getitem__")
        if steps is None and self.is_sequence:
            steps = len(source)
        # Keras's examples pass len(x_train) / 32: a fractional step count means one more step.
        self.steps = None if steps is None else math.ceil(steps)
        self._iterator: Iterator | None = None
        self.argument = argument
        self.ran_dry = False

    def __iter__(self) -> Iterator[Batch]:
        if self.is_sequence:
            count = min(self.steps, len(self.source))
            items: Iterator = (self.source[i] for i in range(count))
            if hasattr(self.source, "on_epoch_end"):
                items = _then(items, self.source.on_epoch_end)
        else:
            # A generator continues where the last epoch stopped, as in Keras.
            if self._iterator is None:
                self._iterator = iter(self.source)
            items = self._iterator if self.steps is None else _take(self._iterator, self.steps)
        given = 0
        for item in items:
            given += 1
            yield unpack(item, self.argument)
        self.ran_dry = given == 0 or (self.steps is not None and given < self.steps)


def _take(iterator: Iterator, n: int) -> Iterator:
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _then(items: Iterator, callback: Any) -> Iterator:
    yield from items
    callback()


def unpack(item: Any, argument: str) -> Batch:
    """Split one generator item into (x list, y list or None, sample weights or None)."""
    if isinstance(item, tuple) and len(item) in (2, 3):
        x, y = item[0], item[1]
        sw = item[2] if len(item) == 3 else None
    else:
        x, y, sw = item, None, None
    xs = [as_floatx(a, argument) for a in to_list(x)]
    ys = None if y is None else [as_floatx(a, "y") for a in to_list(y)]
    return xs, ys, None if sw is None else np.asarray(sw, dtype=backend.floatx())


def is_generator_like(data: Any) -> bool:
    """Whether ``data`` yields batches itself rather than being arrays to slice."""
    if isinstance(data, (np.ndarray, list, tuple, dict, str, bytes)) or hasattr(data, "__array__"):
        return False
    return (
        hasattr(data, "__iter__")
        or hasattr(data, "__next__")
        or (hasattr(data, "__getitem__") and hasattr(data, "__len__"))
    )
