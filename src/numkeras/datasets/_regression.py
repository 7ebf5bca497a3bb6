"""What the regression datasets (Boston and California housing) share: Keras's ``.npz`` with
arrays ``x`` and ``y``, where Keras's ``path`` argument points, and Keras's shuffled split."""

from __future__ import annotations

import dataclasses
import numbers
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numkeras.datasets._fetch import DataFile
from numkeras.datasets._single_file import SingleFileSpec, locate

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: Where Keras downloads both files from; each dataset module holds it as its own MIRRORS.
MIRRORS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)


def check_test_split(test_split: float) -> None:
    """Raise unless ``0 <= test_split < 1``, the range Keras accepts."""
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real):
        raise ValueError(
            f"test_split must be a number in [0, 1). Received: test_split={test_split!r}"
        )
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1). Received: test_split={test_split!r}")


def find_npz(
    title: str,
    file: DataFile,
    mirrors: Sequence[str],
    path: str | os.PathLike[str],
    timeout: float,
) -> Path:
    """The file (an ``.npz``, a word index's ``.json``) that Keras's ``path`` argument means,
    for the dataset ``title`` published as ``file`` at ``mirrors``.

    An existing file is taken as it is (the caller's own file: its structure is checked, not its
    checksum). Otherwise ``path`` is, as in Keras, the file's name inside the caches (Keras's
    default is the published name): it is looked for under that name, checked against the
    published checksum, and downloaded under that name when no cache has it.
    """
    given = Path(path).expanduser()
    if given.is_file():
        return given
    if given.name != os.fspath(path):
        raise FileNotFoundError(
            f"No file at the given path, and a path with folders cannot name a file in the "
            f"dataset caches. Received: path={os.fspath(path)!r}"
        )
    named = dataclasses.replace(file, name=given.name)
    return locate(SingleFileSpec(title, named, mirrors, keras_names=(given.name,)), timeout)


def read_xy(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The arrays ``x`` (samples, features) and ``y`` (samples,) of a Keras regression ``.npz``,
    read without pickle."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a readable .npz file ({error}).") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds a single array; a regression .npz holds arrays x and y.")
    with loaded:
        missing = [key for key in ("x", "y") if key not in loaded.files]
        if missing:
            raise ValueError(
                f"{path} lacks the arrays {', '.join(missing)}; a regression .npz holds x and "
                f"y. Found: {', '.join(loaded.files) or 'nothing'}"
            )
        try:
            x, y = loaded["x"], loaded["y"]
        except ValueError as error:  # an object array, which only pickle could read
            raise ValueError(f"{path} is not a readable .npz file ({error}).") from None
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(
            f"{path} must hold x of shape (samples, features) and y of shape (samples,). "
            f"Found: x {x.shape}, y {y.shape}"
        )
    return x, y


def shuffle_split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int) -> Split:
    """Keras's split: shuffle with ``np.random.RandomState(seed)``, then the first
    ``int(n * (1 - test_split))`` samples train and the rest test."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    # The same float expression as Keras's, so that the cut falls on the same sample.
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
