"""The layout of numkeras files: suffixes, metadata, member names (see docs/file-format.md).

A model file (``.numkeras``; before numkeras wrote Keras 3's ``.keras`` format, see
:mod:`.keras_file`, it wrote its own under that name too) and a weights file (``.weights.npz``)
are zip archives. Both start with ``metadata.json`` and hold the weights as ``weights.json``
(which layer owns which array) and ``weights/<k>.npy``; a model file adds ``config.json``
(architecture and compile settings) and ``training.json`` with ``optimizer/<k>.npy`` (the
optimizer's state and the random stream) and ``callbacks/<k>.npy`` (weights kept by callbacks
during ``fit``).
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

from .. import __version__
from .archive import ArchiveReader, ModelFileError

FORMAT_VERSION = 1
MODEL, WEIGHTS = "model", "weights"
NUMKERAS_SUFFIX, KERAS_SUFFIX = ".numkeras", ".keras"
#: What ``model.save`` writes: numkeras's own format, or Keras 3's.
MODEL_SUFFIXES = (NUMKERAS_SUFFIX, KERAS_SUFFIX)
WEIGHTS_SUFFIX = ".weights.npz"
#: Keras 2's HDF5 files (whole models, or weights), read and written (see keras_legacy_h5).
HDF5_SUFFIXES = (".h5", ".hdf5")
READ_SUFFIXES = (*MODEL_SUFFIXES, *HDF5_SUFFIXES)
#: Member names each kind of file may hold; anything else makes the file invalid.
_MEMBERS = {
    MODEL: re.compile(
        r"(metadata|config|weights|training)\.json|(weights|optimizer|callbacks)/\d{1,9}\.npy"
    ),
    WEIGHTS: re.compile(r"(metadata|weights)\.json|weights/\d{1,9}\.npy"),
}


def metadata(kind: str) -> dict[str, Any]:
    """The ``metadata.json`` of a new file of ``kind`` (``"model"`` or ``"weights"``)."""
    return {
        "format": "numkeras",
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "numkeras_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }


def checked_path(filepath: Any, suffixes: tuple[str, ...], argument: str = "filepath") -> str:
    """``filepath`` as a string if it ends in one of ``suffixes``; else a ValueError saying why."""
    path = os.fspath(filepath)
    if not path.endswith(suffixes):
        hint = ""
        if path.endswith(WEIGHTS_SUFFIX):
            hint = " A .weights.npz file holds weights only: build the model, then load_weights."
        raise ValueError(
            f"The file path must end in {' or '.join(suffixes)}.{hint} Received: "
            f"{argument}={path!r}"
        )
    return path


def is_hdf5_path(filepath: Any) -> bool:
    """Whether ``filepath`` is a path naming a Keras 2 HDF5 file (``.h5``, ``.hdf5``; test
    for Keras 3's ``.weights.h5`` first, as Keras 3 tells them apart by that suffix)."""
    return isinstance(filepath, (str, os.PathLike)) and os.fspath(filepath).lower().endswith(
        HDF5_SUFFIXES
    )


def open_file(source: Any, kinds: tuple[str, ...], what: str) -> tuple[ArchiveReader, str]:
    """Open a numkeras file of one of ``kinds``; return the reader and the file's kind.

    See :func:`check_file`.
    """
    reader = ArchiveReader(source, what)
    try:
        kind = check_file(reader, kinds)
    except BaseException:
        reader.__exit__(None, None, None)
        raise
    return reader, kind


def check_file(reader: ArchiveReader, kinds: tuple[str, ...]) -> str:
    """The kind of the numkeras file open in ``reader``, once it is one of ``kinds``.

    Checks the metadata (a Keras file, a newer format or another kind are refused with a
    message that says so) and that every member has a name of that kind's layout.
    """
    kind = _check_metadata(reader, kinds)
    check_members(reader, _MEMBERS[kind], f"a {kind} file")
    return kind


def check_members(reader: ArchiveReader, pattern: re.Pattern[str], holder: str) -> None:
    """Refuse a file with a member whose name ``pattern`` does not match in full."""
    for name in reader.names:
        if not pattern.fullmatch(name):
            reader.fail(
                f"it holds an unexpected member {name!r} ({holder} holds only {pattern.pattern})"
            )


def is_keras_file(reader: ArchiveReader) -> bool:
    """Whether the zip open in ``reader`` is in Keras 3's ``.keras`` format (numkeras's own
    files say ``"format": "numkeras"`` in ``metadata.json``, Keras's have ``model.weights.h5``
    or a ``keras_version``)."""
    names = set(reader.names)
    meta = reader.read_json("metadata.json") if "metadata.json" in names else None
    if isinstance(meta, dict) and meta.get("format") == "numkeras":
        return False
    return "model.weights.h5" in names or (isinstance(meta, dict) and "keras_version" in meta)


def reads_as_keras(reader: ArchiveReader, source: Any) -> bool:
    """Whether ``source``, open in ``reader``, is read as a Keras 3 ``.keras`` file: one in
    Keras's format, given as a ``.keras`` path or an open file (other suffixes are numkeras's
    own, and a Keras file under them is refused as such)."""
    by_name = not hasattr(source, "read") and not os.fspath(source).endswith(KERAS_SUFFIX)
    return not by_name and is_keras_file(reader)


def _check_metadata(reader: ArchiveReader, kinds: tuple[str, ...]) -> str:
    names = set(reader.names)
    meta = reader.read_json("metadata.json") if "metadata.json" in names else None
    if is_keras_file(reader):
        version = meta.get("keras_version") if isinstance(meta, dict) else None
        reader.fail(
            f"it is in Keras 3's format (keras_version={version!r}), which numkeras reads "
            "from files named .keras, not .numkeras: rename it"
        )
    if not isinstance(meta, dict) or meta.get("format") != "numkeras":
        reader.fail("it has no metadata.json saying format 'numkeras'")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        reader.fail(f"metadata.json has an invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        reader.fail(
            f"it has format_version {version}, written by a newer numkeras; this "
            f"numkeras ({__version__}) reads format_version {FORMAT_VERSION}. Upgrade "
            "numkeras to load it"
        )
    kind = meta.get("kind")
    if kind not in kinds:
        wanted = " or ".join(kinds)
        reader.fail(
            f"it is a {kind!r} file where a {wanted} file is needed"
            + (": build the model, then call model.load_weights()" if kind == WEIGHTS else "")
        )
    return kind


def describe(source: Any, noun: str) -> str:
    """How error messages name a file: ``Model file 'm.numkeras'``."""
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "(file object)"
    return f"{noun} {name!r}"


__all__ = [
    "FORMAT_VERSION",
    "HDF5_SUFFIXES",
    "KERAS_SUFFIX",
    "MODEL",
    "MODEL_SUFFIXES",
    "NUMKERAS_SUFFIX",
    "READ_SUFFIXES",
    "WEIGHTS",
    "WEIGHTS_SUFFIX",
    "ModelFileError",
    "check_file",
    "check_members",
    "checked_path",
    "describe",
    "is_hdf5_path",
    "is_keras_file",
    "metadata",
    "open_file",
    "reads_as_keras",
]
