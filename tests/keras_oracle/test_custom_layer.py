"""keras.io "Making new layers and models via subclassing": layers that make their weights with
``add_weight`` in ``build`` (one with a weight regularizer, one non-trainable and updated in
``call``) and a layer that adds an activity penalty with ``add_loss``, in a subclassed model.
numkeras against Keras 3 from the same weights: the penalties, and the default training and
evaluation steps, whose loss includes them (also with no compiled loss at all)."""

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


def model_with_custom_layers(lib: Any) -> Any:
    """The guide's ``Linear``, ``ActivityRegularizationLayer`` and ``ComputeSum`` layers in a
    subclassed model, written once for either library."""
    ops = lib.ops

    class Linear(lib.layers.Layer):
        def __init__(self, units: int, l2: float = 0.0):
            super().__init__()
            self.units, self.l2 = units, l2

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                regularizer=lib.regularizers.L2(self.l2) if self.l2 else None,
                trainable=True,
            )
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class ActivityRegularization(lib.layers.Layer):
        def __init__(self, rate: float):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(ops.square(inputs)))
            return inputs

    class ComputeSum(lib.layers.Layer):
        """Counts what passes through it in a non-trainable weight; the identity otherwise."""

        def build(self, input_shape):
            self.total = self.add_weight(
                shape=(input_shape[-1],), initializer="zeros", trainable=False
            )

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return inputs

    class Classifier(lib.Model):
        def __init__(self):
            super().__init__()
            self.seen = ComputeSum()
            self.hidden = Linear(16, l2=1e-2)
            self.penalty = ActivityRegularization(0.1)
            self.out = Linear(CLASSES)

        def call(self, inputs):
            hidden = self.penalty(ops.relu(self.hidden(self.seen(inputs))))
            return ops.softmax(self.out(hidden))

    return Classifier()


def twins(keras: Any, x: np.ndarray, loss: str | None, name: str = "sgd") -> tuple[Any, Any]:
    """The model in Keras and in numkeras from the same weights, compiled with ``loss`` (None:
    the penalties alone) and the optimizer ``name``."""
    pair = model_with_custom_layers(keras), model_with_custom_layers(numkeras)
    same_start(*pair, x)
    for lib, model in zip((keras, numkeras), pair):
        # Keras eagerly: the same numerics as its compiled step, without an XLA compile per test.
        model.compile(optimizer=optimizer(lib, name), loss=loss, run_eagerly=True)
    return pair


def test_penalties_of_a_call_are_keras_s(keras):
    x, _ = classification_data()
    reference, ours = twins(keras, x, "categorical_crossentropy")
    reference(x)
    ours(x)
    assert len(ours.losses) == len(reference.losses) == 2
    np.testing.assert_allclose(
        sorted(float(np.asarray(loss)) for loss in ours.losses),
        sorted(float(np.asarray(loss)) for loss in reference.losses),
        rtol=ONE_STEP,
    )


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_default_step_adds_the_penalties_as_keras_does(keras, name):
    x, y = classification_data()
    reference, ours = twins(keras, x, "categorical_crossentropy", name)
    for step, (xb, yb) in enumerate(batches(x, y)):
        expected = reference.train_on_batch(xb, yb, return_dict=True)
        got = ours.train_on_batch(xb, yb, return_dict=True)
        tolerance = ONE_STEP if step == 0 else FIVE_STEPS
        assert_logs_close(got, expected, tolerance)
        assert_weights_close(reference, ours, tolerance)


def test_the_non_trainable_weight_counts_every_training_batch(keras):
    x, y = classification_data()
    reference, ours = twins(keras, x, "categorical_crossentropy")
    for model in (reference, ours):
        model.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    np.testing.assert_allclose(
        ours.seen.get_weights()[0], reference.seen.get_weights()[0], rtol=ONE_STEP, atol=ONE_STEP
    )
    assert_weights_close(reference, ours, FIVE_STEPS)


def test_evaluate_includes_the_penalties_as_keras_does(keras):
    x, y = classification_data()
    reference, ours = twins(keras, x, "categorical_crossentropy")
    expected = reference.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    assert_logs_close(got, expected, ONE_STEP)


def test_the_penalties_alone_train_a_model_compiled_without_a_loss(keras):
    x, _ = classification_data()
    reference, ours = twins(keras, x, None)
    expected = reference.fit(x, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    got = ours.fit(x, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert_logs_close(got.history, expected.history, FIVE_STEPS)
    assert got.history["loss"][1] < got.history["loss"][0]
    assert_weights_close(reference, ours, FIVE_STEPS)
