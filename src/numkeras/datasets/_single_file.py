"""The search for a dataset that is one file (an ``.npz``, a ``.tar.gz``), shared with Keras.

The file is looked for, in order: numkeras's cache, then Keras's cache under each name Keras
gives it (Keras 3 keeps an extracted archive as ``<folder>_archive``, Keras 2 as the published
name); then it is downloaded from a list of mirrors into numkeras's cache. A file is used only if
its checksum matches, so a damaged or different file is skipped (and noted) wherever it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from numkeras.datasets import _fetch
from numkeras.datasets._fetch import DataFile
from numkeras.datasets._loader import DatasetUnavailableError, _fetch_one


@dataclass(frozen=True)
class SingleFileSpec:
    """Where one dataset file is looked for and fetched from."""

    title: str  # "CIFAR-10", for messages
    file: DataFile  # its name in numkeras's cache, and its checksum
    mirrors: Sequence[str]  # base URLs that serve it under file.name
    keras_names: Sequence[str]  # its names in Keras's cache


def locate(spec: SingleFileSpec, timeout: float) -> Path:
    """The path of the first verified copy of ``spec.file`` in the caches, else of a download.

    Args:
        spec: the file and where to look for it.
        timeout: seconds to wait for a mirror at each step before trying the next.

    Raises:
        DatasetUnavailableError: no cache holds it and no mirror could deliver it; the message
            lists what was tried and where to put the file by hand.
    """
    tried: list[str] = []
    cache, keras = _fetch.numkeras_cache_dir(), _fetch.keras_cache_dir()
    places = [("the numkeras cache", cache / spec.file.name)]
    places += [("the Keras cache", keras / name) for name in spec.keras_names]
    for where, path in places:
        if not path.is_file():
            tried.append(f"{where} {path}: not found")
            continue
        problem = _fetch.mismatch(path, spec.file)
        if problem is not None:
            # Skipped, not fatal: another cache or a download may still hold the right file.
            tried.append(f"{where} {path}: ignored, {problem}")
            continue
        return path
    target = cache / spec.file.name
    for base in spec.mirrors:
        url = base + spec.file.name
        if _fetch_one(url, target, spec.file, timeout, tried):
            return target
    raise DatasetUnavailableError(_unavailable_message(spec, target, tried), tried)


def _unavailable_message(spec: SingleFileSpec, target: Path, tried: list[str]) -> str:
    lines = [f"{spec.title} is not on this machine and could not be downloaded. Tried, in order:"]
    lines += [f"  - {entry}" for entry in tried]
    origin = spec.mirrors[0] + spec.file.name if spec.mirrors else spec.file.name
    algorithm, published = spec.file.checksum
    lines.append(
        f"To install it by hand, download {origin} ({algorithm} {published}) on a machine "
        f"with internet access and put it at {target}."
    )
    return "\n".join(lines)
