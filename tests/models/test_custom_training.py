"""Custom training: overridden train_step, test_step, predict_step and compute_loss, compile
without a loss, the metrics property, and loops written from scratch with a GradientTape."""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops

RNG = np.random.default_rng(1)
X = RNG.standard_normal((96, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")).astype("float32")


def regressor() -> numkeras.Model:
    return numkeras.Sequential([layers.Input((4,)), layers.Dense(8), layers.Dense(1)])


class TapeStep(numkeras.Model):
    """keras.io "Customizing what happens in fit()": a step of its own with trackers."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.loss_tracker = numkeras.metrics.Mean(name="loss")
        self.mae = numkeras.metrics.MeanAbsoluteError(name="mae")

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        x, y = data
        with numkeras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = ops.mean(ops.square(y_pred - y))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.mae.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(ops.mean(ops.square(y_pred - y)))
        self.mae.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae]


def test_fit_calls_an_overridden_train_step_and_resets_its_metrics_each_epoch():
    model = TapeStep()
    model.compile(optimizer=numkeras.optimizers.SGD(0.05))
    history = model.fit(X, Y, epochs=4, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] / 2 and set(history.history) == {"loss", "mae"}
    # Reset per epoch: the last epoch's figure is its own mean, not the run's.
    y_pred = model.predict(X, verbose=0)
    assert model.evaluate(X, Y, verbose=0, return_dict=True)["mae"] == pytest.approx(
        float(np.mean(np.abs(y_pred - Y))), rel=1e-5
    )
    assert model.metrics_names == ["loss", "mae"]


def test_overriding_compute_loss_changes_the_default_step():
    class Halved(numkeras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return 0.5 * super().compute_loss(x, y, y_pred, sample_weight, training)

    model = Halved()
    model.compile(optimizer="sgd", loss="mse")
    model.build((None, 4))
    expected = 0.5 * float(np.mean(np.square(model.predict(X, verbose=0) - Y)))
    assert model.evaluate(X, Y, batch_size=96, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_compile_without_a_loss_trains_on_added_losses_alone():
    class Pull(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            self.add_loss(ops.sum(ops.square(self.w - 3.0)))
            return inputs * self.w

    model = numkeras.Sequential([layers.Input((4,)), Pull()])
    model.compile(optimizer=numkeras.optimizers.SGD(0.1))
    model.fit(X, epochs=8, verbose=0)  # 24 steps, each taking 20% off the distance to 3
    assert np.allclose(model.layers[0].w.numpy(), 3.0, atol=0.02)


def test_compile_without_any_loss_says_so_at_fit():
    model = regressor()
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(X, Y, epochs=1, verbose=0)


def test_a_step_that_returns_no_dict_is_named():
    class Bad(TapeStep):
        def train_step(self, data):
            return 1.0

    model = Bad()
    model.compile(optimizer="sgd")
    with pytest.raises(TypeError, match="dict of logs"):
        model.fit(X, Y, epochs=1, verbose=0)


def test_an_overridden_predict_step_serves_predict():
    class Doubled(numkeras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def predict_step(self, data):
            return 2 * self(data[0] if isinstance(data, tuple) else data)

    model = Doubled()
    model.build((None, 4))
    assert np.allclose(model.predict(X, verbose=0), 2 * np.asarray(model(X)), atol=1e-6)


def test_a_loop_from_scratch_trains_and_leaves_grads_alone():
    """keras.io "Writing a training loop from scratch", written with numkeras's tape."""
    model = regressor()
    optimizer = numkeras.optimizers.Adam(0.01)
    loss_fn = numkeras.losses.MeanSquaredError()
    metric = numkeras.metrics.MeanAbsoluteError()
    epoch_mae = []
    for _ in range(5):
        for start in range(0, len(X), 32):
            x, y = X[start : start + 32], Y[start : start + 32]
            with numkeras.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            metric.update_state(y, model(x))
        epoch_mae.append(float(metric.result()))
        metric.reset_state()
    assert epoch_mae[-1] < epoch_mae[0]
    assert all(w.grad is None for w in model.trainable_weights)


def test_a_gan_style_step_with_two_optimizers_updates_each_side_only():
    generator = numkeras.Sequential([layers.Input((2,)), layers.Dense(2)])
    discriminator = numkeras.Sequential([layers.Input((2,)), layers.Dense(1)])
    g_opt, d_opt = numkeras.optimizers.Adam(0.01), numkeras.optimizers.Adam(0.01)
    bce = numkeras.losses.BinaryCrossentropy(from_logits=True)
    real = RNG.standard_normal((32, 2)).astype("float32") + 3.0
    g_before = generator.get_weights()
    with numkeras.GradientTape() as tape:
        fake = generator(RNG.standard_normal((32, 2)).astype("float32"))
        scores = discriminator(ops.concatenate([fake, real], axis=0))
        labels = np.concatenate([np.zeros((32, 1)), np.ones((32, 1))]).astype("float32")
        d_loss = bce(labels, scores)
    d_opt.apply(tape.gradient(d_loss, discriminator.trainable_weights), discriminator.weights)
    assert all(np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))
    d_after = discriminator.get_weights()
    with numkeras.GradientTape() as tape:
        fake = generator(RNG.standard_normal((32, 2)).astype("float32"))
        g_loss = bce(np.ones((32, 1), "float32"), discriminator(fake))
    g_opt.apply(tape.gradient(g_loss, generator.trainable_weights), generator.trainable_weights)
    assert all(np.array_equal(a, b) for a, b in zip(d_after, discriminator.get_weights()))
    assert not np.array_equal(g_before[0], generator.get_weights()[0])
