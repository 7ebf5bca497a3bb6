"""``numkeras.preprocessing.sequence``: ``pad_sequences`` and Keras 2's ``TimeseriesGenerator``."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from numkeras import backend
from numkeras.layers import Dense, Flatten
from numkeras.models import Sequential
from numkeras.preprocessing.sequence import TimeseriesGenerator, pad_sequences
from numkeras.utils import pad_sequences as utils_pad_sequences

DATA = np.arange(50.0).reshape(25, 2)
TARGETS = np.arange(25.0)


def test_pad_sequences_is_the_one_in_utils():
    assert pad_sequences is utils_pad_sequences


def test_windows_end_before_their_target():
    generator = TimeseriesGenerator(DATA, TARGETS, length=3, batch_size=4)
    assert len(generator) == 6  # targets 3..24: 22 windows
    windows, targets = generator[0]
    assert windows.shape == (4, 3, 2)
    np.testing.assert_array_equal(targets, [3, 4, 5, 6])
    np.testing.assert_array_equal(windows[0], DATA[0:3])
    np.testing.assert_array_equal(generator[5][1], [23, 24])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"length": 5},
        {"length": 6, "sampling_rate": 2, "stride": 3, "batch_size": 4},
        {"length": 3, "start_index": 2, "end_index": 20, "reverse": True, "batch_size": 5},
    ],
    ids=repr,
)
def test_batches_match_keras(kwargs, keras):
    # Keras 3 keeps Keras 2's TimeseriesGenerator among its legacy sources.
    legacy = importlib.import_module("keras.src.legacy.preprocessing.sequence")
    ours = TimeseriesGenerator(DATA, TARGETS, **kwargs)
    theirs = legacy.TimeseriesGenerator(DATA, TARGETS, **kwargs)
    assert len(ours) == len(theirs)
    for i in range(len(ours)):
        for mine, keras_part in zip(ours[i], theirs[i], strict=True):
            np.testing.assert_array_equal(mine, keras_part)


def test_shuffled_batches_come_from_numkeras_random_stream():
    def batch():
        backend.set_random_seed(5)
        return TimeseriesGenerator(DATA, TARGETS, length=4, shuffle=True, batch_size=6)[0]

    (windows, targets), (again, _) = batch(), batch()
    np.testing.assert_array_equal(windows, again)
    assert set(targets.tolist()) <= set(range(4, 25))
    for window, target in zip(windows, targets.astype(int), strict=True):
        np.testing.assert_array_equal(window, DATA[target - 4 : target])


def test_fit_trains_on_it():
    series = np.sin(np.linspace(0, 20, 200)).astype(np.float32)[:, None]
    generator = TimeseriesGenerator(series, series[:, 0], length=8, batch_size=32)
    model = Sequential([Flatten(input_shape=(8, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(generator, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"targets": TARGETS[:-1]}, "len\\(data\\)=25, len\\(targets\\)=24"),
        ({"length": 0}, "length must be a positive integer. Received: length=0"),
        ({"batch_size": 2.0}, "batch_size=2.0"),
        ({"length": 30}, "start_index \\+ length=30, end_index=24"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    arguments = {"data": DATA, "targets": TARGETS, "length": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        TimeseriesGenerator(**arguments)
