"""keras.io "Customizing what happens in fit()": a model's own ``train_step`` (with its own loss
and trackers, or with ``compute_loss`` and the compiled metrics), its own ``test_step``, and an
overridden ``compute_loss``.

Keras 3's JAX steps are stateless functions of the variables, so a step written with a tape
runs in numkeras only: each is compared with the Keras ``fit`` or ``evaluate`` that computes the
same thing with the default steps. An overridden ``compute_loss`` runs in both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import numkeras

from .twins import (
    BATCH,
    FEATURES,
    FIVE_STEPS,
    KERAS_NUMPY2_WARNING,
    assert_logs_close,
    assert_weights_close,
)

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)


def regression_data(samples: int = 5 * BATCH) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(samples, FEATURES)).astype("float32")
    y = (x @ rng.normal(size=(FEATURES, 1)) + 0.1).astype("float32")
    return x, y


def functional_regressor(lib: Any, model_class: Any) -> Any:
    """The guide's model: ``model_class`` (a Model subclass) called with inputs and outputs."""
    inputs = lib.Input(shape=(FEATURES,))
    hidden = lib.layers.Dense(8, activation="tanh")(inputs)
    return model_class(inputs, lib.layers.Dense(1)(hidden))


class OwnLossAndTrackers(numkeras.Model):
    """The guide's first ``train_step``: its own loss function, a ``Mean`` that tracks the loss
    and an MAE metric, listed by ``metrics`` so that each epoch resets them."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.loss_tracker = numkeras.metrics.Mean(name="loss")
        self.mae_metric = numkeras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = numkeras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with numkeras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


class CompiledLossAndMetrics(numkeras.Model):
    """The guide's lower-level ``train_step`` and ``test_step``: the compiled loss through
    ``compute_loss``, and every metric of ``metrics`` updated by hand (Keras 3 lists the
    compiled metrics there from ``compile`` on)."""

    def train_step(self, data):
        x, y = data
        with numkeras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return self._update_metrics(loss, y, y_pred)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        return self._update_metrics(self.compute_loss(y=y, y_pred=y_pred), y, y_pred)

    def _update_metrics(self, loss, y, y_pred):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def twins(keras: Any, ours_class: Any, **compiled: Any) -> tuple[Any, Any]:
    """Keras's plain functional model and numkeras's ``ours_class`` from the same weights, both
    compiled with SGD and ``compiled``."""
    reference = functional_regressor(keras, keras.Model)
    ours = functional_regressor(numkeras, ours_class)
    ours.set_weights(reference.get_weights())
    reference.compile(optimizer=keras.optimizers.SGD(0.05), run_eagerly=True, **compiled)
    ours.compile(optimizer=numkeras.optimizers.SGD(0.05), **compiled)
    return reference, ours


def test_own_loss_and_trackers_train_as_keras_fit_with_mse_and_mae(keras):
    x, y = regression_data()
    reference, ours = twins(keras, OwnLossAndTrackers, loss="mse", metrics=["mae"])
    expected = reference.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    got = ours.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert_logs_close(got.history, expected.history, FIVE_STEPS)
    assert_weights_close(reference, ours, FIVE_STEPS)


def test_compute_loss_and_metrics_by_hand_train_as_keras_fit(keras):
    x, y = regression_data()
    reference, ours = twins(keras, CompiledLossAndMetrics, loss="mse", metrics=["mae"])
    expected = reference.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    got = ours.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert_logs_close(got.history, expected.history, FIVE_STEPS)
    assert_weights_close(reference, ours, FIVE_STEPS)


def test_own_test_step_evaluates_as_keras(keras):
    x, y = regression_data()
    reference, ours = twins(keras, CompiledLossAndMetrics, loss="mse", metrics=["mae"])
    expected = reference.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    assert_logs_close(got, expected, FIVE_STEPS)


def with_output_penalty(lib: Any) -> Any:
    """A Model subclass whose ``compute_loss`` adds a penalty on the outputs to the compiled
    loss: the same code for both libraries."""

    class OutputPenalty(lib.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training=training)
            return loss + 0.1 * lib.ops.mean(lib.ops.abs(y_pred))

    return OutputPenalty


def test_overridden_compute_loss_trains_as_keras(keras):
    x, y = regression_data()
    reference = functional_regressor(keras, with_output_penalty(keras))
    ours = functional_regressor(numkeras, with_output_penalty(numkeras))
    ours.set_weights(reference.get_weights())
    for lib, model in ((keras, reference), (numkeras, ours)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", run_eagerly=True)
    expected = reference.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    got = ours.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    assert_logs_close(got.history, expected.history, FIVE_STEPS)
    assert_weights_close(reference, ours, FIVE_STEPS)
    y_pred = ours.predict(x, verbose=0)
    # evaluate's step uses the override too.
    expected_loss = np.mean((y_pred - y) ** 2) + 0.1 * np.mean(np.abs(y_pred))
    np.testing.assert_allclose(
        ours.evaluate(x, y, batch_size=len(x), verbose=0), expected_loss, rtol=1e-5
    )


def test_variables_have_keras_3_names():
    model = functional_regressor(numkeras, numkeras.Model)
    model.layers[1].trainable = False
    assert model.trainable_variables == model.trainable_weights
    assert model.non_trainable_variables == model.non_trainable_weights
