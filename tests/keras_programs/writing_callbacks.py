"""Follows keras.io's "Writing your own callbacks" guide, with the built-in callbacks of the
"Training & evaluation with the built-in methods" guide: a ``Callback`` subclass that logs what
fit reports at each batch, epoch and at the end of training; ``EarlyStopping`` on the validation
loss, which ends a 40-epoch run once the loss stops improving; ``ModelCheckpoint`` keeping the
best model in a temporary folder, read back with ``load_model``.

A linear regression on 320 synthetic points (the last 20% for validation).
"""

import os
import tempfile

import numpy as np

import numkeras as keras
from numkeras import layers


class TrainingLog(keras.callbacks.Callback):
    """Collects the logs of every batch and epoch, and those given at the end of training."""

    def __init__(self):
        super().__init__()
        self.batch_losses = []
        self.epoch_logs = []
        self.end_logs = None

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses.append(logs["loss"])

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_logs.append(dict(logs))

    def on_train_end(self, logs=None):
        self.end_logs = dict(logs)


def make_data(n: int = 320, seed: int = 23) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x @ np.array([[2.0], [-1.0], [0.5]]) + 1.0 + 0.1 * rng.normal(size=(n, 1))
    return x, y.astype("float32")


def main() -> dict:
    keras.utils.set_random_seed(24)
    x, y = make_data()
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mse")

    log = TrainingLog()
    with tempfile.TemporaryDirectory() as folder:
        checkpoint_path = os.path.join(folder, "best.keras")
        history = model.fit(
            x,
            y,
            batch_size=32,
            epochs=40,
            validation_split=0.2,
            verbose=0,
            callbacks=[
                log,
                keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=1e-3),
                keras.callbacks.ModelCheckpoint(
                    checkpoint_path, monitor="val_loss", save_best_only=True
                ),
            ],
        )
        best = keras.models.load_model(checkpoint_path)
        x_val, y_val = x[256:], y[256:]
        best_val_loss = float(np.mean(np.square(best.predict(x_val, verbose=0) - y_val)))

    val_losses = history.history["val_loss"]
    return {
        "loss_before": log.batch_losses[0],
        "loss_after": history.history["loss"][-1],
        "epochs_run": len(history.epoch),
        "batches_logged": len(log.batch_losses),
        "epoch_log_keys": sorted(log.epoch_logs[-1]),
        "end_log_keys": sorted(log.end_logs),
        "best_val_loss": min(val_losses),
        "checkpoint_val_loss": best_val_loss,
    }
