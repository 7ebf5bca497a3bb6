"""File writing that never leaves a half-written file behind.

Every file numkeras writes (saved models, checkpoints, plots, downloaded datasets) goes through
:func:`atomic_write`, so a crash, a full disk or an interrupt mid-write leaves either the old file
or the new one, never a truncated mix that a later load would trip over; and the temporary file
of a writer that was killed outright is removed by the next write of the same file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: no flock, so temporaries of killed writers stay there
    fcntl = None

_MODES = ("wb", "w", "wt")
#: The name of a temporary file of ``{target}``: ``.{target}.{8 hex digits}.tmp``.
_TEMPORARY = r"\.{target}\.[0-9a-f]{{8}}\.tmp"


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

    A process killed outright (``kill -9``, a power cut) cannot delete its temporary file, so
    each write first removes the temporaries of ``path`` whose writer is gone: a writer holds an
    exclusive ``flock`` on its temporary file until it is renamed or deleted, and the kernel
    releases the lock when the process dies, however it dies. A temporary that can be locked
    is therefore abandoned, and one that cannot is being written and is left alone. (A lock,
    not a process id in the name: process ids are reused, and differ between the containers
    that may share a folder.) Where there is no ``flock`` (Windows, or a file system without
    locks) nothing is removed.

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
        raise ValueError(
            f"encoding is only for text modes. Received: mode={mode!r}, encoding={encoding!r}"
        )
    target = Path(path)
    _remove_abandoned_temporaries(target)
    tmp, handle, lock = _create_temporary(target, "wb" if "b" in mode else "w", encoding)
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
    finally:  # only now: until the rename or the unlink, the temporary is not abandoned
        if lock is not None:
            os.close(lock)
    _fsync_folder(target.parent)


def _create_temporary(
    target: Path, mode: str, encoding: str | None
) -> tuple[Path, IO[Any], int | None]:
    """A new temporary file beside ``target``, open, and the descriptor that holds its lock."""
    # "x" mode creates the file with the usual permissions (0o666 minus the umask), unlike
    # tempfile.mkstemp's 0o600, so the result looks like any file that open(path, "w") makes.
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            handle = open(tmp, mode.replace("w", "x"), encoding=encoding)
        except FileExistsError:
            continue
        lock = _lock(handle)
        # Another write's cleanup may have found the file before it was locked, and removed it.
        if lock is None or _is_file(tmp, lock):
            return tmp, handle, lock
        os.close(lock)
        handle.close()


def _lock(handle: IO[Any]) -> int | None:
    """A descriptor holding an exclusive flock on ``handle``'s file, or None without flock.

    A duplicate descriptor shares the lock, and keeps it after ``handle`` is closed, until the
    file has been renamed.
    """
    if fcntl is None:
        return None
    lock = os.dup(handle.fileno())
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits only while a cleanup looks at this file
    except OSError:  # a file system without locks
        os.close(lock)
        return None
    return lock


def _remove_abandoned_temporaries(target: Path) -> None:
    """Delete the temporaries of ``target`` whose writer is gone (see :func:`atomic_write`)."""
    if fcntl is None:
        return
    pattern = re.compile(_TEMPORARY.format(target=re.escape(target.name)))
    try:
        names = [entry.name for entry in os.scandir(target.parent)]
    except OSError:  # a missing folder: the write itself reports it
        return
    for name in filter(pattern.fullmatch, names):
        tmp = target.with_name(name)
        # Never follow a link, never block on a FIFO: only a plain file of ours is locked.
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        with contextlib.suppress(OSError):  # locked by a live writer, gone, or not ours
            fd = os.open(tmp, flags)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _is_file(tmp, fd):
                    os.unlink(tmp)
            finally:
                os.close(fd)


def _is_file(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        named = os.lstat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


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


def file_digest(path: str | os.PathLike[str], digest: Any) -> str:
    """The hex digest of the file ``path`` by the ``hashlib`` object ``digest`` (e.g.
    ``hashlib.sha256()``), read in 1 MiB pieces so that a large file costs no memory."""
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
