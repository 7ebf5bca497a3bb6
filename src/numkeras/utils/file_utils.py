"""``get_file``: download a file into Keras's cache once, check it, and unpack archives safely.

Downloads go through :func:`numkeras.utils.io_utils.atomic_write`, so the cache never holds a
partial file; a file that fails its hash is deleted, never kept. Archives are unpacked into a
temporary folder and renamed into place, and a member that would land outside that folder (an
absolute path, ``..``, a link) stops the extraction: a downloaded archive is untrusted input.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.parse
import zipfile
from pathlib import Path
from typing import Any

from .io_utils import atomic_write, file_digest

_CHUNK = 1 << 16
_DATA_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | list[str] | None = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = False,
    timeout: float = 60.0,
) -> str:
    """Download ``origin`` to ``<cache_dir>/<cache_subdir>/<fname>`` unless it is there
    already (and matches ``file_hash``), with Keras 3's arguments and cache layout.

    Args:
        fname: the file's name in the cache; defaults to the last part of ``origin``'s path.
        origin: the URL to download from.
        untar: Keras 1's ``extract=True, archive_format='tar'``.
        md5_hash: Keras 1's ``file_hash`` with ``hash_algorithm='md5'``.
        file_hash: the expected SHA-256 or MD5 hex digest; a cached file that does not match
            is downloaded again, a download that does not match raises a ValueError.
        cache_subdir: the folder under ``cache_dir``. Defaults to ``'datasets'``.
        hash_algorithm: ``'sha256'``, ``'md5'`` or ``'auto'`` (by the digest's length).
        extract: unpack the file (a tar or zip archive) and return the folder it unpacks to:
            ``<fname up to its first dot>_extracted``, as Keras 3 names it.
        archive_format: ``'auto'`` (tar, then zip), ``'tar'``, ``'zip'``, a list of them, or
            None (no extraction).
        cache_dir: defaults to ``$KERAS_HOME``, else ``~/.keras``: the cache Keras uses.
        force_download: download even when the file is cached.
        timeout: seconds to wait for the server at each step (numkeras's addition).

    Returns:
        The path of the file, or of the folder it was extracted to.
    """
    if origin is None:
        raise ValueError("get_file needs origin, the URL of the file. Received: origin=None")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            "hash_algorithm must be 'auto', 'sha256' or 'md5'. Received: "
            f"hash_algorithm={hash_algorithm!r}"
        )
    folder = _cache_folder(cache_dir) / cache_subdir
    folder.mkdir(parents=True, exist_ok=True)
    given = fname is not None
    fname = os.fspath(fname) if given else Path(urllib.parse.urlsplit(origin).path).name
    if not fname:
        raise ValueError(f"get_file cannot take a file name from origin={origin!r}: give fname.")
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "fname must be a file name, not a path: give its folder as cache_dir. Received: "
            f"fname={fname!r}"
        )
    if extract or untar:
        if given and "." in fname:
            target, unpacked = folder / fname, folder / f"{fname[: fname.find('.')]}_extracted"
        else:
            target, unpacked = folder / f"{fname}_archive", folder / fname
    else:
        target = folder / fname
    if force_download or not target.exists() or not _matches(target, file_hash, hash_algorithm):
        _download(origin, target, file_hash, hash_algorithm, timeout)
    if not (extract or untar):
        return os.fspath(target)
    formats = "tar" if untar else archive_format
    if not unpacked.exists() or force_download:
        _extract(target, unpacked, formats)
    return os.fspath(unpacked)


def _cache_folder(cache_dir: str | os.PathLike[str] | None) -> Path:
    if cache_dir is None:
        home = os.environ.get("KERAS_HOME")
        cache_dir = home if home else Path.home() / ".keras"
    folder = Path(cache_dir).expanduser()
    # Keras falls back to a temporary folder where the cache is not writable; so does this.
    if folder.exists() and not os.access(folder, os.W_OK):
        folder = Path(tempfile.gettempdir()) / ".keras"
    return folder


def _hasher(file_hash: str, hash_algorithm: str) -> Any:
    if hash_algorithm == "md5" or (hash_algorithm == "auto" and len(file_hash) == 32):
        return hashlib.md5()
    return hashlib.sha256()


def _matches(path: Path, file_hash: str | None, hash_algorithm: str) -> bool:
    """Whether ``path`` has the digest ``file_hash`` (True when none is given)."""
    if file_hash is None:
        return True
    return file_digest(path, _hasher(file_hash, hash_algorithm)) == file_hash.lower()


def _download(
    origin: str, target: Path, file_hash: str | None, hash_algorithm: str, timeout: float
) -> None:
    from ..datasets._fetch import _urlopen  # the one HTTP client numkeras's downloads use

    print(f"Downloading data from {origin}", file=sys.stderr)
    with _urlopen(origin, timeout) as response, atomic_write(target, "wb") as out:
        while chunk := response.read(_CHUNK):
            out.write(chunk)
        out.flush()
        if not _matches(Path(out.name), file_hash, hash_algorithm):
            raise ValueError(
                f"The file downloaded from {origin} does not match file_hash={file_hash!r}: it "
                "is incomplete or not the file expected, and was not kept."
            )


def _extract(archive: Path, folder: Path, formats: str | list[str] | None) -> None:
    """Unpack ``archive`` into ``folder`` (created whole, or not at all)."""
    if formats is None:
        raise ValueError("extract=True needs an archive_format other than None.")
    kinds = (
        ["tar", "zip"] if formats == "auto" else [formats] if isinstance(formats, str) else formats
    )
    for kind in kinds:
        if kind not in ("tar", "zip"):
            raise ValueError(f"archive_format must be 'tar' or 'zip'. Received: {kind!r}")
    kind = next(
        (k for k in kinds if (tarfile.is_tarfile if k == "tar" else zipfile.is_zipfile)(archive)),
        None,
    )
    if kind is None:
        raise ValueError(
            f"{archive} is not a {' or '.join(kinds)} archive, so it cannot be extracted."
        )
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        if kind == "tar":
            with tarfile.open(archive) as tar:
                for member in tar.getmembers():
                    _check_member(member.name, staging, archive)
                    if not (member.isfile() or member.isdir()):
                        raise ValueError(
                            f"{archive} holds {member.name!r}, which is neither a file nor a "
                            "folder (a link or a device): refused."
                        )
                # The members were checked above; Python's own "data" filter, where it has
                # one, checks them again.
                tar.extractall(staging, **_DATA_FILTER)
        else:
            with zipfile.ZipFile(archive) as zipped:
                for name in zipped.namelist():
                    _check_member(name, staging, archive)
                zipped.extractall(staging)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _check_member(name: str, root: Path, archive: Path) -> None:
    """Refuse a member whose path leaves ``root`` (absolute, or climbing with ``..``)."""
    destination = (root / name).resolve()
    if not destination.is_relative_to(root.resolve()):
        raise ValueError(f"{archive} holds {name!r}, which would be written outside its folder.")
