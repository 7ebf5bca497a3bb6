"""Atomic writes: a save that fails half way leaves the previous file and no temporary file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from numkeras.models import load_model
from numkeras.saving.archive import ArchiveWriter
from numkeras.utils import io_utils

from .helpers import X, Y, tiny_model


def fail_on_write(monkeypatch: pytest.MonkeyPatch, error: BaseException, after: int = 1) -> None:
    """Make the ``after + 1``-th array written raise ``error``, mid-archive."""
    original = ArchiveWriter.write_array
    count = [0]

    def write_array(self: ArchiveWriter, name: str, array: np.ndarray) -> None:
        count[0] += 1
        if count[0] > after:
            raise error
        original(self, name, array)

    monkeypatch.setattr(ArchiveWriter, "write_array", write_array)


SAVES: dict[str, tuple[str, Callable]] = {
    "model": ("m.numkeras", lambda model, path: model.save(path)),
    "weights": ("m.weights.npz", lambda model, path: model.save_weights(path)),
}


@pytest.mark.parametrize("kind", sorted(SAVES))
@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_failed_save_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, error: BaseException
) -> None:
    name, save = SAVES[kind]
    path = tmp_path / name
    model = tiny_model()
    save(model, path)
    before = path.read_bytes()
    model.fit(X, Y, epochs=1, verbose=0)
    fail_on_write(monkeypatch, error)
    with pytest.raises(type(error)):
        save(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [name]
    monkeypatch.undo()
    if kind == "model":
        load_model(path)


def test_a_failed_first_save_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_on_write(monkeypatch, OSError("no space left on device"), after=0)
    with pytest.raises(OSError, match="no space"):
        tiny_model().save(tmp_path / "m.numkeras")
    assert list(tmp_path.iterdir()) == []


def test_a_save_replaces_the_file_in_one_step(tmp_path: Path) -> None:
    path = tmp_path / "m.numkeras"
    path.write_bytes(b"old")
    path.chmod(0o640)
    tiny_model().save(path)
    assert path.stat().st_mode & 0o777 == 0o640
    load_model(path)


#: A save that stops in the middle of writing its first array, until it is killed.
_BLOCKED_SAVE = """
import sys
from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.saving.archive import ArchiveWriter

def write_array(self, name, array):
    print("writing", flush=True)
    sys.stdin.read()

ArchiveWriter.write_array = write_array
Sequential([Dense(2, input_shape=(3,))]).save(sys.argv[1])
"""


@pytest.mark.skipif(io_utils.fcntl is None, reason="no flock: temporaries are not cleaned")
def test_a_save_killed_mid_write_leaves_nothing_after_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "m.numkeras"
    model = tiny_model()
    model.save(path)
    writer = subprocess.Popen(
        [sys.executable, "-c", _BLOCKED_SAVE, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert writer.stdout.readline() == b"writing\n"
        model.save(path)
        assert len(list(tmp_path.iterdir())) == 2  # a live writer's temporary file is kept
    finally:
        writer.kill()  # SIGKILL: the writer cannot clean up
        writer.communicate()
    assert len(list(tmp_path.iterdir())) == 2
    model.save(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert np.array_equal(load_model(path).predict(X, verbose=0), model.predict(X, verbose=0))
