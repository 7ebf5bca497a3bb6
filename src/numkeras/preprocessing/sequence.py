"""Sequence data, as ``keras.preprocessing.sequence``: ``pad_sequences`` and Keras 2's
``TimeseriesGenerator`` (windows over a time series, in batches that ``fit`` reads)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..utils.sequence_utils import pad_sequences


def _positive_int(argument: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{argument} must be a positive integer. Received: {argument}={value!r}")
    return int(value)


class TimeseriesGenerator:
    """Batches of fixed-length windows over a time series and the target at each window's end.

    Sample ``i`` of the series gives the window ``data[i - length : i : sampling_rate]`` and the
    target ``targets[i]``, for ``i`` from ``start_index + length`` to ``end_index``, every
    ``stride`` steps. ``len(generator)`` is its number of batches and ``generator[k]`` the
    ``k``-th batch ``(windows, targets)``, so ``fit``, ``evaluate`` and ``predict`` take it as
    they take any ``Sequence``.

    Args:
        data: the series, time along axis 0.
        targets: one target per time step, as long as ``data``.
        length: the number of time steps a window spans.
        sampling_rate: the step between the time steps kept in a window. Defaults to ``1``.
        stride: the step between the ends of consecutive windows. Defaults to ``1``.
        start_index: steps before it are never used. Defaults to ``0``.
        end_index: steps after it are never used. Defaults to ``None``: the last step.
        shuffle: draw each batch's windows at random (from numkeras's random stream, so
            ``set_random_seed`` repeats them) instead of in order. Defaults to ``False``.
        reverse: give each window's steps in reverse time order. Defaults to ``False``.
        batch_size: windows per batch (the last batch may hold fewer). Defaults to ``128``.
    """

    def __init__(
        self,
        data: Any,
        targets: Any,
        length: int,
        sampling_rate: int = 1,
        stride: int = 1,
        start_index: int = 0,
        end_index: int | None = None,
        shuffle: bool = False,
        reverse: bool = False,
        batch_size: int = 128,
    ):
        self.data = np.asarray(data)
        self.targets = np.asarray(targets)
        if len(self.data) != len(self.targets):
            raise ValueError(
                f"data and targets must be equally long. Received: len(data)={len(self.data)}, "
                f"len(targets)={len(self.targets)}"
            )
        self.length = _positive_int("length", length)
        self.sampling_rate = _positive_int("sampling_rate", sampling_rate)
        self.stride = _positive_int("stride", stride)
        self.batch_size = _positive_int("batch_size", batch_size)
        self.start_index = start_index + self.length
        self.end_index = len(self.data) - 1 if end_index is None else end_index
        if self.start_index > self.end_index:
            raise ValueError(
                f"start_index + length must not pass end_index: no window would fit. Received: "
                f"start_index + length={self.start_index}, end_index={self.end_index}"
            )
        self.shuffle = shuffle
        self.reverse = reverse

    def __len__(self) -> int:
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self.shuffle:
            ends = backend.rng().integers(
                self.start_index, self.end_index + 1, size=self.batch_size
            )
        else:
            first = self.start_index + self.batch_size * self.stride * index
            last = min(first + self.batch_size * self.stride, self.end_index + 1)
            ends = np.arange(first, last, self.stride)
        steps = np.arange(-self.length, 0, self.sampling_rate)
        windows = self.data[ends[:, None] + steps]
        return (windows[:, ::-1] if self.reverse else windows), self.targets[ends]


__all__ = ["TimeseriesGenerator", "pad_sequences"]
