"""The search order shared by the MNIST-style datasets, and what a load returns.

A full dataset is looked for, in order: numkeras's cache, Keras's cache, folders where system
packages install it; then it is downloaded from a list of mirrors into numkeras's cache. Files
found along the way are used only if their SHA-256 matches; each place looked at is recorded, so
a failure can say exactly what was tried.
"""

from __future__ import annotations

import contextlib
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from numkeras.datasets import _fetch
from numkeras.datasets._fetch import DataFile
from numkeras.datasets._idx import parse_idx, read_idx

#: The arrays of a dataset, in Keras's order, with the number of dimensions of each.
ROLES = {"x_train": 3, "y_train": 1, "x_test": 3, "y_test": 1}

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class DatasetUnavailableError(OSError):
    """A dataset is in none of the places looked at and could not be downloaded either.

    The message lists every place and mirror tried, and how to install the files by hand;
    ``tried`` holds the same list, one line per place or mirror.
    """

    def __init__(self, message: str, tried: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.tried = tuple(tried)


@dataclass(frozen=True, eq=False)
class LoadedData:
    """The four arrays of a dataset and a note of where they came from.

    Attributes:
        x_train, y_train, x_test, y_test: the arrays, uint8, as ``load_data`` returns them.
        source: one line saying which data this is and where it came from, to print.
        is_sample: True when this is the small sample packaged with numkeras, not the full set.
        tried: the places looked at before these arrays were found, one line each (for a
            sample, why the full set was not used).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    is_sample: bool = False
    tried: tuple[str, ...] = ()

    @property
    def data(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``(x_train, y_train), (x_test, y_test)``, the value Keras's ``load_data`` returns."""
        return (self.x_train, self.y_train), (self.x_test, self.y_test)


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the search needs to know about one dataset."""

    title: str  # "MNIST", for messages
    module: str  # "mnist": the hint names numkeras.datasets.<module>.load_data
    folder: str  # folder of the IDX files, in numkeras's cache and (when Keras uses one) Keras's
    files: Mapping[str, DataFile]  # keyed by ROLES
    mirrors: Sequence[str]  # base URLs that serve the IDX files
    npz: DataFile | None = None  # Keras's one-file form, which Keras caches instead of a folder
    npz_mirrors: Sequence[str] = ()
    system_dirs: Mapping[str, Path] = field(default_factory=dict)  # description -> folder
    hint: str = ""  # a last line for the error message


def load_explicit(spec: DatasetSpec, path: Path) -> LoadedData:
    """Arrays from a file or folder the caller named: a Keras-style ``.npz`` or the IDX files.

    The caller's own files are trusted: they are checked for structure, not for checksums.
    """
    if path.is_dir():
        paths = {role: _find(path, spec.files[role].name) for role in ROLES}
        missing = [spec.files[role].name for role, found in paths.items() if found is None]
        if missing:
            raise FileNotFoundError(
                f"The folder {path} lacks {', '.join(missing)} (or the same "
                f"without .gz). Received: path={str(path)!r}"
            )
        arrays = _read_idx_files(paths)
    elif path.is_file():
        arrays = _read_npz(path)
    else:
        raise FileNotFoundError(
            f"No file or folder at the given path. Received: path={str(path)!r}"
        )
    return LoadedData(*arrays, source=f"{spec.title} ({counts(arrays)}) from {path}")


def load_verified_folder(folder: Path, files: Mapping[str, DataFile]) -> Arrays:
    """Arrays from the IDX files of ``folder``, which must match their checksums."""
    found = _read_verified({role: folder / files[role].name for role in ROLES}, files)
    if isinstance(found, Mismatch):
        raise ValueError(f"{found.path} is damaged ({found.problem}); reinstall numkeras.")
    return found


def load_full(spec: DatasetSpec, timeout: float) -> LoadedData:
    """The full dataset from the first place that holds a verified copy, else downloaded.

    Raises:
        DatasetUnavailableError: if no place has it and no mirror could deliver it.
    """
    tried: list[str] = []
    cache, keras = _fetch.numkeras_cache_dir(), _fetch.keras_cache_dir()
    places = [("the numkeras cache", cache / spec.folder)]
    if spec.npz is not None:
        places.insert(0, ("the numkeras cache", cache / spec.npz.name))
        places.append(("the Keras cache", keras / spec.npz.name))
    else:
        places.append(("the Keras cache", keras / spec.folder))
    places += spec.system_dirs.items()
    for where, location in places:
        arrays = _read_checked(spec, location, tried, f"{where} {location}")
        if arrays is not None:
            return LoadedData(
                *arrays,
                source=f"{spec.title} ({counts(arrays)}) from {where} {location}",
                tried=tuple(tried),
            )
    downloaded = _download(spec, cache, timeout, tried)
    if downloaded is not None:
        origin, location = downloaded
        arrays = _read_checked(spec, location, tried, f"the download {location}")
        if arrays is not None:
            return LoadedData(
                *arrays,
                source=f"{spec.title} ({counts(arrays)}) downloaded from {origin} into {location}",
                tried=tuple(tried),
            )
    raise DatasetUnavailableError(_unavailable_message(spec, cache, tried), tried)


def _read_checked(spec: DatasetSpec, location: Path, tried: list[str], label: str) -> Arrays | None:
    # A place that lacks the files, or holds files that fail their checksum, is noted and
    # skipped rather than fatal: the next place, or a fresh download, may still succeed.
    if spec.npz is not None and location.name == spec.npz.name:
        if not location.is_file():
            tried.append(f"{label}: not found")
            return None
        problem = _fetch.mismatch(location, spec.npz)
        if problem is not None:
            tried.append(f"{label}: ignored, {problem}")
            return None
        return _read_npz(location)
    if not location.is_dir():
        tried.append(f"{label}: not found")
        return None
    paths = {role: _find(location, spec.files[role].name) for role in ROLES}
    missing = [spec.files[role].name for role, path in paths.items() if path is None]
    if missing:
        tried.append(f"{label}: incomplete, no {', '.join(missing)}")
        return None
    found = _read_verified(paths, spec.files)
    if isinstance(found, Mismatch):
        tried.append(f"{label}: ignored, {found.path.name}: {found.problem}")
        return None
    return found


def _download(
    spec: DatasetSpec, cache: Path, timeout: float, tried: list[str]
) -> tuple[str, Path] | None:
    if spec.npz is not None:
        target = cache / spec.npz.name
        for base in spec.npz_mirrors:
            if _fetch_one(base + spec.npz.name, target, spec.npz, timeout, tried):
                return base + spec.npz.name, target
    folder = cache / spec.folder
    # Files already in the cache and verified (a download cut short earlier) are kept.
    pending = [
        f
        for f in spec.files.values()
        if not (folder / f.name).is_file() or _fetch.mismatch(folder / f.name, f)
    ]
    for base in spec.mirrors:
        for expected in list(pending):
            # The first failure skips the rest of this mirror: a dead server fails the same way
            # for every file, and each try can cost the whole timeout.
            if not _fetch_one(
                base + expected.name, folder / expected.name, expected, timeout, tried
            ):
                break
            pending.remove(expected)
        if not pending:
            return base, folder
    return None


def _fetch_one(
    url: str, target: Path, expected: DataFile, timeout: float, tried: list[str]
) -> bool:
    try:
        created = _make_folders(target.parent)
    except OSError as error:
        tried.append(f"{url}: cannot create the cache folder {target.parent} ({error})")
        return False
    try:
        _fetch.download(url, target, expected, timeout)
    except _fetch.DOWNLOAD_ERRORS as error:
        reason = _fetch.describe_error(error, timeout)
        tried.append(f"{url}: {reason}")
        # Said at once, under download()'s "Downloading data from <url>" line: a user watching
        # a slow fallback learns why each mirror failed, not only that the next one is tried.
        print(f"  failed: {reason}", file=sys.stderr)
        for folder in reversed(created):  # a failed download leaves nothing behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        return False
    return True


def _make_folders(folder: Path) -> list[Path]:
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
    return list(reversed(missing))


def _find(folder: Path, name: str) -> Path | None:
    # People often gunzip the files they place by hand; the IDX reader takes both forms.
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _read_idx_files(paths: Mapping[str, Path]) -> Arrays:
    arrays = tuple(read_idx(paths[role], ndim) for role, ndim in ROLES.items())
    _check_pairs(arrays, ", ".join(str(paths[role]) for role in ROLES))
    return arrays


class Mismatch(NamedTuple):
    """A file that is not the one its checksums describe, and why."""

    path: Path
    problem: str


def _read_verified(paths: Mapping[str, Path], files: Mapping[str, DataFile]) -> Arrays | Mismatch:
    """The arrays of the IDX files ``paths``, or the first that is not the file ``files``
    describes.

    No file is parsed before it has passed its checksum. A file whose own SHA-256 matches is
    read; a ``.gz`` that was re-compressed (Debian's) is decompressed once, into a buffer no
    larger than its expected content, whose digest is checked before the buffer is parsed.
    """
    arrays = []
    for role, ndim in ROLES.items():
        path, expected = paths[role], files[role]
        digest = _fetch.sha256(path)
        if digest in (expected.sha256, expected.raw_sha256):
            arrays.append(read_idx(path, ndim))
            continue
        content = _fetch.verified_content(path, expected)
        if content is None:
            return Mismatch(path, _fetch.wrong_digest(digest, expected))
        arrays.append(parse_idx(content, ndim, path))
    _check_pairs(tuple(arrays), ", ".join(str(paths[role]) for role in ROLES))
    return tuple(arrays)


def _read_npz(path: Path) -> Arrays:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a readable .npz file ({error}).") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path} holds a single array; a dataset .npz holds the arrays {', '.join(ROLES)}."
        )
    with loaded:
        missing = [key for key in ROLES if key not in loaded.files]
        if missing:
            raise ValueError(
                f"{path} lacks the arrays {', '.join(missing)}; a dataset .npz "
                f"holds {', '.join(ROLES)}. Found: {', '.join(loaded.files)}"
            )
        arrays = tuple(loaded[key] for key in ROLES)
    _check_pairs(arrays, str(path))
    return arrays


def _check_pairs(arrays: Arrays, where: str) -> None:
    for (name, ndim), array in zip(ROLES.items(), arrays, strict=True):
        if array.ndim != ndim:
            layout = "(count, rows, columns)" if ndim == 3 else "(count,)"
            raise ValueError(f"{name} in {where} has shape {array.shape}, expected {layout}.")
    for images, labels, split in ((arrays[0], arrays[1], "train"), (arrays[2], arrays[3], "test")):
        if len(images) != len(labels):
            raise ValueError(
                f"{where}: x_{split} has {len(images):,} images but y_{split} has "
                f"{len(labels):,} labels."
            )


def counts(arrays: Arrays) -> str:
    """``"60,000 training + 10,000 test images"``, for the one-line source of a load."""
    return f"{len(arrays[0]):,} training + {len(arrays[2]):,} test images"


def _unavailable_message(spec: DatasetSpec, cache: Path, tried: list[str]) -> str:
    lines = [f"{spec.title} is not on this machine and could not be downloaded. Tried, in order:"]
    lines += [f"  - {entry}" for entry in tried]
    lines.append("To install it by hand, download on a machine with internet access")
    if spec.npz is not None:
        origin = f"{spec.npz_mirrors[0]}{spec.npz.name}" if spec.npz_mirrors else spec.npz.name
        lines.append(
            f"  {origin} (sha256 {spec.npz.sha256}) and put it at {cache / spec.npz.name}, or"
        )
    origin = f" from {spec.mirrors[0]}" if spec.mirrors else ""
    lines.append(
        f"  the four files {', '.join(f.name for f in spec.files.values())}{origin} "
        f"and put them in the folder {cache / spec.folder},"
    )
    kinds = "a .npz file or a folder" if spec.npz is not None else "a folder"
    lines.append(
        f"or pass their place: numkeras.datasets.{spec.module}.load_data(path=...) "
        f"takes {kinds} holding the four files."
    )
    if spec.hint:
        lines.append(spec.hint)
    return "\n".join(lines)
