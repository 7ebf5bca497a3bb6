"""File writing that never leaves a half-written file behind.

Every file numkeras writes (saved models, checkpoints, plots, downloaded datasets) goes through
:func:`atomic_write`, so a crash, a full disk or an interrupt mid-write leaves either the old file
or the new one, never a truncated mix that a later load would trip over.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_MODES = ("wb", "w", "wt")


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one step.

    The temporary file lives in the same folder as ``path`` (so the final ``os.replace`` is a
    rename on one file system, which is atomic). When the ``with`` block ends normally the data
    is flushed and fsynced, then renamed over ``path``, and the folder is fsynced so the rename
    survives a power cut. When the block raises, the temporary file is deleted and ``path`` is
    left exactly as it was.

    Args:
        path: the file to create or replace. Its folder must exist.
        mode: ``"wb"`` (binary, the default) or ``"w"`` / ``"wt"`` (text).
        encoding: text encoding for text modes; defaults to UTF-8 (not the locale's).

    Yields:
        The open temporary file. Its ``.name`` is the temporary path, so a caller can check what
        it wrote (a checksum, say) before the block ends, and raise to discard it.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}. Received: mode={mode!r}")
    if "b" in mode and encoding is not None:
        raise ValueError(f"encoding is only for text modes. Received: mode={mode!r}, "
                         f"encoding={encoding!r}")
    target = Path(path)
    tmp, handle = _create_temporary(target, "wb" if "b" in mode else "w", encoding)
    try:
        with handle:
            _keep_mode(target, tmp)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(target.parent)


def _create_temporary(target: Path, mode: str, encoding: str | None) -> tuple[Path, IO[Any]]:
    # "x" mode creates the file with the usual permissions (0o666 minus the umask), unlike
    # tempfile.mkstemp's 0o600, so the result looks like any file that open(path, "w") makes.
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, open(tmp, mode.replace("w", "x"), encoding=encoding)
        except FileExistsError:
            continue


def _keep_mode(target: Path, tmp: Path) -> None:
    # Replacing a file keeps its permissions, as writing into it in place would.
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))


def _fsync_folder(folder: Path) -> None:
    # Not every platform can open or fsync a directory (Windows cannot); the rename has happened
    # either way, this only makes it durable where that is possible.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
