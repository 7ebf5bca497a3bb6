"""A model of some layers built in real Keras 3 and in numkeras on the same weights: their
forward passes, and the weights after one SGD step on the same batch, must agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import numkeras

#: Keras's variables warn, under NumPy 2, when ``np.array`` copies them: their issue, not ours.
KERAS_NUMPY2_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword"


def assert_twins_agree(
    keras: Any, make: Callable[[Any], list], x: np.ndarray, atol: float = 1e-5
) -> None:
    """``make(lib)`` returns the layers of a Sequential model, from ``lib`` (``keras`` or
    ``numkeras``). Both models start from Keras's initial weights; the outputs, and the weights
    after one ``train_on_batch`` with ``SGD(0.1)`` on the mean squared error, must agree."""
    theirs = keras.Sequential([keras.Input(x.shape[1:]), *make(keras)])
    ours = numkeras.Sequential([numkeras.Input(x.shape[1:]), *make(numkeras)])
    ours.set_weights(theirs.get_weights())
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=atol, rtol=1e-5)
    y = np.random.default_rng(1).standard_normal(expected.shape).astype(np.float32)
    for model, lib in ((theirs, keras), (ours, numkeras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        model.train_on_batch(x, y)
    for got, want in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=atol, rtol=1e-5)
