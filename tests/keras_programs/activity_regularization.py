"""Follows keras.io's "Making new layers and models via subclassing" guide, its ``add_loss``
section: a layer that adds an activity penalty (a rate times the mean squared activation) to the
training loss from inside ``call``. The model's ``losses`` hold the last call's penalty, and
``fit`` adds it to the compiled loss.

A small classifier on 256 synthetic points in 6-D, two classes split by a plane.
"""

import numpy as np

import numkeras as keras
from numkeras import layers, ops


class ActivityRegularization(layers.Layer):
    """The identity, adding ``rate * mean(inputs ** 2)`` to the loss."""

    def __init__(self, rate: float = 1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


def make_data(n: int = 256, seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x @ rng.normal(size=(6,)) > 0).astype("float32")[:, None]
    return x, y


def main() -> dict:
    keras.utils.set_random_seed(8)
    x, y = make_data()
    inputs = keras.Input(shape=(6,))
    hidden = layers.Dense(32, activation="relu")(inputs)
    hidden = ActivityRegularization(rate=0.05)(hidden)
    outputs = layers.Dense(1, activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs)

    model(x[:64])
    num_losses = len(model.losses)
    penalty_after_call = float(np.asarray(ops.sum(model.losses)))
    penalty_expected = 0.05 * float(np.mean(np.square(np.asarray(model.layers[1](x[:64])))))

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    loss_before, _ = model.evaluate(x, y, batch_size=64, verbose=0)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    loss_after, accuracy = model.evaluate(x, y, batch_size=64, verbose=0)
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "accuracy": float(accuracy),
        "num_losses": num_losses,
        "penalty": penalty_after_call,
        "penalty_expected": penalty_expected,
    }
