"""Reuters newswires: 11,228 newswires labelled with one of 46 topics, each a sequence of word
indices, words ranked by frequency (index 1 is the most frequent word).

``load_data()`` behaves as Keras's: the same file (``reuters.npz``, SHA-256 checked), the same
shuffle, re-indexing, vocabulary cut and split. It looks in numkeras's cache
(``$NUMKERAS_HOME/datasets``), then Keras's (``$KERAS_HOME/datasets``, default
``~/.keras/datasets``), then downloads into numkeras's cache. The file's ragged arrays are read
without unpickling (see :mod:`numkeras.datasets._word_sequences`).
"""

from __future__ import annotations

import os

import numpy as np

from numkeras.datasets._fetch import DataFile
from numkeras.datasets._regression import MIRRORS, Split, check_test_split, find_npz
from numkeras.datasets._safe_pickle import object_vector
from numkeras.datasets._word_sequences import (
    check_options,
    cut_vocabulary,
    encode,
    load_word_index,
    read_sequences,
    shuffled,
)

FILE = DataFile("reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916")
#: Keras publishes only an MD5 for it.
WORD_INDEX_FILE = DataFile("reuters_word_index.json", None, md5="4d44cc38712099c9e383dc6e5f11a921")

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0

#: The 46 topics, index i naming label i (Keras's ``get_label_names``).
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


def load_data(
    path: str | os.PathLike[str] = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> Split:
    """Load Reuters as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    The newswires are shuffled by ``np.random.RandomState(seed)``. Each becomes
    ``[start_char] + [w + index_from for w in wire]`` (no start mark when ``start_char`` is
    None). With ``maxlen``, only newswires strictly shorter than ``maxlen`` are kept. Then an
    index ``w`` stays when ``skip_top <= w < num_words`` and otherwise becomes ``oov_char`` (is
    dropped when ``oov_char`` is None); without ``num_words`` the bound is the largest index in
    the data, which is therefore cut too, as in Keras. The first
    ``int(n * (1 - test_split))`` newswires train, the rest test.

    ``x_train``/``x_test`` are 1-D object arrays of lists of ints (Keras would give a 2-D object
    array if every newswire had one length); ``y_train``/``y_test`` hold the topic indices in the
    file's dtype, also when a split is empty (where Keras's would be float64).

    Args:
        path: an existing ``.npz`` (the caller's own file: read with the same no-pickle reader,
            its checksum not checked); otherwise, as in Keras, the file's name in the caches.
        num_words: keep the indices below this bound. Default None: all but the largest.
        skip_top: indices below this become ``oov_char``. Default 0.
        maxlen: keep only newswires shorter than this. Default None: all.
        test_split: the fraction kept for the test set, in [0, 1). Default 0.2.
        seed: the shuffle's seed. Default 113.
        start_char: the index that starts every newswire, or None. Default 1.
        oov_char: the index of a cut word, or None to drop it. Default 2.
        index_from: added to every word index of the file. Default 3.

    Raises:
        DatasetUnavailableError: the file is in no cache and cannot be downloaded.
        ValueError: an argument is out of range or of the wrong type, or the file is not such
            an ``.npz``.
    """
    check_options(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    check_test_split(test_split)
    arrays = read_sequences(find_npz("Reuters", FILE, MIRRORS, path, TIMEOUT), (("x", "y"),))
    rng = np.random.RandomState(seed)
    words, labels = encode(*shuffled(rng, arrays["x"], arrays["y"]), start_char, index_from, maxlen)
    words = cut_vocabulary(words, num_words, skip_top, oov_char)
    # The same float expression as Keras's, so that the cut falls on the same newswire.
    cut = int(len(words) * (1 - test_split))
    return (object_vector(words[:cut]), labels[:cut]), (object_vector(words[cut:]), labels[cut:])


def get_word_index(path: str | os.PathLike[str] = "reuters_word_index.json") -> dict[str, int]:
    """The words of the Reuters newswires and their indices, ``{word: index}``, as Keras's
    ``get_word_index`` (index 1 the most frequent word), from Keras's ``reuters_word_index.json``
    or an existing ``path``: see :func:`numkeras.datasets._word_sequences.load_word_index`."""
    return load_word_index("Reuters", WORD_INDEX_FILE, MIRRORS, path, TIMEOUT)


def get_label_names() -> tuple[str, ...]:
    """The topic names, index i naming label i, as Keras's ``get_label_names``."""
    return LABEL_NAMES
