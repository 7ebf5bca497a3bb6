"""Follows keras.io's "Making new layers and models via subclassing" guide, its layer part: a
``Linear`` layer whose weights are made in ``build`` (deferred until the input shape is known)
with ``add_weight``, a non-trainable weight updated in ``call``, ``compute_output_shape`` for
symbolic use, and ``get_config``/``from_config`` to clone it.

Trained on synthetic data, 256 points of y = x @ A + b + noise.
"""

import numpy as np

import numkeras as keras
from numkeras import layers, ops


class Linear(layers.Layer):
    """``inputs @ w + b``, counting the batches it has seen in training."""

    def __init__(self, units: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
            name="kernel",
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.batches_seen = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="batches_seen"
        )

    def call(self, inputs, training=False):
        if training:
            self.batches_seen.assign(self.batches_seen + 1.0)
        return ops.matmul(inputs, self.w) + self.b

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def make_data(n: int = 256, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    a = rng.normal(size=(5, 2)).astype("float32")
    y = x @ a + np.float32(0.5) + 0.05 * rng.normal(size=(n, 2)).astype("float32")
    return x, y.astype("float32")


def main() -> dict:
    keras.utils.set_random_seed(5)
    x, y = make_data()

    probe = Linear(4)
    built_before_call = probe.built
    symbolic = probe(keras.Input(shape=(7,)))

    inputs = keras.Input(shape=(5,))
    outputs = Linear(2, name="linear")(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    loss_before = model.evaluate(x, y, batch_size=64, verbose=0)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    loss_after = model.evaluate(x, y, batch_size=64, verbose=0)

    layer = model.get_layer("linear")
    clone = Linear.from_config(layer.get_config())
    clone.build((None, 5))
    clone.set_weights(layer.get_weights())
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "built_before_call": built_before_call,
        "symbolic_shape": tuple(symbolic.shape),
        "trainable_count": len(layer.trainable_weights),
        "non_trainable_count": len(layer.non_trainable_weights),
        "batches_seen": float(np.asarray(layer.batches_seen)),
        "clone_units": clone.units,
        "clone_agrees": bool(
            np.allclose(np.asarray(clone(x[:8])), model.predict(x[:8], verbose=0), atol=1e-5)
        ),
    }
