"""keras.io "Making new layers and models via subclassing" and "The Functional API"'s subclassed
form: a Model subclass whose layers are made in ``__init__`` (one in a nested block, held in a
list) and whose ``call`` passes ``training`` on, trained by ``train_on_batch`` and by ``fit``
with SGD and Adam, numkeras against Keras 3 step by step from the same weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import numkeras

from .twins import (
    BATCH,
    CLASSES,
    FIVE_STEPS,
    KERAS_NUMPY2_WARNING,
    ONE_STEP,
    assert_logs_close,
    assert_weights_close,
    batches,
    classification_data,
    optimizer,
    same_start,
)

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)


def subclassed_mlp(lib: Any) -> Any:
    """The guide's model, written once for either library."""

    class Block(lib.layers.Layer):
        def __init__(self, units: int):
            super().__init__()
            self.stack = [lib.layers.Dense(units, activation="relu"), lib.layers.Dense(units)]

        def call(self, inputs):
            for layer in self.stack:
                inputs = layer(inputs)
            return inputs

    class MLP(lib.Model):
        def __init__(self):
            super().__init__()
            self.block = Block(16)
            self.activation = lib.layers.Activation("tanh")
            # Rate 0, so that both libraries compute the same thing in training mode.
            self.dropout = lib.layers.Dropout(0.0)
            self.classifier = lib.layers.Dense(CLASSES, activation="softmax")

        def call(self, inputs, training=None):
            hidden = self.dropout(self.activation(self.block(inputs)), training=training)
            return self.classifier(hidden)

    return MLP()


def twins(keras: Any, name: str, x: np.ndarray) -> tuple[Any, Any]:
    """The same compiled subclassed model in Keras and in numkeras, from the same weights."""
    pair = subclassed_mlp(keras), subclassed_mlp(numkeras)
    same_start(*pair, x)
    for lib, model in zip((keras, numkeras), pair):
        # Keras eagerly: the same numerics as its compiled step, without an XLA compile per test.
        model.compile(
            optimizer=optimizer(lib, name),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
            run_eagerly=True,
        )
    return pair


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_train_on_batch_follows_keras_step_by_step(keras, name):
    x, y = classification_data()
    reference, ours = twins(keras, name, x)
    for step, (xb, yb) in enumerate(batches(x, y)):
        expected = reference.train_on_batch(xb, yb, return_dict=True)
        got = ours.train_on_batch(xb, yb, return_dict=True)
        tolerance = ONE_STEP if step == 0 else FIVE_STEPS
        assert_logs_close(got, expected, tolerance)
        assert_weights_close(reference, ours, tolerance)


@pytest.mark.parametrize("name", ["sgd", "adam"])
@pytest.mark.parametrize("samples", [BATCH, 5 * BATCH], ids=["one-step", "five-steps"])
def test_fit_follows_keras(keras, name, samples):
    x, y = classification_data(samples)
    reference, ours = twins(keras, name, x)
    expected = reference.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    got = ours.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    tolerance = ONE_STEP if samples == BATCH else FIVE_STEPS
    assert_logs_close(got.history, expected.history, tolerance)
    assert_weights_close(reference, ours, tolerance)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), reference.predict(x, verbose=0), atol=tolerance
    )
