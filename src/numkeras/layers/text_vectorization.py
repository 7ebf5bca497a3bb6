"""TextVectorization: strings to sequences of token indices, or to one vector per text, as
Keras 3's layer computes them.

Each text is standardized (by default lower-cased and stripped of punctuation), split into
tokens (by default at whitespace), optionally extended with its n-grams, and looked up in a
vocabulary by a :class:`~numkeras.layers.lookup.StringLookup` whose mask token is ``''``: in
``output_mode='int'`` index 0 is padding and index 1 an unknown token.

As in Keras the layer runs outside the graph, on host NumPy arrays of strings (see
:mod:`numkeras.layers.lookup`); its vocabulary and IDF weights are part of its config, so a
saved model keeps them.

>>> layer = TextVectorization(vocabulary=["the", "cat"])
>>> layer(["The cat sat.", "the"]).numpy()
array([[2, 3, 1],
       [2, 0, 0]])
"""

from __future__ import annotations

import numbers
import string
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import registry
from ..ops.core import Tensor
from .layer import Shape
from .lookup import (
    OUTPUT_MODES,
    HostLayer,
    StringLookup,
    TokenCounts,
    adapt_batches,
    check_output_mode,
)

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")

# TensorFlow's string ops, which Keras uses, lower-case ASCII letters only, strip the ASCII
# punctuation of string.punctuation, and split at ASCII whitespace: the same here, so that a
# vocabulary means the same tokens in both.
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_STRIP = str.maketrans("", "", string.punctuation)
_LOWER_AND_STRIP = str.maketrans(string.ascii_uppercase, string.ascii_lowercase, string.punctuation)
_TABLES = {
    "lower": _LOWER,
    "strip_punctuation": _STRIP,
    "lower_and_strip_punctuation": _LOWER_AND_STRIP,
}
_TO_SPACE = str.maketrans("\t\n\x0b\x0c\r", "     ")


def _whitespace_split(text: str) -> list[str]:
    """``text``'s tokens between runs of ASCII whitespace (none at either end)."""
    return [token for token in text.translate(_TO_SPACE).split(" ") if token]


def _ngrams(tokens: list[str], widths: tuple[int, ...]) -> list[str]:
    """The n-grams of ``tokens`` for each width in turn (joined by a space), as
    ``tf.strings.ngrams``: none of a width longer than the tokens."""
    return [" ".join(tokens[i : i + n]) for n in widths for i in range(len(tokens) - n + 1)]


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if not (value is None or callable(value) or value in choices):
        raise ValueError(
            f"TextVectorization: {name} must be one of {choices}, None or a function. "
            f"Received: {name}={value!r}"
        )


def _check_ngrams(ngrams: Any) -> tuple[int, ...] | None:
    """The n-gram widths of Keras's ``ngrams`` argument: n means (1, ..., n)."""
    if ngrams is None:
        return None
    if isinstance(ngrams, numbers.Integral) and not isinstance(ngrams, bool) and ngrams >= 1:
        return tuple(range(1, int(ngrams) + 1))
    if (
        isinstance(ngrams, (tuple, list))
        and ngrams
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in ngrams)
    ):
        return tuple(ngrams)
    raise ValueError(
        "TextVectorization: ngrams must be None, an integer >= 1, or a tuple of them. "
        f"Received: ngrams={ngrams!r}"
    )


class TextVectorization(HostLayer):
    """Turns texts into token indices, with Keras 3's arguments and defaults.

    ``output_mode='int'`` (default): each text becomes the indices of its tokens, padded
    with 0 (or cut) to ``output_sequence_length``, else to the longest text of the batch.
    ``'multi_hot'``, ``'count'`` and ``'tf_idf'``: each text becomes one vector of
    ``vocabulary_size()``: whether, how often, and how often times the IDF weight
    ``log(1 + N / (1 + n_t))`` (learnt by ``adapt`` over ``N`` texts) each token occurs.

    Args:
        max_tokens: the most indices (padding and OOV included) that ``adapt`` keeps.
            Default None: all.
        standardize: ``'lower_and_strip_punctuation'`` (default), ``'lower'``,
            ``'strip_punctuation'``, None, or a function from a NumPy array of strings to
            one of the same shape. Lower-casing and punctuation are ASCII's, as in Keras.
        split: ``'whitespace'`` (default: runs of ASCII whitespace), ``'character'``, None
            (each input string is a token; the last axis holds a text's tokens), or a
            function from a 1-D NumPy array of strings to one list of tokens per string.
        ngrams: None (default), n (the 1- to n-grams of the tokens), or a tuple of widths.
        output_mode: ``'int'``, ``'multi_hot'``, ``'count'`` or ``'tf_idf'``.
        output_sequence_length: with ``'int'``, the length of every output. Default None.
        pad_to_max_tokens: make vectors ``max_tokens`` long (not with ``'int'``). Default
            False.
        vocabulary: a list of tokens or the path of a text file of one per line; else call
            :meth:`adapt`. Default None.
        idf_weights: with ``'tf_idf'`` and a vocabulary, one weight per token.
        sparse, ragged: only False (numkeras has no sparse or ragged tensors).
        encoding: of bytes inputs and of a vocabulary file. Default ``'utf-8'``.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[..., Any] | None = "lower_and_strip_punctuation",
        split: str | Callable[..., Any] | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        vocabulary_size: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        _check_choice("standardize", standardize, STANDARDIZE)
        _check_choice("split", split, SPLIT)
        self._widths = _check_ngrams(ngrams)
        output_mode = check_output_mode(
            "TextVectorization", output_mode, [m for m in OUTPUT_MODES if m != "one_hot"]
        )
        if output_sequence_length is not None and (
            output_mode != "int"
            or not isinstance(output_sequence_length, int)
            or isinstance(output_sequence_length, bool)
            or output_sequence_length < 1
        ):
            raise ValueError(
                "TextVectorization: output_sequence_length must be None or, with "
                "output_mode='int', an integer >= 1. Received: "
                f"output_sequence_length={output_sequence_length!r}, "
                f"output_mode={output_mode!r}"
            )
        if ragged:
            raise ValueError(
                "TextVectorization: numkeras has no ragged tensors; use ragged=False (outputs "
                "padded with 0). Received: ragged=True"
            )
        self.standardize, self.split, self.ngrams = standardize, split, ngrams
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            mask_token="",
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
            name=f"{self.name}_lookup",
        )

    # -- the vocabulary, kept by the lookup layer ------------------------------------------
    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The token of each index, ``''`` (padding) and ``'[UNK]'`` first in ``'int'``
        mode, ``'[UNK]'`` first in the others (without them if not
        ``include_special_tokens``)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (and, for ``'tf_idf'``, ``idf_weights``), as
        :meth:`StringLookup.set_vocabulary`."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and IDF weights) from texts: an array or list of strings, or
        an iterable of batches of them (``(x, y)`` elements read for ``x``), at most ``steps``
        batches; each text is a document. ``batch_size`` is accepted as Keras's argument:
        an array is read whole, which learns the same vocabulary."""
        counts = TokenCounts()
        for batch, _ in adapt_batches(data, steps):
            counts.update(self._token_lists(batch))
        self._lookup_layer._learn(counts)

    # -- from texts to tokens --------------------------------------------------------------
    def _strings(self, values: np.ndarray) -> np.ndarray:
        """``values`` as a NumPy array of str (bytes decoded), or a ValueError."""
        return self._lookup_layer._tokens(values, "inputs")

    def _standardized(self, texts: np.ndarray) -> np.ndarray:
        if self.standardize is None:
            return texts
        if callable(self.standardize):
            return self._strings(np.asarray(self.standardize(texts)))
        table = _TABLES[self.standardize]
        return np.array([t.translate(table) for t in texts.flat], dtype=str).reshape(texts.shape)

    def _token_lists(self, values: np.ndarray) -> list[list[str]]:
        """The tokens of each text (sample) of ``values``, n-grams included."""
        texts = self._standardized(self._strings(values))
        if self.split is None:
            rows = texts.reshape(len(texts), -1) if texts.ndim else texts.reshape(1, 1)
            lists = [row.tolist() for row in rows]
        else:
            if texts.ndim > 2 or (texts.ndim == 2 and texts.shape[-1] != 1):
                raise ValueError(
                    f"TextVectorization '{self.name}' splits one string per sample: inputs of "
                    f"shape (batch,) or (batch, 1). Received: shape {texts.shape}"
                )
            texts = texts.reshape(-1)
            if self.split == "whitespace":
                lists = [_whitespace_split(t) for t in texts.tolist()]
            elif self.split == "character":
                lists = [list(t) for t in texts.tolist()]
            else:
                lists = [[str(token) for token in tokens] for tokens in self.split(texts)]
        if self._widths is not None:
            lists = [_ngrams(tokens, self._widths) for tokens in lists]
        return lists

    # -- calling ---------------------------------------------------------------------------
    def call(self, inputs: Any) -> Tensor:
        lists = self._token_lists(inputs)
        lengths = np.array([len(tokens) for tokens in lists], np.int64)
        flat = np.array([t for tokens in lists for t in tokens], dtype=str)
        indices = self._lookup_layer._indices(flat)
        rows = np.repeat(np.arange(len(lists)), lengths)
        if self.output_mode == "int":
            width = self.output_sequence_length
            width = int(lengths.max(initial=0)) if width is None else width
            out = np.zeros((len(lists), width), np.int64)
            # Each index's place in its row; those past the width are cut.
            place = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            keep = place < width
            out[rows[keep], place[keep]] = indices[keep]
        else:
            out = self._lookup_layer.bag(indices, rows, len(lists))
        return Tensor(out[0] if inputs.ndim == 0 else out)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return self._lookup_layer.compute_output_shape((input_shape[0], None))

    # -- configuration ---------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The layer's arguments with its vocabulary and IDF weights (given or learnt); a
        ``standardize`` or ``split`` function by its name (see :meth:`from_config`)."""
        lookup = self._lookup_layer.get_config()
        return {
            **super().get_config(),
            "max_tokens": lookup["max_tokens"],
            "standardize": registry.serialize(self.standardize),
            "split": registry.serialize(self.split),
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": lookup["pad_to_max_tokens"],
            "sparse": False,
            "ragged": False,
            "vocabulary": lookup["vocabulary"],
            "idf_weights": lookup["idf_weights"],
            "encoding": self.encoding,
            "vocabulary_size": lookup["vocabulary_size"],
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> TextVectorization:
        """The layer of ``config``; a ``standardize`` or ``split`` that names a function is
        found in ``custom_objects`` (or an active custom-object scope), and only there."""
        config = dict(config)
        for argument, choices in (("standardize", STANDARDIZE), ("split", SPLIT)):
            name = config.get(argument)
            if isinstance(name, str) and name not in choices:
                function = registry.custom_object(name, custom_objects)
                if not callable(function):
                    raise ValueError(
                        f"A TextVectorization config names the {argument} function {name!r}, "
                        f"which is not among the custom objects: pass "
                        f"custom_objects={{{name!r}: your_function}}."
                    )
                config[argument] = function
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
