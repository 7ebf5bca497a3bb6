"""Train under DataParallel with a checkpoint every epoch, get killed, resume on other ranks.

Run under ``mpiexec -n N`` as ``python resume.py OUT MODE``; each rank writes
``OUT/<MODE>_rank<r>.json``: after every epoch, the epoch, its loss and a checksum of the weights
(and, when the fit ends, ``OUT/<MODE>_rank<r>.npz``: the final weights).

Modes:
    first: shuffled Adam epochs with ``ModelCheckpoint`` writing ``OUT/ckpt-<epoch>.numkeras``
        after each; the job is killed (``distribution.abort``) in the middle of the third.
    resume: every rank loads ``OUT/ckpt-02.numkeras`` and fits epochs 3 and 4
        (``initial_epoch=2``).
    resume_chief_only: only rank 0 loads it (the file is on its disk alone); the others build
        and compile the model afresh, and fit must give them rank 0's weights, optimizer slots
        and step count.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import numkeras
from numkeras import distribution
from numkeras.callbacks import Callback, ModelCheckpoint
from numkeras.layers import Dense, Input
from numkeras.models import Sequential, load_model
from numkeras.optimizers import Adam

#: The epoch (0-based) in whose middle the first run is killed.
KILLED_IN = 2


class Record(Callback):
    """Write, after every epoch, its loss and a checksum of the weights to ``path``."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path, self.epochs = path, []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        total = float(sum(np.sum(w.astype("float64")) for w in self.model.get_weights()))
        self.epochs.append({"epoch": epoch, "loss": float(logs["loss"]), "checksum": total})
        self.path.write_text(json.dumps(self.epochs))


class KillMidEpoch(Callback):
    """End the whole job, as a crash or a kill would, after batch 2 of epoch ``KILLED_IN``."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.epoch == KILLED_IN and batch == 2:
            distribution.abort(3)


def fresh_model() -> Sequential:
    model = Sequential([Input((5,)), Dense(8, activation="tanh"), Dense(3, activation="softmax")])
    model.compile(optimizer=Adam(0.01), loss="categorical_crossentropy")
    return model


def main(out: Path, mode: str) -> None:
    distribution.initialize()
    distribution.set_distribution(distribution.DataParallel())
    rank = distribution.rank()
    numkeras.backend.set_random_seed(100 + rank)  # fit must make the ranks start alike
    data = np.random.default_rng(0)
    x = data.normal(size=(48, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[np.argmax(x @ data.normal(size=(5, 3)), axis=1)]
    record = Record(out / f"{mode}_rank{rank}.json")
    if mode == "first":
        model = fresh_model()
        callbacks = [ModelCheckpoint(str(out / "ckpt-{epoch:02d}.numkeras")), KillMidEpoch()]
        model.fit(x, y, batch_size=8, epochs=5, callbacks=[record, *callbacks], verbose=0)
    else:
        checkpoint = out / f"ckpt-{KILLED_IN:02d}.numkeras"
        loads = mode == "resume" or rank == 0
        model = load_model(checkpoint) if loads else fresh_model()
        model.fit(x, y, batch_size=8, epochs=4, initial_epoch=KILLED_IN, callbacks=[record])
        weights = {f"weight{i}": w for i, w in enumerate(model.get_weights())}
        np.savez(out / f"{mode}_rank{rank}.npz", **weights)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
