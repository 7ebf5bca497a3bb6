"""Keras 3 code from the keras.io guides that numkeras does not run yet.

Each case is a few lines that the programs of this folder would have written, taken out so that
the programs run. It runs on real Keras 3 (JAX), which shows that the code is right, and on
numkeras as a strict xfail whose reason is numkeras's error: once numkeras runs it, the xfail
fails, and the case moves to ``CLOSED``, where it runs on both as a regression test.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

import numpy as np
import pytest

import numkeras


def functional_merge_layer(keras) -> None:
    """The guide "The Functional API" joins branches with ``layers.concatenate``."""
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(2,))
    joined = keras.layers.concatenate([keras.layers.Dense(4)(a), b])
    model = keras.Model([a, b], keras.layers.Dense(1)(joined))
    assert tuple(model.output.shape) == (None, 1)


def nested_layer_config_serializes_the_sublayer(keras) -> None:
    """From "Making new layers and models via subclassing": a layer holding a layer serializes it
    with ``keras.saving.serialize_keras_object`` and rebuilds it with its deserialize twin."""
    dense = keras.layers.Dense(3, activation="relu")
    config = keras.saving.serialize_keras_object(dense)
    rebuilt = keras.saving.deserialize_keras_object(config)
    assert type(rebuilt).__name__ == "Dense" and rebuilt.units == 3


def custom_steps_unpack_data_with_utils(keras) -> None:
    """Custom steps unpack their batch with ``keras.utils.unpack_x_y_sample_weight``."""
    x, y = np.zeros((2, 3)), np.ones((2, 1))
    assert keras.utils.unpack_x_y_sample_weight((x, y)) == (x, y, None)


def fit_takes_a_py_dataset(keras) -> None:
    """From "Training & evaluation with the built-in methods": batches from a ``PyDataset``
    subclass (Keras 2's ``Sequence``)."""

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            rng = np.random.default_rng(index)
            x = rng.normal(size=(16, 3)).astype("float32")
            return x, x.sum(axis=1, keepdims=True)

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(Batches(), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def weights_file_with_keras_suffix(keras) -> None:
    """Keras 3 requires ``save_weights`` paths ending in ``.weights.h5``."""
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    copy = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.weights.h5")
        model.save_weights(path)
        copy.load_weights(path)
    for a, b in zip(model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(a, b)


#: Each case, the error numkeras raises on it, and what that error says.
GAPS: dict[Callable, tuple[type[Exception], str]] = {}


#: Cases numkeras runs now.
CLOSED: list[Callable] = [
    weights_file_with_keras_suffix,
    functional_merge_layer,
    nested_layer_config_serializes_the_sublayer,
    custom_steps_unpack_data_with_utils,
    fit_takes_a_py_dataset,
]


@pytest.mark.parametrize("case", [*GAPS, *CLOSED], ids=lambda case: case.__name__)
def test_the_case_is_keras_code(case, keras):
    case(keras)


@pytest.mark.parametrize("case", CLOSED, ids=lambda case: case.__name__)
def test_numkeras_runs_the_closed_case(case):
    case(numkeras)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.xfail(strict=True, raises=error, reason=reason))
        for case, (error, reason) in GAPS.items()
    ],
    ids=lambda case: case.__name__,
)
def test_numkeras_runs_the_case(case):
    case(numkeras)
