"""Follows keras.io's "Save, serialize, and export models" guide, its weights-only part: a
subclassed model (which need not be serializable) saves its weights with ``save_weights`` to a
``.weights.h5`` file, and a fresh instance, built by a first call, reads them back with
``load_weights``; weights also move between two instances in memory with ``get_weights`` and
``set_weights``.

Regression on 256 synthetic points in 5-D; the file goes to a temporary folder.
"""

import os
import tempfile

import numpy as np

import numkeras as keras
from numkeras import layers


class TwoTower(keras.Model):
    """Two Dense towers over the same input, their outputs summed."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.left = layers.Dense(8, activation="relu")
        self.right = layers.Dense(8, activation="tanh")
        self.head = layers.Dense(1)

    def call(self, inputs):
        return self.head(self.left(inputs) + self.right(inputs))


def make_data(n: int = 256, seed: int = 37) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    return x, (np.sin(x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype("float32")


def main() -> dict:
    keras.utils.set_random_seed(38)
    x, y = make_data()
    model = TwoTower()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    loss_before = model.evaluate(x, y, batch_size=64, verbose=0)
    model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    loss_after = model.evaluate(x, y, batch_size=64, verbose=0)
    expected = model.predict(x, batch_size=64, verbose=0)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "two_tower.weights.h5")
        model.save_weights(path)
        from_file = TwoTower()
        from_file(x[:1])
        from_file.load_weights(path)

    in_memory = TwoTower()
    in_memory(x[:1])
    in_memory.set_weights(model.get_weights())
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "file_restores_predictions": bool(
            np.allclose(from_file.predict(x, batch_size=64, verbose=0), expected, atol=1e-6)
        ),
        "memory_restores_predictions": bool(
            np.allclose(in_memory.predict(x, batch_size=64, verbose=0), expected, atol=1e-6)
        ),
        "num_weight_arrays": len(model.get_weights()),
    }
