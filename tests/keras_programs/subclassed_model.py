"""Follows keras.io's "Making new layers and models via subclassing" guide, its ``Model``
part: a model made by subclassing, with its layers (one of them a block of layers of its own)
created in ``__init__`` and used in ``call(inputs, training=None)``; Dropout is active only
when ``training`` is True, which fit passes down and predict does not.

The data is synthetic: 256 points in 10-D with a nonlinear target, y = sin(x . w) + 0.1 x0^2.
"""

import numpy as np

import numkeras as keras
from numkeras import layers


class ResidualBlock(layers.Layer):
    """Two Dense layers whose output is added back to the block's input."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(units, activation="relu")
        self.outer = layers.Dense(units)

    def call(self, inputs):
        return inputs + self.outer(self.inner(inputs))


class Regressor(keras.Model):
    """Dense, two residual blocks, Dropout and one linear output."""

    def __init__(self, width: int = 32, dropout: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Dense(width, activation="relu")
        self.blocks = [ResidualBlock(width), ResidualBlock(width)]
        self.dropout = layers.Dropout(dropout)
        self.head = layers.Dense(1)

    def call(self, inputs, training=None):
        x = self.stem(inputs)
        for block in self.blocks:
            x = block(x)
        x = self.dropout(x, training=training)
        return self.head(x)


def make_data(n: int = 256, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)).astype("float32")
    w = rng.normal(size=(10,)) / np.sqrt(10)
    y = np.sin(x @ w) + 0.1 * x[:, 0] ** 2
    return x, y.astype("float32")[:, None]


def main() -> dict:
    keras.utils.set_random_seed(3)
    x, y = make_data()
    model = Regressor()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    loss_before = model.evaluate(x, y, batch_size=64, verbose=0)
    model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    loss_after = model.evaluate(x, y, batch_size=64, verbose=0)

    # Dropout acts only in training: two training-mode calls differ, inference calls agree.
    batch = x[:64]
    inference = [np.asarray(model(batch, training=False)) for _ in range(2)]
    training = [np.asarray(model(batch, training=True)) for _ in range(2)]
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "baseline_mse": float(np.var(y)),
        "num_weights": len(model.weights),
        "num_trainable_weights": len(model.trainable_weights),
        "inference_is_deterministic": bool(np.array_equal(*inference)),
        "training_uses_dropout": not np.allclose(*training),
        "predict_matches_call": bool(
            np.allclose(model.predict(batch, verbose=0), inference[0], atol=1e-5)
        ),
    }
