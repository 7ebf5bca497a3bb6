"""IMDB movie reviews: 25,000 training and 25,000 test reviews, labelled positive (1) or
negative (0), each a sequence of word indices, words ranked by frequency (index 1 is the most
frequent word).

``load_data()`` behaves as Keras's: the same file (``imdb.npz``, SHA-256 checked), the same
shuffle, re-indexing and vocabulary cut. It looks in numkeras's cache
(``$NUMKERAS_HOME/datasets``), then Keras's (``$KERAS_HOME/datasets``, default
``~/.keras/datasets``), then downloads into numkeras's cache. The file's ragged arrays are read
without unpickling (see :mod:`numkeras.datasets._word_sequences`).
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from numkeras.datasets._fetch import DataFile
from numkeras.datasets._regression import MIRRORS, Split, find_npz
from numkeras.datasets._safe_pickle import object_vector
from numkeras.datasets._word_sequences import (
    check_options,
    cut_vocabulary,
    encode,
    load_word_index,
    read_sequences,
    shuffled,
)

FILE = DataFile("imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")
#: Keras publishes only an MD5 for it.
WORD_INDEX_FILE = DataFile("imdb_word_index.json", None, md5="bfafd718b763782e994055a2d397834f")

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0


def load_data(
    path: str | os.PathLike[str] = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> Split:
    """Load IMDB as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    The training and then the test reviews are shuffled by one ``np.random.RandomState(seed)``.
    Each review becomes ``[start_char] + [w + index_from for w in review]`` (no start mark when
    ``start_char`` is None). With ``maxlen``, only reviews strictly shorter than ``maxlen`` (after
    the start mark) are kept. Then an index ``w`` stays when ``skip_top <= w < num_words`` and
    otherwise becomes ``oov_char`` (is dropped when ``oov_char`` is None); without ``num_words``
    the bound is the largest index in the data, which is therefore cut too, as in Keras.

    ``x_train``/``x_test`` are 1-D object arrays of lists of ints (Keras would give a 2-D object
    array if every review had one length); ``y_train``/``y_test`` are the file's label arrays.

    Args:
        path: an existing ``.npz`` (the caller's own file: read with the same no-pickle reader,
            its checksum not checked); otherwise, as in Keras, the file's name in the caches.
        num_words: keep the indices below this bound. Default None: all but the largest.
        skip_top: indices below this become ``oov_char``. Default 0.
        maxlen: keep only reviews shorter than this. Default None: all.
        seed: the shuffle's seed. Default 113.
        start_char: the index that starts every review, or None. Default 1.
        oov_char: the index of a cut word, or None to drop it. Default 2.
        index_from: added to every word index of the file. Default 3.
        **kwargs: ``nb_words``, Keras 1's name of ``num_words``, accepted with a warning.

    Raises:
        DatasetUnavailableError: the file is in no cache and cannot be downloaded.
        ValueError: an argument is not a non-negative integer (or None where allowed), the file
            is not such an ``.npz``, or ``maxlen`` leaves no training or no test review.
        TypeError: an unknown keyword argument.
    """
    num_words = _legacy_num_words(num_words, kwargs)
    check_options(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    arrays = read_sequences(
        find_npz("IMDB", FILE, MIRRORS, path, TIMEOUT),
        (("x_train", "y_train"), ("x_test", "y_test")),
    )
    rng = np.random.RandomState(seed)
    train = encode(
        *shuffled(rng, arrays["x_train"], arrays["y_train"]), start_char, index_from, maxlen
    )
    test = encode(
        *shuffled(rng, arrays["x_test"], arrays["y_test"]), start_char, index_from, maxlen
    )
    if maxlen and not (train[0] and test[0]):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
            f"Increase maxlen."
        )
    words = cut_vocabulary(train[0] + test[0], num_words, skip_top, oov_char)
    cut = len(train[0])
    labels = np.concatenate([train[1], test[1]])
    return (object_vector(words[:cut]), labels[:cut]), (object_vector(words[cut:]), labels[cut:])


def get_word_index(path: str | os.PathLike[str] = "imdb_word_index.json") -> dict[str, int]:
    """The words of the IMDB reviews and their indices, ``{word: index}``, as Keras's
    ``get_word_index`` (index 1 the most frequent word), from Keras's ``imdb_word_index.json``
    or an existing ``path``: see :func:`numkeras.datasets._word_sequences.load_word_index`."""
    return load_word_index("IMDB", WORD_INDEX_FILE, MIRRORS, path, TIMEOUT)


def _legacy_num_words(num_words: int | None, kwargs: dict[str, Any]) -> int | None:
    # Keras 1 programs (the classic imdb_lstm.py) call load_data(nb_words=...).
    if "nb_words" in kwargs:
        warnings.warn(
            "imdb.load_data's `nb_words` is Keras 1's name; use `num_words`.",
            UserWarning,
            stacklevel=3,
        )
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"imdb.load_data got unknown keyword arguments: {sorted(kwargs)}")
    return num_words
