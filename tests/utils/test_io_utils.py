"""atomic_write: the new file appears whole or not at all, and failures leave the old one."""

from __future__ import annotations

import os
import stat

import pytest

from numkeras.utils import io_utils
from numkeras.utils.io_utils import atomic_write


def test_writes_a_new_file(tmp_path):
    target = tmp_path / "model.bin"
    with atomic_write(target) as handle:
        handle.write(b"weights")
        assert not target.exists()  # nothing visible until the block succeeds
        assert os.path.dirname(handle.name) == str(tmp_path)  # same folder: rename is atomic
    assert target.read_bytes() == b"weights"
    assert os.listdir(tmp_path) == ["model.bin"]


def test_replaces_an_existing_file_keeping_its_permissions(tmp_path):
    target = tmp_path / "config.json"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_write(target, "w") as handle:
        handle.write("néw")
    assert target.read_text(encoding="utf-8") == "néw"  # text mode is UTF-8, whatever the locale
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "plot.png") as handle:
            handle.write(b"png")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "plot.png").stat().st_mode) == 0o644


def test_failure_mid_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "checkpoint.bin"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_write(target) as handle:
            handle.write(b"half of the new")
            raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["checkpoint.bin"]


def test_interrupt_mid_write_leaves_no_file(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(tmp_path / "new.bin") as handle:
            handle.write(b"partial")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_while_committing_keeps_the_old_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "data.bin"
    target.write_bytes(b"previous")

    def broken(*args):
        raise OSError(f"{failing} failed")

    monkeypatch.setattr(io_utils.os, failing, broken)
    with pytest.raises(OSError, match=f"{failing} failed"):
        with atomic_write(target) as handle:
            handle.write(b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["data.bin"]


def test_missing_folder_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        with atomic_write(tmp_path / "no" / "such.bin"):
            pass
    assert os.listdir(tmp_path) == []


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="Received: mode='ab'"):
        with atomic_write(tmp_path / "x", "ab"):
            pass
    with pytest.raises(ValueError, match="Received: mode='wb', encoding='latin-1'"):
        with atomic_write(tmp_path / "x", "wb", encoding="latin-1"):
            pass
    assert os.listdir(tmp_path) == []


def _temporaries(folder, *names):
    for name in names:
        (folder / name).write_bytes(b"left by a killed write")
    return set(names)


@pytest.mark.skipif(io_utils.fcntl is None, reason="no flock: temporaries are not cleaned")
def test_temporaries_of_killed_writes_are_removed_by_the_next_write(tmp_path):
    _temporaries(tmp_path, ".model.bin.0123abcd.tmp", ".model.bin.fedcba98.tmp")
    # Not temporaries of model.bin: another file's, and names atomic_write never makes.
    others = _temporaries(
        tmp_path,
        ".other.bin.0123abcd.tmp",
        ".model.bin.mine.tmp",
        ".model.bin.0123abcd.tmp.bak",
        "model.bin.0123abcd.tmp",
    )
    with atomic_write(tmp_path / "model.bin") as handle:
        handle.write(b"new")
    assert set(os.listdir(tmp_path)) == {"model.bin", *others}


def test_the_temporary_of_a_write_in_progress_is_kept(tmp_path):
    target = tmp_path / "model.bin"
    with atomic_write(target) as first:
        first.write(b"first")
        with atomic_write(target) as second:
            second.write(b"second")
        assert os.path.exists(first.name)
        assert target.read_bytes() == b"second"
    assert target.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["model.bin"]
