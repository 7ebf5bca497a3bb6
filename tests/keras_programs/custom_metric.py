"""Follows keras.io's "Training & evaluation with the built-in methods" guide, its section on
custom metrics: a ``Metric`` subclass holding its state in variables made with
``add_variable``, updated batch by batch in ``update_state``, read with ``result`` and zeroed
with ``reset_state``. Here: the F1 score of a binary classifier, whose value over a whole
evaluation is not the mean of per-batch values (so only the state variables give it right).

A binary classifier of 320 synthetic points in 5-D, classes imbalanced about 1:3.
"""

import numpy as np

import numkeras as keras
from numkeras import layers, ops


class F1Score(keras.metrics.Metric):
    """2 TP / (2 TP + FP + FN), with predictions above ``threshold`` counted positive."""

    def __init__(self, threshold: float = 0.5, name: str = "f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.false_positives = self.add_variable(shape=(), initializer="zeros", name="fp")
        self.false_negatives = self.add_variable(shape=(), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = ops.cast(ops.greater(y_pred, self.threshold), "float32")
        actual = ops.cast(y_true, "float32")
        self.true_positives.assign_add(ops.sum(predicted * actual))
        self.false_positives.assign_add(ops.sum(predicted * (1.0 - actual)))
        self.false_negatives.assign_add(ops.sum((1.0 - predicted) * actual))

    def result(self):
        doubled = 2.0 * self.true_positives
        return doubled / ops.maximum(doubled + self.false_positives + self.false_negatives, 1.0)

    def reset_state(self):
        for variable in (self.true_positives, self.false_positives, self.false_negatives):
            variable.assign(0.0)


def make_data(n: int = 320, seed: int = 27) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x @ rng.normal(size=(5,)) > 0.7).astype("float32")[:, None]
    return x, y


def f1_of(y: np.ndarray, p: np.ndarray) -> float:
    predicted = p > 0.5
    tp = np.sum(predicted & (y == 1))
    fp = np.sum(predicted & (y == 0))
    fn = np.sum(~predicted & (y == 1))
    return float(2 * tp / max(2 * tp + fp + fn, 1))


def main() -> dict:
    keras.utils.set_random_seed(28)
    x, y = make_data()
    model = keras.Sequential(
        [keras.Input(shape=(5,)), layers.Dense(16, activation="relu"), layers.Dense(1, "sigmoid")]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.02),
        loss="binary_crossentropy",
        metrics=[F1Score()],
    )
    before = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    after = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)

    standalone = F1Score()
    predictions = model.predict(x, batch_size=64, verbose=0)
    for start in range(0, len(x), 100):
        standalone.update_state(y[start : start + 100], predictions[start : start + 100])
    streamed = float(standalone.result())
    standalone.reset_state()
    return {
        "loss_before": before["loss"],
        "loss_after": after["loss"],
        "f1_before": before["f1"],
        "f1": after["f1"],
        "f1_by_numpy": f1_of(y, predictions),
        "f1_streamed": streamed,
        "f1_after_reset": float(standalone.result()),
        "history_keys": sorted(history.history),
        "positive_fraction": float(y.mean()),
    }
