"""Checkpoints that resume exactly, and training that fails safely.

Training 6 epochs straight, and training 3 epochs with ``ModelCheckpoint``, loading the
checkpoint in a new process and continuing with ``fit(..., initial_epoch=3, epochs=6)``, give
bit-identical weights and History (shuffling and dropout included: the checkpoint carries the
random stream). A run that diverges keeps its last good checkpoint; an interrupt, even in the
middle of writing a checkpoint, leaves the previous one whole.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numkeras import backend, callbacks
from numkeras.layers import Dense, Dropout
from numkeras.models import Sequential, load_model
from numkeras.saving.archive import ArchiveWriter

FIT = dict(batch_size=8, validation_split=0.25, verbose=0)

CONTINUE_IN_A_NEW_PROCESS = """
import json, sys
import numpy as np
from numkeras import backend
from numkeras.models import load_model

folder = sys.argv[1]
data = np.load(folder + "/data.npz", allow_pickle=False)
backend.set_random_seed(2024)  # another stream: the checkpoint must bring back its own
model = load_model(folder + "/ckpt.numkeras")
history = model.fit(data["x"], data["y"], epochs=6, initial_epoch=3, batch_size=8,
                    validation_split=0.25, verbose=0)
np.savez(folder + "/resumed.npz", *model.get_weights())
with open(folder + "/history.json", "w") as f:
    json.dump(history.history, f)
"""


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = rng.random((64, 6), dtype=np.float32)
    return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]


def _model(optimizer: object = "adam") -> Sequential:
    model = Sequential([Dense(8, activation="relu", input_shape=(6,)), Dropout(0.3),
                        Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


class RecordWeights(callbacks.Callback):
    """Keeps a copy of the model's weights at the end of every epoch."""

    def __init__(self) -> None:
        self.epochs: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs.append(self.model.get_weights())


def _equal(first: list[np.ndarray], second: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_resume_in_a_new_process_is_bit_identical(tmp_path: Path) -> None:
    x, y = _data()
    backend.set_random_seed(7)
    straight = _model()
    full = straight.fit(x, y, epochs=6, **FIT).history

    backend.set_random_seed(7)
    first = _model().fit(x, y, epochs=3, **FIT, callbacks=[
        callbacks.ModelCheckpoint(str(tmp_path / "ckpt.numkeras"))]).history
    np.savez(tmp_path / "data.npz", x=x, y=y)
    subprocess.run([sys.executable, "-c", CONTINUE_IN_A_NEW_PROCESS, str(tmp_path)],
                   check=True, timeout=120)
    with np.load(tmp_path / "resumed.npz") as resumed:
        assert _equal([resumed[f"arr_{i}"] for i in range(len(resumed.files))],
                      straight.get_weights())
    second = json.loads((tmp_path / "history.json").read_text())
    assert set(full) == set(first) == set(second) == {"loss", "accuracy", "val_loss",
                                                      "val_accuracy"}
    for key, values in full.items():
        assert first[key] + second[key] == values, key


def test_checkpoint_saves_the_full_model_by_default(tmp_path: Path) -> None:
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, **FIT, callbacks=[
        callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.numkeras")),
        callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.weights.npz"),
                                  save_weights_only=True)])
    loaded = load_model(tmp_path / "e2.numkeras")
    assert loaded.compiled and loaded.optimizer.iterations == model.optimizer.iterations
    assert _equal(loaded.get_weights(), model.get_weights())
    other = _model()
    other.load_weights(tmp_path / "e2.weights.npz")
    assert _equal(other.get_weights(), model.get_weights())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "e1.numkeras", "e1.weights.npz", "e2.numkeras", "e2.weights.npz"]


def explode_at_epoch_3(epoch: int, lr: float) -> float:
    return 0.01 if epoch < 2 else 1e30


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_terminate_on_nan_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    x, y = _data()
    model = _model(optimizer="sgd")
    record = RecordWeights()
    path = tmp_path / "best.numkeras"
    history = model.fit(x, y, epochs=10, **FIT, callbacks=[
        callbacks.LearningRateScheduler(explode_at_epoch_3),
        callbacks.TerminateOnNaN(),
        callbacks.ModelCheckpoint(str(path), monitor="loss", save_best_only=True),
        record])
    assert history.epoch == [0, 1, 2]
    assert not np.isfinite(history.history["loss"][-1])
    assert not all(np.isfinite(w).all() for w in model.get_weights())
    loaded = load_model(path)
    assert _equal(loaded.get_weights(), record.epochs[1])
    assert np.isfinite(loaded.evaluate(x, y, verbose=0)).all()


class InterruptAt(callbacks.Callback):
    """Raises KeyboardInterrupt (Ctrl-C) at a given batch of a given epoch."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.at, self.epoch = (epoch, batch), 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_during_an_epoch_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    x, y = _data()
    record = RecordWeights()
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, epochs=5, **FIT, callbacks=[
            record, callbacks.ModelCheckpoint(str(tmp_path / "ckpt.numkeras")),
            InterruptAt(epoch=2, batch=3)])
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.numkeras"]
    assert _equal(load_model(tmp_path / "ckpt.numkeras").get_weights(), record.epochs[1])


def test_ctrl_c_while_writing_a_checkpoint_keeps_the_previous_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = _data()
    record = RecordWeights()
    original, written = ArchiveWriter.write_array, []

    def write_array(self: ArchiveWriter, name: str, array: np.ndarray) -> None:
        written.append(name)
        if len(written) == 20:  # the second checkpoint, half way through its arrays
            raise KeyboardInterrupt
        original(self, name, array)

    monkeypatch.setattr(ArchiveWriter, "write_array", write_array)
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, epochs=5, **FIT, callbacks=[
            record, callbacks.ModelCheckpoint(str(tmp_path / "ckpt.numkeras"))])
    monkeypatch.undo()
    assert len(record.epochs) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.numkeras"]
    assert _equal(load_model(tmp_path / "ckpt.numkeras").get_weights(), record.epochs[0])
