"""Follows keras.io's "Customizing what happens in fit()" guide, its section "Providing your own
evaluation step": a model overrides ``test_step``, which ``evaluate`` (and fit's validation)
calls on each batch. The step computes the compiled loss with ``self.compute_loss``, updates
every metric in ``self.metrics`` (the loss tracker with the loss, the compiled metrics with the
targets and predictions) and returns their results.

Real Keras 3 on JAX writes a custom step statelessly (``test_step(self, state, data)``), so this
program runs on numkeras only.

A 3-class classifier of 320 synthetic points in 2-D: three Gaussian blobs.
"""

import numpy as np

import numkeras as keras
from numkeras import layers


class Classifier(keras.Model):
    """A two-layer classifier whose evaluation step is written out."""

    def __init__(self, num_classes: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(16, activation="relu")
        self.out = layers.Dense(num_classes, activation="softmax")
        self.test_batches = 0

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        self.test_batches += 1
        return {m.name: m.result() for m in self.metrics}


def make_blobs(n: int = 320, seed: int = 14) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centers = np.array([[0.0, 1.5], [1.5, -1.0], [-1.5, -1.0]])
    x = centers[labels] + rng.normal(size=(n, 2))
    return x.astype("float32"), labels.astype("int64")


def main() -> dict:
    keras.utils.set_random_seed(15)
    x, y = make_blobs()
    x_train, y_train, x_val, y_val = x[:256], y[:256], x[256:], y[256:]
    model = Classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.02),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    before = model.evaluate(x_val, y_val, batch_size=32, verbose=0, return_dict=True)
    history = model.fit(
        x_train, y_train, batch_size=32, epochs=3, validation_data=(x_val, y_val), verbose=0
    )
    after = model.evaluate(x_val, y_val, batch_size=32, verbose=0, return_dict=True)
    return {
        "loss_before": before["loss"],
        "loss_after": after["loss"],
        "accuracy_before": before["accuracy"],
        "accuracy": after["accuracy"],
        "val_accuracy": history.history["val_accuracy"],
        "test_batches": model.test_batches,
    }
