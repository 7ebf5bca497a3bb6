"""The layout of numkeras files: suffixes, metadata, member names (see docs/file-format.md).

A model file (``.numkeras``, also accepted as ``.keras``) and a weights file (``.weights.npz``)
are zip archives. Both start with ``metadata.json`` and hold the weights as ``weights.json`` (which
layer owns which array) and ``weights/<k>.npy``; a model file adds ``config.json`` (architecture
and compile settings) and ``training.json`` with ``optimizer/<k>.npy`` (the optimizer's state and
the random stream) and ``callbacks/<k>.npy`` (weights kept by callbacks during ``fit``).
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
MODEL_SUFFIXES = (".numkeras", ".keras")
WEIGHTS_SUFFIX = ".weights.npz"
_HDF5_SUFFIXES = (".h5", ".hdf5")
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
    if path.lower().endswith(_HDF5_SUFFIXES):
        raise ValueError(
            f"HDF5 files are not supported: numkeras saves and loads its own zip format. Use "
            f"a path ending in {' or '.join(suffixes)}. Received: {argument}={path!r}"
        )
    if not path.endswith(suffixes):
        hint = ""
        if suffixes == MODEL_SUFFIXES and path.endswith(WEIGHTS_SUFFIX):
            hint = " A .weights.npz file holds weights only: build the model, then load_weights."
        raise ValueError(
            f"The file path must end in {' or '.join(suffixes)}.{hint} Received: "
            f"{argument}={path!r}"
        )
    return path


def open_file(source: Any, kinds: tuple[str, ...], what: str) -> tuple[ArchiveReader, str]:
    """Open a numkeras file of one of ``kinds``; return the reader and the file's kind.

    Checks the metadata (a Keras file, a newer format or another kind are refused with a
    message that says so) and that every member has a name of that kind's layout.
    """
    reader = ArchiveReader(source, what)
    try:
        kind = _check_metadata(reader, kinds)
        pattern = _MEMBERS[kind]
        for name in reader.names:
            if not pattern.fullmatch(name):
                reader.fail(
                    f"it holds an unexpected member {name!r} (a {kind} file holds only "
                    f"{pattern.pattern})"
                )
    except BaseException:
        reader.__exit__(None, None, None)
        raise
    return reader, kind


def _check_metadata(reader: ArchiveReader, kinds: tuple[str, ...]) -> str:
    names = set(reader.names)
    meta = reader.read_json("metadata.json") if "metadata.json" in names else None
    if "model.weights.h5" in names or (isinstance(meta, dict) and "keras_version" in meta):
        version = meta.get("keras_version") if isinstance(meta, dict) else None
        reader.fail(
            f"it was written by Keras (keras_version={version!r}), and numkeras reads "
            "only the files it writes. Rebuild the architecture with numkeras layers "
            "and copy the weights over with set_weights"
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
    "MODEL",
    "MODEL_SUFFIXES",
    "WEIGHTS",
    "WEIGHTS_SUFFIX",
    "ModelFileError",
    "checked_path",
    "describe",
    "metadata",
    "open_file",
]
