"""Follows keras.io's "Customizing what happens in fit()" guide (its TensorFlow version, whose
``tf.GradientTape`` is ``keras.GradientTape`` here): a model overrides ``train_step``, takes the
gradients of ``self.compute_loss`` with a tape, applies them with ``self.optimizer.apply``, and
keeps its own ``loss_tracker`` (a ``metrics.Mean``) and MAE metric, listed by the ``metrics``
property so that fit resets them at each epoch's start.

Real Keras 3 on JAX writes a custom step statelessly (``jax.value_and_grad``) and has no
``GradientTape``, so this program runs on numkeras only.

The data is synthetic: 256 points of a noisy linear function in 4-D.
"""

import numpy as np

import numkeras as keras
from numkeras import layers


class CustomModel(keras.Model):
    """A functional model with a training step of its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


class TrackerProbe(keras.callbacks.Callback):
    """Records the model's loss tracker as each epoch starts (after fit resets it)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(float(self.model.loss_tracker.result()))


def make_data(n: int = 256, seed: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = x @ np.array([[1.5], [-2.0], [0.5], [1.0]]) + 0.1 * rng.normal(size=(n, 1))
    return x, y.astype("float32")


def main() -> dict:
    keras.utils.set_random_seed(13)
    x, y = make_data()
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1)(hidden)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    loss_before = float(np.mean(np.square(model.predict(x, verbose=0) - y)))
    probe = TrackerProbe()
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=[probe])
    return {
        "loss_before": loss_before,
        "loss_after": history.history["loss"][-1],
        "epoch_losses": history.history["loss"],
        "mae_after": history.history["mae"][-1],
        "metric_names": [m.name for m in model.metrics],
        "optimizer_steps": int(np.asarray(model.optimizer.iterations)),
        "tracker_at_epoch_start": probe.seen,
    }
