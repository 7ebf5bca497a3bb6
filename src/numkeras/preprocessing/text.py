"""Keras 2's text preprocessing (``keras.preprocessing.text``): words to integer indices.

:class:`Tokenizer` learns a vocabulary from texts and turns texts into sequences of word indices
(for ``pad_sequences`` and an embedding) or into bag-of-words matrices; ``text_to_word_sequence``
splits one text into words; ``one_hot`` and ``hashing_trick`` hash words to indices without a
vocabulary. Keras 3 replaced all this with the ``TextVectorization`` layer, so importing the
module warns once; it computes what Keras 2 computed.
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from .. import legacy

#: Keras's default ``filters``: punctuation, tabs and line breaks.
FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "freq", "tfidf")


def text_to_word_sequence(
    input_text: str, filters: str = FILTERS, lower: bool = True, split: str = " "
) -> list[str]:
    """The words of ``input_text``: lower-cased (``lower=True``), each character of ``filters``
    (punctuation by default) turned into ``split`` (``' '``), then split there, empty words
    dropped.

    >>> text_to_word_sequence("Hello, world!  Hello.")
    ['hello', 'world', 'hello']
    """
    if lower:
        input_text = input_text.lower()
    words = input_text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [word for word in words.split(split) if word]


def _md5(word: str) -> int:
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def hashing_trick(
    text: str,
    n: int,
    hash_function: Callable[[str], int] | str | None = None,
    filters: str = FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Each word of ``text`` as ``hash_function(word) % (n - 1) + 1``: an index in ``[1, n)``
    (0 stays free for padding), with no vocabulary, so different words may share an index.

    ``hash_function`` defaults to Python's ``hash``, which differs between runs unless
    ``PYTHONHASHSEED`` is set; ``'md5'`` gives the same indices in every run. ``analyzer``, when
    given, splits the text instead of :func:`text_to_word_sequence` with ``filters``, ``lower``
    and ``split``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (index 0 is kept free). Received: n={n!r}")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5
    elif not callable(hash_function):
        raise ValueError(
            f"hash_function must be None, 'md5' or a function. Received: "
            f"hash_function={hash_function!r}"
        )
    words = analyzer(text) if analyzer else text_to_word_sequence(text, filters, lower, split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(
    input_text: str,
    n: int,
    filters: str = FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Keras's ``one_hot``: despite its name, :func:`hashing_trick` with Python's ``hash``, each
    word of ``input_text`` as an index in ``[1, n)``."""
    return hashing_trick(input_text, n, hash, filters, lower, split, analyzer)


class Tokenizer:
    """A vocabulary learnt from texts: each word's index, the most frequent word first.

    :meth:`fit_on_texts` counts the words; ``word_index`` then maps each word to its rank by
    count (1 for the most frequent; ties keep the order of first appearance; 0 is never a
    word's, so it is free for padding), with ``oov_token``, when given, at index 1.
    :meth:`texts_to_sequences` gives each text's word indices, :meth:`texts_to_matrix` one
    bag-of-words row per text.

    Args:
        num_words: when given, only the words of index below ``num_words`` (the
            ``num_words - 1`` most frequent) are used by the conversions; ``word_index`` keeps
            them all. Defaults to ``None``: every word. (Keras 1's ``nb_words`` is accepted.)
        filters: characters removed from the texts. Defaults to punctuation, tabs and line
            breaks (``FILTERS``).
        lower: lower-case the texts first. Defaults to ``True``.
        split: the word separator. Defaults to ``' '``.
        char_level: every character is a token. Defaults to ``False``.
        oov_token: the token (index 1) that stands for words outside the vocabulary in
            :meth:`texts_to_sequences`; they are dropped when it is ``None``, the default.
        analyzer: a function that splits a text into tokens, in place of the rules above.
            Defaults to ``None``.
        document_count: the number of texts already seen. Defaults to ``0``.
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Callable[[str], list[str]] | None = None,
        document_count: int = 0,
    ):
        if num_words is not None and (
            isinstance(num_words, bool) or not isinstance(num_words, (int, np.integer))
        ):
            raise ValueError(
                f"num_words must be None or an integer. Received: num_words={num_words!r}"
            )
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = document_count
        self.word_counts: dict[str, int] = {}
        self.word_docs: dict[str, int] = collections.defaultdict(int)
        self.index_docs: dict[int, int] = collections.defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    def _tokens(self, text: str | list[str]) -> list[str]:
        """The tokens of one text: its characters (``char_level``) or the words of a list as
        given (both lower-cased by ``lower``), else the analyzer's or the words of the text."""
        if self.char_level or isinstance(text, list):
            if not self.lower:
                return list(text)
            return [token.lower() for token in text]
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[str | list[str]]) -> None:
        """Count the words of ``texts`` (strings, or lists of words) and rebuild ``word_index``."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        ranked = sorted(self.word_counts, key=self.word_counts.__getitem__, reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + ranked
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def _in_vocabulary(self, indices: Iterable[int | None]) -> list[int]:
        """``indices`` with the unknown ones (None) and those of ``num_words`` or more replaced
        by ``oov_token``'s index, or dropped when there is no ``oov_token``."""
        oov = self.word_index.get(self.oov_token)
        limit = self.num_words
        kept = (oov if i is None or (limit and i >= limit) else i for i in indices)
        return [i for i in kept if i is not None]

    def texts_to_sequences(self, texts: Iterable[str | list[str]]) -> list[list[int]]:
        """Each text as the indices of its words; words outside the vocabulary, or of index
        ``num_words`` or more, become ``oov_token``'s index, or are dropped without one."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str | list[str]]) -> Iterator[list[int]]:
        """:meth:`texts_to_sequences`, one text at a time."""
        for text in texts:
            yield self._in_vocabulary(self.word_index.get(token) for token in self._tokens(text))

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """Each sequence of indices back to its words, joined by spaces (the inverse of
        :meth:`texts_to_sequences`, up to the words it dropped or replaced)."""
        return [
            " ".join(
                self.index_word[i]
                for i in self._in_vocabulary(i if i in self.index_word else None for i in sequence)
            )
            for sequence in sequences
        ]

    def texts_to_matrix(self, texts: Iterable[str | list[str]], mode: str = "binary") -> np.ndarray:
        """One row per text over the vocabulary: :meth:`sequences_to_matrix` of the texts'
        sequences."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode)

    def sequences_to_matrix(
        self, sequences: Iterable[Iterable[int]], mode: str = "binary"
    ) -> np.ndarray:
        """A float64 array of one row per sequence and one column per word index (``num_words``
        columns, or one more than the vocabulary's size), holding for each word of the row's
        sequence, by ``mode``:

        * ``'binary'`` (the default): 1;
        * ``'count'``: how often it occurs;
        * ``'freq'``: its count divided by the sequence's length;
        * ``'tfidf'``: ``(1 + log count) · log(1 + documents / (1 + documents with the word))``.

        Indices of ``num_words`` or more are left out.
        """
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {list(_MODES)}. Received: mode={mode!r}")
        if self.num_words:
            columns = self.num_words
        elif self.word_index:
            columns = len(self.word_index) + 1
        else:
            raise ValueError(
                "sequences_to_matrix needs the number of columns: pass num_words to the "
                "Tokenizer, or call fit_on_texts first. Received: num_words=None and no texts"
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError("mode='tfidf' needs document counts: call fit_on_texts first.")
        sequences = [np.asarray(sequence, dtype=np.int64).reshape(-1) for sequence in sequences]
        matrix = np.zeros((len(sequences), columns))
        for row, sequence in zip(matrix, sequences):
            counts = np.bincount(sequence[sequence < columns], minlength=columns)
            present = counts > 0
            if mode == "binary":
                row[present] = 1.0
            elif mode == "count":
                row[:] = counts
            elif mode == "freq":
                row[:] = counts / len(sequence) if len(sequence) else 0.0
            else:
                words = np.flatnonzero(present)
                documents = np.array([self.index_docs.get(i, 0) for i in words])
                idf = np.log(1.0 + self.document_count / (1.0 + documents))
                row[words] = (1.0 + np.log(counts[words])) * idf
        return matrix


Tokenizer.__init__ = legacy.accepts_keras1_names(Tokenizer.__init__, "Tokenizer")

legacy.warn(
    f"`{__name__}` is Keras 2's text preprocessing, which Keras 3 replaced with the "
    "TextVectorization layer; it works as in Keras 2."
)

__all__ = ["FILTERS", "Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence"]
