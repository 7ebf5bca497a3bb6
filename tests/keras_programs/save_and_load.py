"""Follows keras.io's "Save, serialize, and export models" guide: ``model.save`` to a ``.keras``
file and ``keras.models.load_model`` back, first for a Sequential model (architecture, weights
and optimizer state: training goes on where it stopped), then for a subclassed model and a
custom layer registered with ``@keras.saving.register_keras_serializable`` whose ``get_config``
returns their constructor arguments, so that loading needs no ``custom_objects``.

Regression on 256 synthetic points in 6-D; files go to a temporary folder.
"""

import os
import tempfile

import numpy as np

import numkeras as keras
from numkeras import layers, ops


@keras.saving.register_keras_serializable(package="keras_programs")
class LearnedScale(layers.Layer):
    """Multiplies its inputs by a fixed factor."""

    def __init__(self, factor: float, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_programs")
class Tower(keras.Model):
    """Dense layers of the given widths, a scaled linear output."""

    def __init__(self, hidden_units, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = list(hidden_units)
        self.hidden_layers = [layers.Dense(u, activation="tanh") for u in self.hidden_units]
        self.head = layers.Dense(1)
        self.scale = LearnedScale(2.0)

    def call(self, inputs):
        x = inputs
        for layer in self.hidden_layers:
            x = layer(x)
        return self.scale(self.head(x))

    def get_config(self):
        return {"hidden_units": self.hidden_units}


def make_data(n: int = 256, seed: int = 25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(6, 1))) + 0.05 * rng.normal(size=(n, 1))
    return x, y.astype("float32")


def mse(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    return float(ops.convert_to_numpy(ops.mean(ops.square(model.predict(x, verbose=0) - y))))


def main() -> dict:
    keras.utils.set_random_seed(26)
    x, y = make_data()

    sequential = keras.Sequential(
        [keras.Input(shape=(6,)), layers.Dense(16, activation="relu"), layers.Dense(1)]
    )
    sequential.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    loss_before = mse(sequential, x, y)
    sequential.fit(x, y, batch_size=32, epochs=3, verbose=0)

    tower = Tower([16, 8])
    tower.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    tower_loss_before = mse(tower, x, y)
    tower.fit(x, y, batch_size=32, epochs=3, verbose=0)

    with tempfile.TemporaryDirectory() as folder:
        sequential_path = os.path.join(folder, "sequential.keras")
        tower_path = os.path.join(folder, "tower.keras")
        sequential.save(sequential_path)
        tower.save(tower_path)
        restored = keras.models.load_model(sequential_path)
        restored_tower = keras.models.load_model(tower_path)

    same_predictions = np.allclose(
        restored.predict(x, verbose=0), sequential.predict(x, verbose=0), atol=1e-6
    )
    steps_saved = int(ops.convert_to_numpy(restored.optimizer.iterations))
    restored.fit(x, y, batch_size=32, epochs=2, verbose=0)
    return {
        "loss_before": loss_before,
        "loss_after": mse(restored, x, y),
        "tower_loss_before": tower_loss_before,
        "tower_loss_after": mse(restored_tower, x, y),
        "sequential_predictions_equal": bool(same_predictions),
        "optimizer_steps_restored": steps_saved,
        "tower_class": type(restored_tower).__name__,
        "tower_hidden_units": restored_tower.hidden_units,
        "tower_predictions_equal": bool(
            np.allclose(
                restored_tower.predict(x, verbose=0), tower.predict(x, verbose=0), atol=1e-6
            )
        ),
    }
