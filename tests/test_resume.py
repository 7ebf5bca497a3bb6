"""Checkpoints that resume exactly, and training that fails safely.

Training 6 epochs straight, and training 3 epochs with ``ModelCheckpoint``, loading the
checkpoint in a new process and continuing with ``fit(..., initial_epoch=3, epochs=6)``, give
bit-identical weights and History (shuffling and dropout included: the checkpoint carries the
random stream). The same holds with stateful callbacks (EarlyStopping, a best-only checkpoint):
the checkpoint carries their state too. A run that diverges keeps its last good checkpoint; an
interrupt, even in the middle of writing a checkpoint, leaves the previous one whole.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from numkeras import backend, callbacks
from numkeras.layers import Dense, Dropout
from numkeras.models import Sequential, load_model
from numkeras.optimizers import Adam
from numkeras.saving.archive import ArchiveWriter, ModelFileError

FIT = dict(batch_size=8, validation_split=0.25, verbose=0)

CONTINUE_IN_A_NEW_PROCESS = """
import json, sys
import numpy as np
from numkeras import backend
from numkeras.models import load_model

folder, tests, initial_epoch, epochs, with_callbacks = sys.argv[1:]
sys.path.insert(0, tests)
from test_resume import stateful_callbacks

data = np.load(folder + "/data.npz", allow_pickle=False)
backend.set_random_seed(2024)  # another stream: the checkpoint must bring back its own
model = load_model(folder + "/ckpt.numkeras")
used = stateful_callbacks(folder) if with_callbacks == "yes" else []
history = model.fit(data["x"], data["y"], epochs=int(epochs), initial_epoch=int(initial_epoch),
                    batch_size=8, validation_split=0.25, verbose=0, callbacks=used)
np.savez(folder + "/resumed.npz", *model.get_weights())
with open(folder + "/history.json", "w") as f:
    json.dump({"history": history.history, "epoch": history.epoch}, f)
"""


def _continue_in_a_new_process(
    folder: Path, initial_epoch: int, epochs: int, with_callbacks: bool = False
) -> tuple[list[np.ndarray], dict]:
    """Resume ``folder/ckpt.numkeras`` in a new process; its final weights and History."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            CONTINUE_IN_A_NEW_PROCESS,
            str(folder),
            str(Path(__file__).parent),
            str(initial_epoch),
            str(epochs),
            "yes" if with_callbacks else "no",
        ],
        check=True,
        timeout=120,
    )
    with np.load(folder / "resumed.npz") as resumed:
        weights = [resumed[f"arr_{i}"] for i in range(len(resumed.files))]
    return weights, json.loads((folder / "history.json").read_text())


def stateful_callbacks(folder: str | Path) -> list[callbacks.Callback]:
    """A checkpoint of every epoch listed first (it is written after the others all the same),
    early stopping that restores the best weights, and a best-only checkpoint."""
    return [
        callbacks.ModelCheckpoint(str(Path(folder) / "ckpt.numkeras")),
        callbacks.EarlyStopping(patience=2, restore_best_weights=True),
        callbacks.ModelCheckpoint(str(Path(folder) / "best.numkeras"), save_best_only=True),
    ]


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = rng.random((64, 6), dtype=np.float32)
    return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]


def _model(optimizer: object = "adam") -> Sequential:
    model = Sequential(
        [
            Dense(8, activation="relu", input_shape=(6,)),
            Dropout(0.3),
            Dense(3, activation="softmax"),
        ]
    )
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
    first = (
        _model()
        .fit(
            x,
            y,
            epochs=3,
            **FIT,
            callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "ckpt.numkeras"))],
        )
        .history
    )
    np.savez(tmp_path / "data.npz", x=x, y=y)
    weights, second = _continue_in_a_new_process(tmp_path, 3, 6)
    assert _equal(weights, straight.get_weights())
    second = second["history"]
    assert (
        set(full) == set(first) == set(second) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    )
    for key, values in full.items():
        assert first[key] + second[key] == values, key


def test_resume_continues_early_stopping_and_the_best_checkpoint(tmp_path: Path) -> None:
    # With Adam(0.03) the validation loss is best at epoch 12 and worse at 13 and 14, so a
    # straight run with patience 2 stops after epoch 14. Resumed at epoch 13 with the callbacks
    # starting afresh, it would count epoch 13 as an improvement, overwrite best.numkeras with
    # it and not stop, and it would have no best weights of epoch 12 to restore.
    x, y = _data()
    straight_folder, resumed_folder = tmp_path / "straight", tmp_path / "resumed"
    backend.set_random_seed(7)
    straight = _model(optimizer=Adam(0.03))
    full = straight.fit(x, y, epochs=40, **FIT, callbacks=stateful_callbacks(straight_folder))
    assert full.epoch[-1] == 14 and int(np.argmin(full.history["val_loss"])) == 12

    backend.set_random_seed(7)
    first = _model(optimizer=Adam(0.03)).fit(
        x, y, epochs=13, **FIT, callbacks=stateful_callbacks(resumed_folder)
    )
    np.savez(resumed_folder / "data.npz", x=x, y=y)
    weights, second = _continue_in_a_new_process(resumed_folder, 13, 40, with_callbacks=True)
    assert first.epoch + second["epoch"] == full.epoch
    for key, values in full.history.items():
        assert first.history[key] + second["history"][key] == values, key
    assert _equal(weights, straight.get_weights())  # epoch 12's, restored by EarlyStopping
    assert _equal(
        load_model(resumed_folder / "best.numkeras").get_weights(),
        load_model(straight_folder / "best.numkeras").get_weights(),
    )


def test_a_fit_from_epoch_0_starts_its_callbacks_afresh(tmp_path: Path) -> None:
    x, y = _data()
    _model().fit(x, y, epochs=2, **FIT, callbacks=stateful_callbacks(tmp_path))
    stopper = callbacks.EarlyStopping(patience=2)
    load_model(tmp_path / "ckpt.numkeras").fit(x, y, epochs=1, **FIT, callbacks=[stopper])
    assert stopper.best_epoch == 0 and stopper.wait == 0


def test_a_checkpoint_holds_the_state_of_every_stateful_callback(tmp_path: Path) -> None:
    x, y = _data()
    reducer = callbacks.ReduceLROnPlateau(patience=1, factor=0.5, min_delta=10.0)
    _model().fit(
        x,
        y,
        epochs=3,
        **FIT,
        callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "ckpt.numkeras")), reducer],
    )
    training = json.loads(_members(tmp_path / "ckpt.numkeras")["training.json"])
    assert training["callbacks"] == [
        {
            "class_name": "ReduceLROnPlateau",
            "monitor": "val_loss",
            "state": {"wait": 0, "best": reducer.best, "cooldown_counter": 0},
        },
        {
            "class_name": "ModelCheckpoint",
            "monitor": "val_loss",
            "state": {"best": None, "_batches_since_save": 0},
        },
    ]
    resumed = callbacks.ReduceLROnPlateau(patience=1, factor=0.5, min_delta=10.0)
    model = load_model(tmp_path / "ckpt.numkeras")
    assert model.optimizer.learning_rate == pytest.approx(0.001 * 0.5**2)
    model.fit(x, y, epochs=4, initial_epoch=3, **FIT, callbacks=[resumed])
    assert resumed.best == reducer.best  # epoch 3 did not beat it by min_delta
    assert model.optimizer.learning_rate == pytest.approx(0.001 * 0.5**3)


class Unbeaten(callbacks.Callback):
    """A callback of yours with a state: a best value that nothing has beaten yet (inf)."""

    _state_fields = {"best": "number", "seen": "count"}

    def __init__(self) -> None:
        self.best, self.seen = math.inf, 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seen += 1


def test_infinity_and_your_own_stateful_callbacks_survive_a_checkpoint(tmp_path: Path) -> None:
    x, y = _data()
    path = tmp_path / "ckpt.numkeras"
    _model().fit(
        x, y, epochs=2, **FIT, callbacks=[callbacks.ModelCheckpoint(str(path)), Unbeaten()]
    )
    training = json.loads(_members(path)["training.json"])
    assert training["callbacks"][0] == {
        "class_name": "Unbeaten",
        "monitor": None,
        "state": {"best": "inf", "seen": 2},
    }
    resumed = Unbeaten()
    load_model(path).fit(x, y, epochs=3, initial_epoch=2, **FIT, callbacks=[resumed])
    assert resumed.best == math.inf and resumed.seen == 3


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewritten(path: Path, member: str, edit: Callable[[dict], None]) -> None:
    """Rewrite the JSON ``member`` of the model file at ``path`` with ``edit`` (in place)."""
    contents = _members(path)
    document = json.loads(contents[member])
    edit(document)
    contents[member] = json.dumps(document).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    path.write_bytes(out.getvalue())


def _set_state(index: int, field: str, value: object) -> Callable[[dict], None]:
    def edit(training: dict) -> None:
        training["callbacks"][index]["state"][field] = value

    return edit


def _checkpoint_with_best_weights(tmp_path: Path) -> Path:
    """A checkpoint written during fit, holding EarlyStopping's state with its best weights."""
    x, y = _data()
    path = tmp_path / "ckpt.numkeras"
    _model().fit(
        x,
        y,
        epochs=2,
        **FIT,
        callbacks=[
            callbacks.ModelCheckpoint(str(path)),
            callbacks.EarlyStopping(restore_best_weights=True),
        ],
    )
    return path


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_set_state(0, "wait", -1), "'wait' must be an int >= 0"),
        (_set_state(0, "wait", True), "'wait' must be an int >= 0"),
        (_set_state(0, "best", "Infinity"), "'best' must be a number or None"),
        (_set_state(0, "best_weights", ["weights/0.npy"]), "'best_weights' must be None or a list"),
        (_set_state(0, "extra", 1), "must be a dict with the keys"),
        (lambda t: t["callbacks"][0].update(class_name="CSVLogger"), "not a callback with a state"),
        (lambda t: t["callbacks"][0].update(class_name="os.system"), "not a callback with a state"),
        (lambda t: t["callbacks"][0].pop("monitor"), "callbacks\\[0\\] must be"),
        (lambda t: t.update(callbacks={"EarlyStopping": {}}), "'callbacks' must be a list"),
        (
            lambda t: t["callbacks"][0]["state"].update(best_weights=None),
            "name each callbacks/\\*.npy member exactly once",
        ),
    ],
)
def test_a_checkpoint_with_invalid_callback_state_is_refused(
    tmp_path: Path, edit: Callable[[dict], None], words: str
) -> None:
    path = _checkpoint_with_best_weights(tmp_path)
    load_model(path)
    _rewritten(path, "training.json", edit)
    with pytest.raises(ModelFileError, match=words):
        load_model(path)
    load_model(path, compile=False)  # the state is for training only


@pytest.mark.parametrize("loss_weights", [[math.nan], [-1.0], ["heavy"], [1.0, 1.0]])
def test_a_model_file_with_bad_loss_weights_is_refused(tmp_path: Path, loss_weights: list) -> None:
    path = tmp_path / "model.numkeras"
    _model().save(path)

    def edit(config: dict) -> None:
        config["compile_config"]["loss_weights"] = loss_weights

    _rewritten(path, "config.json", edit)
    with pytest.raises(ModelFileError, match="loss_weights"):
        load_model(path)


def test_a_checkpoint_with_best_weights_of_other_shapes_is_refused(tmp_path: Path) -> None:
    path = _checkpoint_with_best_weights(tmp_path)
    contents = _members(path)
    contents["callbacks/0.npy"] = contents["callbacks/1.npy"]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFileError, match="callback states that do not fit the model"):
        load_model(path)


def test_checkpoint_saves_the_full_model_by_default(tmp_path: Path) -> None:
    x, y = _data()
    model = _model()
    model.fit(
        x,
        y,
        epochs=2,
        **FIT,
        callbacks=[
            callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.numkeras")),
            callbacks.ModelCheckpoint(
                str(tmp_path / "e{epoch}.weights.npz"), save_weights_only=True
            ),
        ],
    )
    loaded = load_model(tmp_path / "e2.numkeras")
    assert loaded.compiled and loaded.optimizer.iterations == model.optimizer.iterations
    assert _equal(loaded.get_weights(), model.get_weights())
    other = _model()
    other.load_weights(tmp_path / "e2.weights.npz")
    assert _equal(other.get_weights(), model.get_weights())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "e1.numkeras",
        "e1.weights.npz",
        "e2.numkeras",
        "e2.weights.npz",
    ]


def explode_at_epoch_3(epoch: int, lr: float) -> float:
    return 0.01 if epoch < 2 else 1e30


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_terminate_on_nan_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    x, y = _data()
    model = _model(optimizer="sgd")
    record = RecordWeights()
    path = tmp_path / "best.numkeras"
    history = model.fit(
        x,
        y,
        epochs=10,
        **FIT,
        callbacks=[
            callbacks.LearningRateScheduler(explode_at_epoch_3),
            callbacks.TerminateOnNaN(),
            callbacks.ModelCheckpoint(str(path), monitor="loss", save_best_only=True),
            record,
        ],
    )
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
        _model().fit(
            x,
            y,
            epochs=5,
            **FIT,
            callbacks=[
                record,
                callbacks.ModelCheckpoint(str(tmp_path / "ckpt.numkeras")),
                InterruptAt(epoch=2, batch=3),
            ],
        )
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.numkeras"]
    assert _equal(load_model(tmp_path / "ckpt.numkeras").get_weights(), record.epochs[1])


def test_ctrl_c_while_writing_a_checkpoint_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
        _model().fit(
            x,
            y,
            epochs=5,
            **FIT,
            callbacks=[record, callbacks.ModelCheckpoint(str(tmp_path / "ckpt.numkeras"))],
        )
    monkeypatch.undo()
    assert len(record.epochs) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.numkeras"]
    assert _equal(load_model(tmp_path / "ckpt.numkeras").get_weights(), record.epochs[0])
