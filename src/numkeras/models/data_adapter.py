"""Everything that ``fit``, ``evaluate`` and ``predict`` do to their data, in one place.

One entry point, :func:`get_data_adapter`, turns whatever the user passes (an array, a list or
dict of arrays, a Python generator or iterator, a ``Sequence``-like object with ``__len__`` and
``__getitem__``) into a data adapter: an iterable whose every pass is one epoch of
``(xs, ys, sample_weight)`` mini-batches, with its number of ``steps`` and a ``ran_dry`` flag.
:func:`get_fit_adapters` adds what only ``fit`` has (``validation_split`` and
``validation_data``), and :func:`prepare_arrays` readies the single batch of ``*_on_batch``.

Arrays are checked once (same sample count, no NaN or inf, not empty, sample shapes that suit
the model's inputs and targets that suit its losses), converted once to floatx, turned from
``class_weight`` into per-sample weights once, and gathered batch by batch into buffers reused
across steps; on a GPU each batch is then copied to the device while the step before it
computes (:mod:`.device_feed`). Shuffling draws one ``permutation`` of the samples from
numkeras's random stream per epoch, as the first thing that epoch does (exact resume relies on
these draws). Generators and ``Sequence`` objects yield their own batches; one that runs out of
them is marked ``ran_dry``, for the loop to warn and stop as Keras does.

Of the model, only its shapes and losses are read (``_ensure_built``, ``_input_shapes``,
``_output_shapes``, ``_losses``), so that a mismatch is reported, naming the argument, before any
step runs.
"""

from __future__ import annotations

import abc
import collections
import concurrent.futures
import math
import reprlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from .. import losses as losses_module
from . import device_feed

Batch = device_feed.Batch

#: Keras's batch size when ``batch_size`` is None.
DEFAULT_BATCH_SIZE = 32


# -- arrays: conversion and checks -----------------------------------------------------------
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


def as_model_input(array: Any, argument: str, check_finite: bool = True) -> np.ndarray:
    """A model input as :func:`as_floatx` gives it, except texts: an array of strings (str or
    bytes, also in an object array) passes as it is, for a first layer that turns texts into
    numbers (``TextVectorization``, ``StringLookup``), as Keras's preprocessing layers do."""
    if isinstance(array, (list, tuple)) or hasattr(array, "dtype"):
        values = np.asarray(array)
        texts = values.dtype.kind in "US" or (
            values.dtype == object and all(isinstance(v, (str, bytes)) for v in values.flat)
        )
        if texts and values.ndim:
            return values
    return as_floatx(array, argument, check_finite)


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


def _check_input_shapes(model: Any, xs: list[np.ndarray]) -> None:
    """Compare the data's sample shapes with the model's input shapes, naming ``x``.

    A ``Sequential`` model without an input shape is built here, from ``xs``.
    """
    if not model._ensure_built(xs):
        return
    for i, (x, shape) in enumerate(zip(xs, model._input_shapes())):
        expected = tuple(shape[1:])
        if len(x.shape[1:]) != len(expected) or any(
            e is not None and e != g for e, g in zip(expected, x.shape[1:])
        ):
            name = "x" if len(xs) == 1 else f"x[{i}]"
            hint = ""
            if len(expected) == 1 and x.ndim > 2 and math.prod(x.shape[1:]) == expected[0]:
                hint = f" Flatten the samples first: {name}.reshape(-1, {expected[0]})."
            raise ValueError(
                f"{name} has samples of shape {tuple(x.shape[1:])}, but the model expects "
                f"samples of shape {expected} (batch axis excluded). Received: "
                f"{name}.shape={x.shape}.{hint}"
            )


def _check_target_shapes(model: Any, ys: list[np.ndarray]) -> None:
    """Compare the targets with the model's outputs and compiled losses, naming ``y``."""
    shapes = model._output_shapes()
    if shapes is None:
        return
    if len(ys) != len(shapes):
        raise ValueError(
            f"The model has {len(shapes)} output(s) but received {len(ys)} target array(s) y."
        )
    for loss, y, shape in zip(model._losses, ys, shapes):
        losses_module.check_target_shape(loss, y.shape, (len(y), *shape[1:]))


# -- class weights ----------------------------------------------------------------------------
def class_weights_to_sample_weights(
    class_weight: dict, y: np.ndarray, sample_weight: np.ndarray | None, units: int | None
) -> np.ndarray:
    """Each sample's weight: its class's entry in ``class_weight`` (1 for a class not in it),
    times ``sample_weight``. The classes are y's columns when one-hot, else the model's output
    ``units`` (two for a single sigmoid unit; ``units`` None: the labels present)."""
    one_hot = y.ndim > 1 and y.shape[-1] > 1
    labels = (y.argmax(axis=-1) if one_hot else y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    if one_hot:
        n_classes = y.shape[-1]
    else:
        n_classes = max(units, 2) if units is not None else max(int(labels.max()) + 1, 2)
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(
                f"class_weight needs class indices in [0, {n_classes}) in y. Received labels "
                f"from {labels.min()} to {labels.max()}"
            )
    outside = sorted(int(k) for k in class_weight if not 0 <= k < n_classes)
    if outside:
        raise ValueError(
            f"class_weight has keys {outside} outside the valid class indices 0 to "
            f"{n_classes - 1} (the model has {n_classes} classes). Received: "
            f"class_weight={reprlib.repr(class_weight)}"
        )
    table = np.ones(n_classes, dtype=backend.floatx())
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    weights = table[labels]
    return weights if sample_weight is None else weights * sample_weight


def _output_units(model: Any) -> int | None:
    """The size of the model's first output's last axis, None when unknown."""
    shapes = model._output_shapes()
    return shapes[0][-1] if shapes and shapes[0][-1] is not None else None


# -- validation data --------------------------------------------------------------------------
def split_validation(
    x: Any, y: Any, sample_weight: Any, validation_split: float
) -> tuple[tuple[Any, Any, Any], tuple[Any, Any, Any]]:
    """``(x, y, sample_weight)`` for training (the first ``1 - validation_split`` of the
    samples) and for validation (the last part), each array cut unshuffled.

    This is Keras's rule: the validation data is the last samples of ``x`` and ``y``, taken
    before any shuffling, so class-sorted data must be shuffled by the user first. ``x`` and
    ``y`` keep their form: one array, or a list of them (a dict's values, in order).
    """
    if not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split must be in (0, 1). Received: validation_split={validation_split}"
        )
    xs, ys = to_list(x), to_list(y) or []
    arrays = [np.asarray(a) for a in (*xs, *ys)]
    n = len(arrays[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at in (0, n):
        raise ValueError(
            f"validation_split={validation_split} leaves no training or no validation sample "
            f"out of {n} samples."
        )
    sw = None if sample_weight is None else np.asarray(sample_weight)

    def part(cut: slice) -> tuple[Any, Any, Any]:
        px, py = [a[cut] for a in arrays[: len(xs)]], [a[cut] for a in arrays[len(xs) :]]
        return (
            px if len(px) > 1 else px[0],
            (py if len(py) > 1 else py[0]) if py else None,
            None if sw is None else sw[cut],
        )

    return part(slice(None, split_at)), part(slice(split_at, None))


def unpack_validation_data(data: Any) -> tuple[Any, Any, Any]:
    """``validation_data`` (checked by :mod:`.arguments`) as ``(x, y, sample_weight)``."""
    if is_generator_like(data):
        return data, None, None
    return data[0], data[1], data[2] if len(data) == 3 else None


# -- data adapters: one pass is one epoch of batches ------------------------------------------
class _Batches(abc.ABC):
    """What the data adapters share: a pass yields the batches of :meth:`_host_batches` on the
    active device. On a GPU, :mod:`.device_feed` copies each one while the step before it
    computes; on the CPU they are yielded as they are."""

    _feed: Any = None

    @abc.abstractmethod
    def _host_batches(self) -> Iterator[Batch]:
        """One epoch of batches of NumPy arrays."""

    def __iter__(self) -> Iterator[Batch]:
        if self._feed is None:
            # One feed per adapter: its device buffers serve every epoch of the fit.
            self._feed = device_feed.for_active_device()
        return self._feed(self._host_batches())


class ArrayBatches(_Batches):
    """Mini-batches of in-memory arrays, reshuffled every epoch when ``shuffle`` is true.

    Each pass is one epoch of ``steps`` batches (all of them unless ``steps`` caps it). In
    order, a batch is a view of the arrays; shuffled, it is taken into a buffer reused across
    steps, in the order of one ``permutation`` drawn from ``backend.rng()`` as the pass starts.
    """

    #: Arrays never run out: every epoch has all its steps.
    ran_dry = False
    #: Under data parallelism (see :meth:`distribute`): the ``DataParallel`` whose rank takes
    #: its share of each batch, and the shuffling stream that every rank shares.
    replicas: Any = None
    order_rng: np.random.Generator | None = None

    def __init__(
        self,
        xs: list[np.ndarray],
        ys: list[np.ndarray] | None,
        sample_weight: np.ndarray | None,
        batch_size: int,
        shuffle: bool = False,
        steps: float | None = None,
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

    def distribute(self, replicas: Any, seed: int) -> None:
        """Give each rank of ``replicas`` its share of every batch, the batches shuffled in
        one order on all ranks: that of a stream seeded with ``seed``, the same everywhere."""
        self.replicas, self.order_rng = replicas, np.random.default_rng(seed)

    def shard(self, replicas: Any) -> ArrayBatches:
        """Batches of this rank's contiguous share of the samples (of the first ``steps``
        batches' samples), for evaluate and predict under data parallelism."""
        first, last = replicas.share(0, min(self.num_samples, self.steps * self.batch_size))
        part = slice(first, last)
        return ArrayBatches(
            [x[part] for x in self.xs],
            None if self.ys is None else [y[part] for y in self.ys],
            None if self.sample_weight is None else self.sample_weight[part],
            self.batch_size,
        )

    def _host_batches(self) -> Iterator[Batch]:
        rng = self.order_rng if self.order_rng is not None else backend.rng()
        order = rng.permutation(self.num_samples) if self.shuffle else None
        for step in range(self.steps):
            start = step * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            if self.replicas is not None:
                start, stop = self.replicas.share(start, stop)
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


class GeneratorBatches(_Batches):
    """Batches from a generator, an iterator or a ``Sequence``-like object.

    Each item is ``x``, ``(x, y)`` or ``(x, y, sample_weight)``. A ``Sequence`` knows its length;
    an endless generator needs ``steps`` (``steps_per_epoch``). Without ``steps`` an epoch of a
    generator ends when it is exhausted.

    ``ran_dry`` becomes True when the source gives fewer batches than ``steps`` in a pass (a
    ``Sequence`` asked for more steps than its length, a generator that ends), or none at all
    (a generator exhausted by the previous epochs): it has nothing more to give.
    """

    def __init__(self, source: Any, steps: float | None = None, argument: str = "x"):
        self.source = source
        self.is_sequence = hasattr(source, "__len__") and hasattr(source, "__getitem__")
        if steps is None and self.is_sequence:
            steps = len(source)
        # Keras's examples pass len(x_train) / 32: a fractional step count means one more step.
        self.steps = None if steps is None else math.ceil(steps)
        self._iterator: Iterator | None = None
        self.argument = argument
        self.ran_dry = False

    def _host_batches(self) -> Iterator[Batch]:
        if self.is_sequence:
            count = min(self.steps, len(self.source))
            if hasattr(self.source, "on_epoch_begin"):
                self.source.on_epoch_begin()
            items: Iterator = _read_in_order(self.source, count)
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


def _read_in_order(source: Any, count: int) -> Iterator:
    """Items ``0 .. count-1`` of ``source``, in order. A ``PyDataset`` with ``workers > 1``
    is read by that many threads, up to ``max_queue_size`` items ahead of the training step
    (with ``use_multiprocessing`` too: threads serve where Keras would start processes), which
    pays when ``__getitem__`` waits on files or decodes images outside the GIL."""
    workers = int(getattr(source, "workers", 1) or 1)
    if workers <= 1:
        yield from (source[i] for i in range(count))
        return
    ahead = max(workers, int(getattr(source, "max_queue_size", 10) or 1))
    with concurrent.futures.ThreadPoolExecutor(workers, "numkeras-pydataset") as pool:
        pending: collections.deque = collections.deque()
        try:
            for index in range(count):
                pending.append(pool.submit(source.__getitem__, index))
                if len(pending) >= ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            # Training stopped early, or an item failed: the batches not yet read are dropped.
            for future in pending:
                future.cancel()


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
    xs = [as_model_input(a, argument) for a in to_list(x)]
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


DataAdapter = ArrayBatches | GeneratorBatches


# -- the entry points -------------------------------------------------------------------------
def prepare_arrays(
    model: Any,
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    class_weight: dict | None = None,
    check_finite: bool = True,
) -> tuple[list[np.ndarray], list[np.ndarray] | None, np.ndarray | None]:
    """``x``, ``y`` and the per-sample weights as checked floatx arrays: lists of arrays (one
    per model input, one per output; ``y`` may be None) and one weight array or None.

    ``class_weight`` is folded into the sample weights. ``check_finite=False`` (prediction)
    lets a NaN or inf in ``x`` through, as Keras does.
    """
    xs = [as_model_input(a, "x", check_finite) for a in to_list(x)]
    ys = None if y is None else [as_floatx(a, "y") for a in to_list(y)]
    sw = None if sample_weight is None else as_floatx(sample_weight, "sample_weight")
    check_sample_counts(xs, ys, sw)
    _check_input_shapes(model, xs)
    if ys is not None and getattr(model, "_losses", None):
        _check_target_shapes(model, ys)
    if class_weight is not None:
        if ys is None or len(ys) != 1:
            raise ValueError("class_weight needs exactly one target array y.")
        sw = class_weights_to_sample_weights(class_weight, ys[0], sw, _output_units(model))
    return xs, ys, sw


def get_data_adapter(
    model: Any,
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    batch_size: int | None = None,
    steps: float | None = None,
    shuffle: bool = False,
    class_weight: dict | None = None,
    argument: str = "x",
    check_finite: bool = True,
) -> DataAdapter:
    """The mini-batches of ``x`` (with ``y`` and the sample weights) for ``model``.

    Arrays give batches of ``batch_size`` samples (default 32; the last may be smaller), in a
    new order every epoch when ``shuffle``; a generator or ``Sequence`` gives its own batches,
    and then ``y``, ``sample_weight`` and ``class_weight`` must be None. ``steps`` caps the
    batches of an epoch (a fraction means one more); ``argument`` names the data in errors and
    warnings (``'x'`` or ``'validation_data'``).
    """
    if is_generator_like(x):
        given = {"y": y, "sample_weight": sample_weight, "class_weight": class_weight}
        for name, value in given.items():
            if value is not None:
                raise ValueError(
                    f"When {argument} is a generator or Sequence it yields the targets and "
                    f"sample weights too: {name} must be None. Received: {name} of type "
                    f"{type(value).__name__}"
                )
        return GeneratorBatches(x, steps, argument)
    xs, ys, sw = prepare_arrays(model, x, y, sample_weight, class_weight, check_finite)
    size = DEFAULT_BATCH_SIZE if batch_size is None else int(batch_size)
    return ArrayBatches(xs, ys, sw, size, shuffle, steps)


def get_fit_adapters(
    model: Any,
    x: Any,
    y: Any,
    sample_weight: Any,
    *,
    batch_size: int | None,
    shuffle: bool,
    class_weight: dict | None,
    steps_per_epoch: float | None,
    validation_split: float,
    validation_data: Any,
    validation_steps: float | None,
    validation_batch_size: int | None,
) -> tuple[DataAdapter, DataAdapter | None]:
    """``fit``'s training batches and its validation batches (None without validation).

    ``validation_data`` wins over ``validation_split``, which needs arrays: it keeps the last
    fraction of them aside before anything is shuffled. Validation batches are never shuffled
    and have ``validation_batch_size`` samples (default: ``batch_size``).
    """
    validation = None
    if validation_data is None and validation_split:
        if is_generator_like(x):
            raise ValueError(
                "validation_split needs arrays; with a generator, pass validation_data instead."
            )
        (x, y, sample_weight), validation = split_validation(x, y, sample_weight, validation_split)
    elif validation_data is not None:
        validation = unpack_validation_data(validation_data)
    train = get_data_adapter(
        model,
        x,
        y,
        sample_weight,
        batch_size=batch_size,
        shuffle=shuffle,
        steps=steps_per_epoch,
        class_weight=class_weight,
    )
    if validation is None:
        return train, None
    return train, get_data_adapter(
        model,
        *validation,
        batch_size=validation_batch_size or batch_size,
        steps=validation_steps,
        argument="validation_data",
    )
