"""What IMDB and Reuters share: Keras's ``.npz`` of ragged word-index sequences, read without
unpickling anything, Keras's re-indexing of those sequences (start mark, index offset,
length filter, vocabulary cut), and the JSON word index that names the indices."""

from __future__ import annotations

import json
import numbers
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numkeras.datasets._fetch import DataFile
from numkeras.datasets._regression import find_npz
from numkeras.datasets._safe_pickle import PickleDataError, loads

Words = list[list[int]]


def check_int(name: str, value: object, *, optional: bool = False) -> None:
    """Raise unless ``value`` is an int ``>= 0`` (or None when ``optional``)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        expected = "an integer >= 0" + (" or None" if optional else "")
        raise ValueError(f"{name} must be {expected}. Received: {name}={value!r}")


def read_sequences(path: Path, pairs: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """The arrays named in ``pairs`` (each a sequences array and its labels array) of a Keras
    ``.npz``, read without running pickle.

    Plain members are read by ``np.load(allow_pickle=False)``; the ragged object arrays, which
    ``np.save`` can only write as a pickle, by the restricted reader, which builds lists and
    numbers and nothing else.

    Raises:
        ValueError: the file is not such an ``.npz``: unreadable, a member missing, a pickle the
            restricted reader refuses, or sequences and labels of other shapes.
    """
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a readable .npz file ({error}).") from None
    names = [name for pair in pairs for name in pair]
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds a single array; this .npz holds {', '.join(names)}.")
    with loaded:
        missing = [name for name in names if name not in loaded.files]
        if missing:
            raise ValueError(
                f"{path} lacks the arrays {', '.join(missing)}; it should hold "
                f"{', '.join(names)}. Found: {', '.join(loaded.files) or 'nothing'}"
            )
        arrays = {name: _member(loaded, path, name) for name in names}
    for x_name, y_name in pairs:
        _check_pair(path, x_name, arrays[x_name], y_name, arrays[y_name])
    return arrays


def _member(loaded: np.lib.npyio.NpzFile, path: Path, name: str) -> np.ndarray:
    try:
        return loaded[name]
    except ValueError:
        pass  # an object array: only its pickle, read by the restricted reader, holds it
    try:
        with loaded.zip.open(f"{name}.npy") as stream:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version in ((2, 0), (3, 0)):
                shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f".npy format version {version}")
            if not dtype.hasobject:
                raise ValueError(f"a {dtype} member that numpy could not read")
            array = loads(stream.read(), object_arrays=True)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        kind = "refused" if isinstance(error, PickleDataError) else "unreadable"
        raise ValueError(f"{path}: the array {name} is {kind} ({error}).") from None
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise ValueError(f"{path}: the array {name} does not hold the {shape} its header says.")
    return array


def _check_pair(path: Path, x_name: str, x: np.ndarray, y_name: str, y: np.ndarray) -> None:
    ragged = x.ndim == 1 and x.dtype == object
    if not (ragged or (x.ndim == 2 and x.dtype.kind in "iu")) or y.ndim != 1 or len(x) != len(y):
        raise ValueError(
            f"{path} must hold {x_name}, one sequence of word indices per sample, and {y_name} "
            f"of shape (samples,). Found: {x_name} {x.dtype} {x.shape}, {y_name} {y.shape}"
        )
    if ragged:
        for index, sequence in enumerate(x):
            if not isinstance(sequence, (list, tuple, np.ndarray)):
                raise ValueError(
                    f"{path}: {x_name}[{index}] must be a sequence of word indices. "
                    f"Found: {type(sequence).__name__}"
                )


def shuffled(rng: np.random.RandomState, x: np.ndarray, y: np.ndarray) -> tuple:
    """``x`` and ``y`` in the order of one ``rng.shuffle`` of their indices, as Keras draws it."""
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], y[indices]


def mark(sequences: np.ndarray, start_char: int | None, index_from: int) -> Words:
    """Each sequence as a list: its indices plus ``index_from``, after ``start_char`` if any."""
    head = [] if start_char is None else [start_char]
    return [head + [w + index_from for w in sequence] for sequence in sequences]


def drop_long(maxlen: int | None, sequences: Words, labels: np.ndarray) -> tuple[Words, np.ndarray]:
    """Keras's length filter: with a ``maxlen`` (0 and None mean none), only the sequences
    strictly shorter than ``maxlen`` stay, with their labels."""
    if not maxlen:
        return sequences, labels
    keep = [len(sequence) < maxlen for sequence in sequences]
    return [s for s, k in zip(sequences, keep, strict=True) if k], labels[np.array(keep, bool)]


def cut_vocabulary(
    sequences: Words, num_words: int | None, skip_top: int, oov_char: int | None
) -> Words:
    """Keras's vocabulary cut: an index ``w`` stays when ``skip_top <= w < num_words``; any
    other becomes ``oov_char``, or is dropped when ``oov_char`` is None.

    Without ``num_words`` (0 or None) the bound is the largest index present, so, as in Keras,
    that largest index itself is cut.
    """
    if not num_words:
        num_words = max((max(sequence) for sequence in sequences if sequence), default=0)
    if oov_char is None:
        return [[w for w in s if skip_top <= w < num_words] for s in sequences]
    return [[w if skip_top <= w < num_words else oov_char for w in s] for s in sequences]


def check_options(
    num_words: int | None,
    skip_top: int,
    maxlen: int | None,
    seed: int,
    start_char: int | None,
    oov_char: int | None,
    index_from: int,
) -> None:
    """Raise ValueError naming the first argument of ``load_data`` that Keras could not use."""
    check_int("num_words", num_words, optional=True)
    check_int("skip_top", skip_top)
    check_int("maxlen", maxlen, optional=True)
    check_int("seed", seed)
    check_int("start_char", start_char, optional=True)
    check_int("oov_char", oov_char, optional=True)
    check_int("index_from", index_from)


def encode(
    sequences: np.ndarray,
    labels: np.ndarray,
    start_char: int | None,
    index_from: int,
    maxlen: int | None,
) -> tuple[Words, np.ndarray]:
    """:func:`mark`, then :func:`drop_long`: Keras's steps before the vocabulary cut."""
    return drop_long(maxlen, mark(sequences, start_char, index_from), labels)


def load_word_index(
    title: str,
    file: DataFile,
    mirrors: Sequence[str],
    path: str | os.PathLike[str],
    timeout: float,
) -> dict[str, int]:
    """Keras's ``get_word_index`` of the dataset ``title`` (IMDB, Reuters): the words of its
    data and their indices in the file, ``{word: index}``, index 1 the most frequent word. In
    ``load_data``'s sequences a word's index is shifted by ``index_from`` (default 3; 0, 1 and
    2 then stand for padding, the start mark and a cut word).

    The file is Keras's word index ``file`` (``<dataset>_word_index.json``), found as
    ``load_data`` finds its ``.npz`` (:func:`~numkeras.datasets._regression.find_npz`: checked
    against the MD5 Keras publishes for it, downloaded from ``mirrors``), and read as JSON by
    :func:`read_word_index`, never unpickled. An existing ``path`` is the caller's own file,
    read as it is, its checksum not checked; otherwise, as in Keras, ``path`` is the file's
    name in the caches.

    Raises:
        DatasetUnavailableError: the file is in no cache and cannot be downloaded.
        ValueError: the file is not a JSON object of words to integer indices.
    """
    return read_word_index(find_npz(f"{title} word index", file, mirrors, path, timeout))


def read_word_index(path: Path) -> dict[str, int]:
    """The word index of a Keras ``*_word_index.json``: ``{word: index}``, read by the standard
    JSON reader (as UTF-8) and checked to map strings to integers.

    Raises:
        ValueError: the file is not JSON, or not an object of strings to integers.
    """
    try:
        with open(path, encoding="utf-8") as stream:
            index = json.load(stream)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a readable JSON word index ({error}).") from None
    if not isinstance(index, dict):
        raise ValueError(
            f"{path} must hold a JSON object of words to indices. Found: {type(index).__name__}"
        )
    for word, value in index.items():
        # bool is an int to Python, but JSON's true/false are no word indices.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{path}: the index of {word!r} must be an integer. Found: {value!r}")
    return index
