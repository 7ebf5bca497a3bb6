"""Follows keras.io's "Reproducibility in Keras Models" example, with the ``keras.random`` API:
an int seed gives the same draw every time; a ``SeedGenerator`` gives a new draw each call and
the same sequence when remade with the same seed; ``keras.utils.set_random_seed`` makes weight
initialization, shuffling and a custom noise layer (drawing with its own ``SeedGenerator``,
only in training) repeat exactly, so two training runs agree to the last bit.

A regression on 256 synthetic points in 4-D.
"""

import numpy as np

import numkeras as keras
from numkeras import layers, ops


class TrainingNoise(layers.Layer):
    """Adds N(0, stddev^2) noise to its inputs in training, nothing in inference."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        noise = keras.random.normal(ops.shape(inputs), stddev=self.stddev, seed=self.seed_generator)
        return inputs + noise


def make_data(n: int = 256, seed: int = 31) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (np.abs(x).sum(axis=1, keepdims=True) - 3.0).astype("float32")


def train_once(x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Loss before and after 3 epochs, and the final weights, from seed 32."""
    keras.utils.set_random_seed(32)
    model = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            TrainingNoise(0.1),
            layers.Dense(32, activation="relu"),
            layers.Dropout(0.1),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    before = model.evaluate(x, y, batch_size=64, verbose=0)
    model.fit(x, y, batch_size=32, epochs=3, shuffle=True, verbose=0)
    after = model.evaluate(x, y, batch_size=64, verbose=0)
    return float(before), float(after), np.concatenate([w.ravel() for w in model.get_weights()])


def main() -> dict:
    x, y = make_data()
    fixed = [ops.convert_to_numpy(keras.random.normal((3, 2), seed=7)) for _ in range(2)]
    stream = keras.random.SeedGenerator(1234)
    first, second = (ops.convert_to_numpy(keras.random.uniform((4,), seed=stream)) for _ in "ab")
    replay = keras.random.SeedGenerator(1234)
    replayed = ops.convert_to_numpy(keras.random.uniform((4,), seed=replay))
    integers = ops.convert_to_numpy(keras.random.randint((1000,), 0, 5, seed=8))
    dropped = ops.convert_to_numpy(keras.random.dropout(ops.ones((10000,)), 0.25, seed=9))

    before, after, weights = train_once(x, y)
    _, again, weights_again = train_once(x, y)
    return {
        "loss_before": before,
        "loss_after": after,
        "baseline_mse": float(np.var(y)),
        "int_seed_repeats": bool(np.array_equal(*fixed)),
        "generator_advances": not np.array_equal(first, second),
        "generator_replays": bool(np.array_equal(first, replayed)),
        "randint_range": (int(integers.min()), int(integers.max())),
        "dropout_zero_fraction": float(np.mean(dropped == 0)),
        "dropout_scales_kept": bool(np.allclose(dropped[dropped != 0], 1 / 0.75)),
        "runs_identical": bool(again == after and np.array_equal(weights, weights_again)),
    }
