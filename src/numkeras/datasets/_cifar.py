"""What CIFAR-10 and CIFAR-100 share: Keras's archive of Python batches, read without pickle.

The archive (``cifar-10-python.tar.gz``, ``cifar-100-python.tar.gz``, as the dataset's authors
publish them and as Keras downloads them) is read as a stream, never extracted to disk; each
batch is a pickled dict that :mod:`numkeras.datasets._safe_pickle` reads, so no code in the file
can run. A batch holds ``b"data"``, a uint8 array of shape (n, 3072): each row one 32x32 image,
its red plane, then green, then blue; and its labels under ``b"labels"`` (CIFAR-10) or
``b"fine_labels"`` and ``b"coarse_labels"`` (CIFAR-100), lists of n ints.
"""

from __future__ import annotations

import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from numkeras import backend
from numkeras.datasets._safe_pickle import PickleDataError, loads

#: The most bytes one batch may hold: CIFAR-100's training batch, the largest, is about 160 MB.
MAX_BATCH_BYTES = 512 << 20
#: Bytes per image: 3 colour planes of 32x32 pixels.
PIXELS = 3 * 32 * 32


def read_batches(archive: Path, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The batches ``names`` (paths inside the archive) of a CIFAR ``.tar.gz``, each as a dict
    with ``str`` keys.

    Raises:
        ValueError: the archive is not a readable ``.tar.gz``, lacks a batch, or a batch is not
            a pickled dict of plain data (:class:`~numkeras.datasets._safe_pickle.PickleDataError`).
    """
    wanted, batches = set(names), {}
    try:
        # "r|gz" streams the archive in one pass: no seeking back, nothing written to disk.
        with tarfile.open(archive, "r|gz") as tar:
            for member in tar:
                if member.name not in wanted or not member.isfile():
                    continue
                if member.size > MAX_BATCH_BYTES:
                    raise ValueError(
                        f"{archive}: {member.name} claims {member.size:,} bytes, more than any "
                        f"CIFAR batch ({MAX_BATCH_BYTES:,})."
                    )
                stream = tar.extractfile(member)
                if stream is None:  # only links have no stream, and isfile() excluded them
                    continue
                try:
                    batch = loads(stream.read())
                except PickleDataError as error:
                    raise PickleDataError(f"{archive}: {member.name}: {error}") from None
                batches[member.name] = _keys_as_text(batch, archive, member.name)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ValueError(f"{archive} is not a readable .tar.gz archive ({error}).") from None
    missing = [name for name in names if name not in batches]
    if missing:
        raise ValueError(f"{archive} lacks the CIFAR batches {', '.join(missing)}.")
    return batches


def _keys_as_text(batch: Any, archive: Path, name: str) -> dict[str, Any]:
    # The batches were pickled by Python 2, whose str keys read as bytes (Keras decodes them too).
    if not isinstance(batch, dict):
        raise ValueError(f"{archive}: {name} holds a {type(batch).__name__}, not a dict.")
    return {k.decode("utf-8") if isinstance(k, bytes) else k: v for k, v in batch.items()}


def images_and_labels(
    batches: Sequence[Mapping[str, Any]], label_key: str, classes: int, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """The images of ``batches`` one after the other, as Keras lays them out (``(n, 32, 32, 3)``
    with channels last, the default, else ``(n, 3, 32, 32)``), and their labels ``(n, 1)``
    as int64, the dtype Keras's reshape of the label lists gives."""
    images, labels = [], []
    for batch in batches:
        data, found = batch.get("data"), batch.get(label_key)
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
            raise ValueError(f"{where}: a batch's data is not a 2-D uint8 array.")
        if data.shape[1] != PIXELS:
            raise ValueError(
                f"{where}: images of {data.shape[1]} bytes, expected {PIXELS} (3x32x32)."
            )
        if not isinstance(found, list) or len(found) != len(data):
            raise ValueError(f"{where}: the batch needs a list of {len(data)} {label_key}.")
        if not all(type(label) is int and 0 <= label < classes for label in found):
            raise ValueError(f"{where}: {label_key} must be ints in [0, {classes}).")
        images.append(data)
        labels.extend(found)
    x = np.concatenate(images).reshape(-1, 3, 32, 32)
    if backend.image_data_format() == "channels_last":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return x, np.array(labels, dtype=np.int64).reshape(-1, 1)
