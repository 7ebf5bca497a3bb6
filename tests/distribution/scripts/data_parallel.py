"""Train a small Dense model under DataParallel and save what each rank ends with.

Run as ``python data_parallel.py OUT MODE`` (one process: the reference) or under
``mpiexec -n N``; each rank writes ``OUT/rank<r>.npz`` (and, in mode ``epochs``, its
``OUT/rank<r>.json`` of per-epoch weight checksums and logs).

Modes:
    one_step: one SGD step on one batch of 12 samples, not shuffled.
    custom_step: the same with a subclassed model whose own train_step (a GradientTape and
        ``self.optimizer.apply_gradients``, as in the README) makes the update; saves the logs.
        Then an epoch of 13 samples in batches of 12: the last leaves ranks with none.
    on_batch: train_on_batch on 12 samples then on 1 (a rank with none), test_on_batch on 5
        (uneven shares); saves each call's logs.
    dropout: one epoch of a model with Dropout, every rank seeded alike; saves the next draws
        of each rank's random stream.
    augmentation: one epoch of a model that starts with RandomTranslation, every rank seeded
        alike; saves how the layer then shifts one fixed batch of images on each rank.
    optimizer_state: one epoch of Adam on each rank alone (different weights and moments),
        then one under DataParallel, which must start from rank 0's weights and moments.
    epochs: three shuffled Adam epochs of 17 samples in batches of 8 (the last batch of each
        epoch has 1 sample: some ranks get none), with validation, then evaluate and predict.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import numkeras
from numkeras import distribution
from numkeras.callbacks import Callback
from numkeras.layers import Dense, Dropout, Flatten, Input, RandomTranslation
from numkeras.models import Model, Sequential
from numkeras.optimizers import SGD


class Checksums(Callback):
    """Record, after every epoch, a checksum of the weights and the logs."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[dict] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        total = float(sum(np.sum(w.astype("float64")) for w in self.model.get_weights()))
        self.epochs.append({"checksum": total, "logs": {k: float(v) for k, v in logs.items()}})


class OwnStep(Model):
    """A model with its own training step, written as the README shows it."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = Dense(4, activation="tanh")
        self.out = Dense(3, activation="softmax")
        self.loss_tracker = numkeras.metrics.Mean(name="loss")

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        x, y = data
        with numkeras.GradientTape() as tape:
            loss = numkeras.losses.categorical_crossentropy(y, self(x, training=True))
            loss = numkeras.ops.mean(loss)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def main(out: Path, mode: str) -> None:
    distribution.initialize()
    if mode != "optimizer_state":
        distribution.set_distribution(distribution.DataParallel())
    rank = distribution.rank()
    # A seed of its own on every rank (fit must start them all from rank 0's weights), but
    # in modes dropout and augmentation the same seed (fit must still give each rank its own
    # random draws).
    numkeras.backend.set_random_seed(1234 if mode in ("dropout", "augmentation") else 1234 + rank)
    data = np.random.default_rng(0)
    x = data.normal(size=(24, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[data.integers(0, 3, size=24)]
    model = Sequential([Input((5,)), Dense(4, activation="tanh"), Dense(3, activation="softmax")])
    result: dict[str, np.ndarray] = {}
    if mode == "dropout":
        model = Sequential([Input((5,)), Dense(8), Dropout(0.5), Dense(3, activation="softmax")])
        model.compile(optimizer=SGD(0.1), loss="categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        result["draws"] = numkeras.backend.rng().random(4)
    elif mode == "augmentation":
        images = data.random((24, 6, 6, 1)).astype("float32")
        shift = RandomTranslation(0.3, 0.3)
        model = Sequential([Input((6, 6, 1)), shift, Flatten(), Dense(3, activation="softmax")])
        model.compile(optimizer=SGD(0.1), loss="categorical_crossentropy")
        model.fit(images, y, batch_size=8, epochs=1, verbose=0)
        result["shifted"] = shift(images[:4], training=True).numpy()
    elif mode == "optimizer_state":
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        distribution.set_distribution(distribution.DataParallel())
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    elif mode == "custom_step":
        model = OwnStep()
        model.compile(optimizer=SGD(0.1))
        history = model.fit(x[:12], y[:12], batch_size=12, epochs=1, shuffle=False, verbose=0)
        result["loss"] = np.asarray(history.history["loss"])
        model.fit(x[:13], y[:13], batch_size=12, epochs=1, shuffle=False, verbose=0)
    elif mode == "on_batch":
        model.compile(optimizer=SGD(0.1), loss="categorical_crossentropy", metrics=["accuracy"])
        for name, logs in (
            ("train12", model.train_on_batch(x[:12], y[:12], return_dict=True)),
            ("train1", model.train_on_batch(x[12:13], y[12:13], return_dict=True)),
            ("test5", model.test_on_batch(x[13:18], y[13:18], return_dict=True)),
        ):
            for key, value in logs.items():
                result[f"{name}_{key}"] = np.asarray(value)
    elif mode == "one_step":
        model.compile(optimizer=SGD(0.1), loss="categorical_crossentropy")
        model.fit(x[:12], y[:12], batch_size=12, epochs=1, shuffle=False, verbose=0)
    else:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        checksums = Checksums()
        model.fit(
            x[:17],
            y[:17],
            batch_size=8,
            epochs=3,
            validation_data=(x[17:], y[17:]),
            callbacks=[checksums],
            verbose=1,
        )
        result["predict"] = model.predict(x, batch_size=5, verbose=0)
        result["evaluate"] = np.asarray(model.evaluate(x, y, batch_size=5, verbose=0))
        # The same on the whole data in this rank alone, for the test to compare with.
        result["predict_local"] = model.predict_on_batch(x)
        result["evaluate_local"] = np.asarray(model.test_on_batch(x, y))
        (out / f"rank{rank}.json").write_text(json.dumps(checksums.epochs))
    for i, w in enumerate(model.get_weights()):
        result[f"weight{i}"] = w
    np.savez(out / f"rank{rank}.npz", **result)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
