"""Lookup layers: ``StringLookup`` and ``IntegerLookup`` map tokens (strings, integers) to
their indices in a vocabulary, and ``TextVectorization`` (``text_vectorization.py``) builds on
``StringLookup``.

The vocabulary is given, or learnt by ``adapt`` as Keras 3 learns it: tokens by decreasing
count, ties by decreasing token (Keras sorts with ``np.lexsort((tokens, counts))[::-1]``), the
first ``max_tokens`` kept. Index layout, as Keras's: in ``output_mode='int'`` the mask token
(if any) is index 0, then ``num_oov_indices`` out-of-vocabulary indices, then the tokens; in
the other modes the mask token takes no index (masked inputs count for nothing).

Like Keras's preprocessing layers, which run outside the compiled graph, these layers work on
host NumPy arrays: their inputs need not be numbers (a Tensor cannot hold strings), and they
have no gradient. Their outputs are Tensors (int64 indices; ``tf_idf`` floatx), except the
strings of an inverted ``StringLookup``, a NumPy array. The vocabulary and the IDF weights are
part of the layer's config, so a saved model carries them.

>>> layer = StringLookup(vocabulary=["a", "b"])
>>> layer([["a", "c", "b"]]).numpy()
array([[1, 0, 2]])
"""

from __future__ import annotations

import abc
import collections
import itertools
import numbers
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import backend, legacy
from ..ops.core import Tensor
from .farmhash import fingerprint64
from .layer import Layer, Shape
from .symbolic import is_symbolic

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
#: Keras 2's names of two output modes, which Keras 3 still accepts.
_MODE_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


def check_output_mode(layer: str, output_mode: str, allowed: Sequence[str]) -> str:
    """``output_mode`` under its Keras 3 name, or a ValueError naming ``layer``'s choices."""
    mode = _MODE_ALIASES.get(output_mode, output_mode)
    if mode not in allowed:
        raise ValueError(
            f"{layer}: output_mode must be one of {tuple(allowed)}. "
            f"Received: output_mode={output_mode!r}"
        )
    return mode


def host_array(value: Any) -> np.ndarray:
    """``value`` (a Tensor, an array, a list, a scalar) as a NumPy array on the host."""
    return backend.to_numpy(value.data if isinstance(value, Tensor) else value)


def adapt_batches(data: Any, steps: int | None) -> Iterator[tuple[np.ndarray, bool]]:
    """The batches that Keras's ``adapt`` reads, each with whether its rows are documents.

    An array or a list is one batch in which each element along the first axis is a document
    (a 1-D one: each value its own document). Any other iterable (a generator, a PyDataset)
    yields batches, at most ``steps`` of them; there a 1-D batch is one document, as in Keras.
    """
    if isinstance(data, (np.ndarray, list, tuple, Tensor)):
        yield host_array(data), True
        return
    if hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        # Keras's PyDataset is indexed by batch and need not be iterable.
        dataset = data
        data = (dataset[i] for i in range(len(dataset)))
    if not isinstance(data, Iterable):
        raise TypeError(
            "adapt() takes an array, a list, or an iterable of batches (a generator, a "
            f"PyDataset). Received: data of type {type(data).__name__}"
        )
    for batch in itertools.islice(data, steps):
        if isinstance(batch, tuple):  # an (x, y) element: only x is vocabulary
            batch = batch[0]
        yield host_array(batch), False


def documents(batch: np.ndarray, rows_are_documents: bool) -> list[np.ndarray]:
    """The documents of one ``adapt`` batch (each flattened), for document frequencies."""
    if batch.ndim == 0 or (batch.ndim == 1 and not rows_are_documents):
        return [batch.reshape(-1)]
    return [row.reshape(-1) for row in (batch.reshape(-1, 1) if batch.ndim == 1 else batch)]


class TokenCounts:
    """What ``adapt`` learns from the data before the vocabulary is cut: how often each token
    occurs, in how many documents, and how many documents there are."""

    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.document_counts: collections.Counter = collections.Counter()
        self.num_documents = 0

    def update(self, docs: Iterable[Sequence[Any]]) -> None:
        for doc in docs:
            self.counts.update(doc)
            self.document_counts.update(set(doc))
            self.num_documents += 1

    def ranked(self, exclude: Iterable[Any]) -> list[Any]:
        """The tokens by decreasing count, ties by decreasing token (Keras's order)."""
        for token in exclude:
            self.counts.pop(token, None)
        return sorted(self.counts, key=lambda token: (self.counts[token], token), reverse=True)

    def idf(self, tokens: Sequence[Any]) -> np.ndarray:
        """Keras's inverse document frequency ``log(1 + N / (1 + n_t))`` of each token (``N``
        documents, ``n_t`` of them holding ``t``), in floatx."""
        held = np.array([self.document_counts[t] for t in tokens], dtype=np.float64)
        return np.log(1 + self.num_documents / (1 + held)).astype(backend.floatx())


def hash_buckets(keys: Iterable[bytes], num_buckets: int) -> np.ndarray:
    """The bucket in ``[0, num_buckets)`` of each key, ``Fingerprint64(key) mod num_buckets``:
    TensorFlow's ``to_hash_bucket_fast``, with which Keras spreads unknown tokens over OOV
    indices."""
    return np.array([fingerprint64(key) % num_buckets for key in keys], np.int64)


def bag_of_indices(
    indices: np.ndarray,
    rows: np.ndarray,
    num_rows: int,
    depth: int,
    mode: str,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """``(num_rows, depth)``: for each row, how often (``count``, int64) or whether
    (``multi_hot``, int64) each index in ``[0, depth)`` occurs among the ``indices`` whose
    row (``rows``) it is, or that count times ``weights[index]`` (``tf_idf``, in the weights'
    dtype); indices outside ``[0, depth)`` (masked tokens) count for nothing."""
    keep = (indices >= 0) & (indices < depth)
    # Only the cells that occur are written: the output is mostly zeros, often large.
    cells, counts = np.unique(rows[keep] * depth + indices[keep], return_counts=True)
    out = np.zeros(num_rows * depth, np.int64 if weights is None else weights.dtype)
    if mode == "multi_hot":
        out[cells] = 1
    elif weights is None:
        out[cells] = counts
    else:
        out[cells] = counts.astype(weights.dtype) * weights[cells % depth]
    return out.reshape(num_rows, depth)


class HostLayer(Layer):
    """A layer that computes on host NumPy arrays outside the tape, as Keras's preprocessing
    layers run outside the graph: its inputs may be strings, which a Tensor cannot hold."""

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_symbolic(inputs):
            # A list of strings is one input, not a list of inputs.
            inputs = host_array(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def _cast(self, x: Any) -> Any:
        return host_array(x)


class _IndexLookup(HostLayer, metaclass=abc.ABCMeta):
    """What ``StringLookup`` and ``IntegerLookup`` share (Keras's ``IndexLookup``, likewise
    not public): the vocabulary, ``adapt``, the lookup and its encodings. A subclass says what
    a token is (:meth:`_tokens`) and how a vocabulary file is read."""

    #: The sentinel of a masked input in the bag modes: no vocabulary index.
    _DROPPED = -1
    #: Of a vocabulary file (and of StringLookup's bytes inputs).
    encoding = "utf-8"

    # Keyword-only and without defaults: the subclasses' signatures are Keras's (their own
    # argument orders and defaults), and each must pass on every argument.
    def __init__(
        self,
        *,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary: Any,
        idf_weights: Any,
        invert: bool,
        output_mode: str,
        pad_to_max_tokens: bool,
        sparse: bool,
        oov_method: str,
        salt: Any,
        vocabulary_size: int | None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"{kind}: oov_method must be 'floormod' or 'farmhash'. "
                f"Received: oov_method={oov_method!r}"
            )
        if salt is not None:
            raise ValueError(
                f"{kind}: salt (Keras's salted SipHash64 of unknown tokens) is not supported; "
                f"use salt=None (FarmHash64). Received: salt={salt!r}"
            )
        if max_tokens is not None and (
            isinstance(max_tokens, bool)
            or not isinstance(max_tokens, numbers.Integral)
            or max_tokens <= 1
        ):
            raise ValueError(
                f"{kind}: max_tokens must be an integer greater than 1, or None. "
                f"Received: max_tokens={max_tokens!r}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{kind}: pad_to_max_tokens=True needs max_tokens. Received: max_tokens=None"
            )
        if (
            isinstance(num_oov_indices, bool)
            or not isinstance(num_oov_indices, numbers.Integral)
            or num_oov_indices < 0
        ):
            raise ValueError(
                f"{kind}: num_oov_indices must be an integer >= 0. "
                f"Received: num_oov_indices={num_oov_indices!r}"
            )
        output_mode = check_output_mode(kind, output_mode, OUTPUT_MODES)
        if invert and output_mode != "int":
            raise ValueError(
                f"{kind}: invert=True needs output_mode='int'. "
                f"Received: output_mode={output_mode!r}"
            )
        if sparse:
            raise ValueError(
                f"{kind}: numkeras has no sparse tensors; use sparse=False (dense outputs). "
                "Received: sparse=True"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{kind}: idf_weights are only for output_mode='tf_idf'. "
                f"Received: output_mode={output_mode!r}"
            )
        if idf_weights is not None and vocabulary is None:
            raise ValueError(
                f"{kind}: idf_weights need the vocabulary they weigh; adapt() learns both. "
                "Received: vocabulary=None"
            )
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = bool(invert), output_mode
        self.pad_to_max_tokens, self.sparse = bool(pad_to_max_tokens), False
        self.oov_method, self.salt = oov_method, None
        self._vocabulary: np.ndarray | None = None  # the tokens, special tokens excluded
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None  # (order, sorted tokens)
        self._idf_weights: np.ndarray | None = None  # one per index, special ones included
        self._has_input_vocabulary = vocabulary is not None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        if vocabulary_size is not None and vocabulary_size != self.vocabulary_size():
            # Keras writes it into configs; it must describe the vocabulary beside it.
            raise ValueError(
                f"{kind}: vocabulary_size={vocabulary_size} does not match the vocabulary, "
                f"which has {self.vocabulary_size()} indices."
            )

    # -- what a subclass defines -----------------------------------------------------------
    @abc.abstractmethod
    def _tokens(self, values: np.ndarray, argument: str) -> np.ndarray:
        """``values`` as an array of the layer's tokens, or a ValueError naming ``argument``."""

    @abc.abstractmethod
    def _token_from_line(self, line: str) -> Any:
        """The token of one line of a vocabulary file."""

    # -- the index layout ------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self) -> list[Any]:
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * (
            self.num_oov_indices
        )

    def vocabulary_size(self) -> int:
        """The number of indices: special ones (mask, OOV) and the vocabulary's."""
        learnt = 0 if self._vocabulary is None else len(self._vocabulary)
        return self._token_start_index() + learnt

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The token of each index, in order (index ``i`` is element ``i`` when
        ``include_special_tokens``, the default), as Python values."""
        tokens = [] if self._vocabulary is None else self._vocabulary.tolist()
        return self._special_tokens() + tokens if include_special_tokens else tokens

    def _depth(self) -> int:
        """The length of an encoded vector (the bag and one-hot modes)."""
        if self.pad_to_max_tokens:
            assert self.max_tokens is not None  # __init__ requires it
            return self.max_tokens
        if self._vocabulary is None:
            raise RuntimeError(
                f"Layer '{self.name}' ({type(self).__name__}) with "
                f"output_mode={self.output_mode!r} needs its vocabulary before it is called: "
                "pass vocabulary=... or call adapt() first."
            )
        return self.vocabulary_size()

    # -- setting and learning the vocabulary -----------------------------------------------
    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (a list or 1-D array of tokens, or the path of a text file of
        one token per line), with or without the special tokens in front (mask, then OOV, as
        :meth:`get_vocabulary` gives them), and, for ``tf_idf``, its ``idf_weights`` (one per
        token given; the OOV indices get their mean when the special tokens are not given)."""
        kind = type(self).__name__
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{kind}: output_mode='tf_idf' needs idf_weights with the vocabulary.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"{kind}: idf_weights are only for output_mode='tf_idf'. "
                f"Received: output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{kind}: output_mode='tf_idf' cannot read a vocabulary file.")
            vocabulary = self._read_vocabulary_file(vocabulary)
        values = host_array(vocabulary)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"{kind}: vocabulary must be a non-empty 1-D list of tokens. "
                f"Received: vocabulary of shape {values.shape}"
            )
        given = self._tokens(values, "vocabulary")
        start = self._token_start_index()
        special = self._special_tokens()
        with_special = len(given) >= start and given[:start].tolist() == special
        tokens = given[start:] if with_special else given
        self._check_tokens(tokens)
        size = start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                f"{kind}: the vocabulary has {size} indices (special ones included), more than "
                f"max_tokens={self.max_tokens}."
            )
        if idf_weights is not None:
            weights = np.asarray(host_array(idf_weights), dtype=backend.floatx())
            if weights.ndim != 1 or len(weights) != len(given):
                raise ValueError(
                    f"{kind}: idf_weights must hold one weight per vocabulary token "
                    f"({len(given)}). Received: idf_weights of shape {weights.shape}"
                )
            front = 0 if with_special else start
            weights = np.pad(weights, (front, 0), constant_values=np.mean(weights))
            self._idf_weights = self._padded(weights)
        self._use(tokens)

    def _use(self, tokens: np.ndarray | None) -> None:
        """Make ``tokens`` the vocabulary, sorted once here for the lookups' binary search."""
        self._vocabulary = tokens
        if tokens is None:
            self._sorted = None
        else:
            order = np.argsort(tokens, kind="stable")
            self._sorted = order, tokens[order]

    def _check_tokens(self, tokens: np.ndarray) -> None:
        kind = type(self).__name__
        repeated = [t for t, n in collections.Counter(tokens.tolist()).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{kind}: the vocabulary repeats the tokens {repeated}; each token must appear "
                "once."
            )
        reserved = [("mask_token", self.mask_token)]
        if self.invert:  # only an inverted lookup ever outputs the OOV token
            reserved.append(("oov_token", self.oov_token))
        for name, token in reserved:
            if token is not None and token in tokens.tolist():
                raise ValueError(
                    f"{kind}: the vocabulary holds {name}={token!r} past the special tokens; "
                    f"give the special tokens only at its start, in this order: "
                    f"{self._special_tokens()}, or not at all."
                )

    def _padded(self, weights: np.ndarray) -> np.ndarray:
        """IDF ``weights`` padded with zeros to ``max_tokens`` under ``pad_to_max_tokens``."""
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return np.pad(weights, (0, self.max_tokens - len(weights)))
        return weights

    def _read_vocabulary_file(self, path: str | os.PathLike[str]) -> list[Any]:
        if not os.path.isfile(path):
            raise ValueError(
                f"{type(self).__name__}: vocabulary file {os.fspath(path)!r} does not exist."
            )
        with open(path, encoding=self.encoding) as stream:
            lines = stream.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return [self._token_from_line(line) for line in lines]

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary (and, for ``tf_idf``, the IDF weights) from ``data``: an array
        or list of tokens (each element along the first axis one document), or an iterable
        of batches (a generator, a PyDataset; ``(x, y)`` elements read for ``x``), at most
        ``steps`` of them. The most frequent tokens are kept, ``max_tokens`` indices in all,
        in Keras's order (by count, ties by decreasing token)."""
        counts = TokenCounts()
        for batch, rows_are_documents in adapt_batches(data, steps):
            tokens = self._tokens(batch, "adapt() data")
            counts.update(doc.tolist() for doc in documents(tokens, rows_are_documents))
        self._learn(counts)

    def _learn(self, counts: TokenCounts) -> None:
        """Set the vocabulary (and IDF weights) from what ``adapt`` counted."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) was given its vocabulary "
                "(vocabulary=...), which adapt() cannot replace; set_vocabulary() can."
            )
        start = self._token_start_index()
        ranked = counts.ranked(exclude=(self.mask_token, self.oov_token))
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - start]
        self._use(self._tokens(np.array(ranked), "adapt() data") if ranked else None)
        if self.output_mode == "tf_idf" and ranked:
            idf = counts.idf(ranked)
            # The OOV indices get the mean weight: their documents were not counted.
            weights = np.pad(idf, (start, 0), constant_values=np.mean(idf))
            self._idf_weights = self._padded(weights)

    # -- the lookup ------------------------------------------------------------------------
    def _indices(self, tokens: np.ndarray) -> np.ndarray:
        """The int64 index of each token of ``tokens`` (any shape): masked tokens get 0 in
        ``int`` mode and ``_DROPPED`` otherwise, unknown ones an OOV index."""
        flat = tokens.reshape(-1)
        out = np.full(flat.shape, -1, np.int64)
        if self._sorted is not None and len(self._sorted[1]):
            order, known = self._sorted
            where = np.minimum(np.searchsorted(known, flat), len(known) - 1)
            found = known[where] == flat
            out[found] = order[where[found]] + self._token_start_index()
        unknown = out < 0
        if self.mask_token is not None:
            masked = flat == self.mask_token
            unknown &= ~masked
            out[masked] = 0 if self.output_mode == "int" else self._DROPPED
        if unknown.any():
            out[unknown] = self._oov_indices(flat[unknown])
        return out.reshape(tokens.shape)

    def _oov_indices(self, tokens: np.ndarray) -> np.ndarray:
        """The OOV indices of ``tokens``, none of which is in the vocabulary."""
        if self.num_oov_indices == 0:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) has num_oov_indices=0, so every "
                f"input must be in the vocabulary; found {np.unique(tokens).tolist()[:10]}. "
                "Consider num_oov_indices=1."
            )
        start = self._oov_start_index()
        if self.num_oov_indices == 1:
            return np.full(tokens.shape, start, np.int64)
        return start + self._oov_buckets(tokens)

    @abc.abstractmethod
    def _oov_buckets(self, tokens: np.ndarray) -> np.ndarray:
        """Which of the ``num_oov_indices`` (> 1) OOV indices each unknown token takes."""

    def _inverted(self, indices: np.ndarray) -> np.ndarray:
        """The token of each index (the OOV token for an index out of the vocabulary)."""
        if not _integral(indices):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}, invert=True) takes integer "
                f"indices. Received: inputs of dtype {indices.dtype}"
            )
        indices = indices.astype(np.int64)
        vocabulary = np.array(self.get_vocabulary(), dtype=self._token_dtype())
        inside = (indices >= 0) & (indices < len(vocabulary))
        out = np.full(indices.shape, self.oov_token, dtype=vocabulary.dtype)
        out[inside] = vocabulary[indices[inside]]
        return out

    @abc.abstractmethod
    def _token_dtype(self) -> Any:
        """The NumPy dtype of an array of the layer's tokens."""

    def call(self, inputs: Any) -> Any:
        scalar = inputs.ndim == 0
        values = inputs.reshape(1) if scalar else inputs
        if self.invert:
            tokens = self._inverted(values)
            return tokens[0] if scalar else self._output(tokens)
        indices = self._indices(self._tokens(values, "inputs"))
        if self.output_mode == "int":
            return Tensor(indices[0] if scalar else indices)
        return Tensor(self.encode(indices))

    def _output(self, tokens: np.ndarray) -> Any:
        """What the layer returns for inverted ``tokens``."""
        return tokens

    def encode(self, indices: np.ndarray) -> np.ndarray:
        """The ``one_hot``, ``multi_hot``, ``count`` or ``tf_idf`` encoding of ``indices``
        (int64 indices with ``_DROPPED`` for masked tokens; the last axis is a sample)."""
        depth = self._depth()
        if self.output_mode == "one_hot":
            if indices.ndim > 1 and indices.shape[-1] == 1:
                indices = indices[..., 0]
            flat = indices.reshape(-1)
            encoded = bag_of_indices(flat, np.arange(flat.size), flat.size, depth, "count")
            return encoded.reshape(*indices.shape, depth)
        samples = indices.reshape(-1, indices.shape[-1])
        rows = np.repeat(np.arange(len(samples)), samples.shape[1])
        encoded = self.bag(samples.reshape(-1), rows, len(samples))
        return encoded.reshape(*indices.shape[:-1], depth)

    def bag(self, indices: np.ndarray, rows: np.ndarray, num_rows: int) -> np.ndarray:
        """The ``multi_hot``, ``count`` or ``tf_idf`` vector of each of ``num_rows`` rows from
        its ``indices`` (``rows`` says whose each index is)."""
        # A tf_idf vocabulary always has its weights, the other modes none.
        weights = self._idf_weights if self.output_mode == "tf_idf" else None
        return bag_of_indices(indices, rows, num_rows, self._depth(), self.output_mode, weights)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self._depth() if self.pad_to_max_tokens or self._vocabulary is not None else None
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                shape = shape[:-1]
            return (*shape, depth)
        return (*shape[:-1], depth)

    def get_config(self) -> dict[str, Any]:
        """The layer's arguments with its vocabulary (special tokens included) and IDF
        weights, whether given or learnt, so that a saved model keeps them."""
        has_vocabulary = self._vocabulary is not None
        weights = self._idf_weights
        if weights is not None:
            weights = weights[: self.vocabulary_size()].tolist()  # pad_to_max_tokens zeros cut
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "mask_token": self.mask_token,
            "oov_token": self.oov_token,
            "vocabulary": self.get_vocabulary() if has_vocabulary else None,
            "idf_weights": weights,
            "invert": self.invert,
            "output_mode": self.output_mode,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "sparse": self.sparse,
            "oov_method": self.oov_method,
            "salt": self.salt,
            "vocabulary_size": self.vocabulary_size() if has_vocabulary else None,
        }


class StringLookup(_IndexLookup):
    """Maps strings to their indices in a vocabulary (or, with ``invert=True``, indices to
    strings), with Keras 3's arguments and defaults.

    ``output_mode``: ``'int'`` (default) the index of each string; ``'one_hot'`` a vector of
    ``vocabulary_size()`` per string; ``'multi_hot'``, ``'count'`` and ``'tf_idf'`` one vector
    per sample (the last axis): whether, how often, and how often times the token's IDF weight
    ``log(1 + N / (1 + n_t))`` (learnt by ``adapt`` over ``N`` documents) each token occurs.

    Args:
        max_tokens: the most indices (special ones included) that ``adapt`` keeps. Default
            None: all.
        num_oov_indices: indices for out-of-vocabulary strings. Default 1; 0 makes an unknown
            string an error; with more, an unknown string takes the OOV index
            ``Fingerprint64(utf-8 bytes) mod num_oov_indices`` (FarmHash, as Keras).
        mask_token: the string that stands for padding: index 0 in ``'int'`` mode, dropped
            in the others. Default None: no mask.
        oov_token: what an inverted lookup returns for an unknown index. Default ``'[UNK]'``.
        vocabulary: a list or 1-D array of strings, or the path of a text file of one per
            line; else call :meth:`adapt`. Default None.
        idf_weights: with ``'tf_idf'`` and a vocabulary, one weight per token. Default None.
        invert: map indices to strings. Default False.
        output_mode: see above. Default ``'int'``.
        pad_to_max_tokens: make encoded vectors ``max_tokens`` long. Default False.
        sparse: only False (numkeras has no sparse tensors).
        encoding: of bytes inputs and of a vocabulary file. Default ``'utf-8'``.
        oov_method: accepted as Keras accepts it (``'floormod'`` or ``'farmhash'``); strings
            are always hashed with FarmHash64, as in Keras.
        salt: only None (Keras's salted SipHash64 is not supported).
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        oov_method: str = "floormod",
        salt: Any = None,
        vocabulary_size: int | None = None,
        **kwargs: Any,
    ):
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            oov_method=oov_method,
            salt=salt,
            vocabulary_size=vocabulary_size,
            **kwargs,
        )

    def _tokens(self, values: np.ndarray, argument: str) -> np.ndarray:
        if values.dtype.kind == "U":
            return values
        if values.dtype.kind == "S":
            return np.char.decode(values, self.encoding)
        if values.dtype == object and all(isinstance(v, (str, bytes)) for v in values.flat):
            decoded = [v.decode(self.encoding) if isinstance(v, bytes) else v for v in values.flat]
            return np.array(decoded, dtype=str).reshape(values.shape)
        raise ValueError(
            f"StringLookup '{self.name}': {argument} must hold strings. "
            f"Received: dtype {values.dtype}"
        )

    def _token_from_line(self, line: str) -> str:
        return line

    def _oov_buckets(self, tokens: np.ndarray) -> np.ndarray:
        # TensorFlow hashes a string's UTF-8 bytes.
        return hash_buckets((t.encode("utf-8") for t in tokens.tolist()), self.num_oov_indices)

    def _token_dtype(self) -> Any:
        return object

    def _output(self, tokens: np.ndarray) -> np.ndarray:
        return tokens.astype(str)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(_IndexLookup):
    """Maps integers to their indices in a vocabulary (or, with ``invert=True``, indices to
    the integers), with Keras 3's arguments and defaults; the output modes as
    :class:`StringLookup`'s.

    Args:
        max_tokens: the most indices (special ones included) that ``adapt`` keeps. Default
            None: all.
        num_oov_indices: indices for out-of-vocabulary integers; with more than 1 an unknown
            ``v`` takes the OOV index given by ``oov_method``. Default 1; 0 makes an unknown
            integer an error.
        mask_token: the integer that stands for padding (index 0 in ``'int'`` mode, dropped in
            the others). Default None. Keras 2's name ``mask_value`` is accepted.
        oov_token: what an inverted lookup returns for an unknown index. Default -1. Keras 2's
            name ``oov_value`` is accepted.
        vocabulary: a list or 1-D array of integers, or the path of a text file of one per
            line; else call :meth:`adapt`. Default None.
        vocabulary_dtype: only ``'int64'``, Keras's only one.
        idf_weights, invert, output_mode, pad_to_max_tokens, sparse: as in
            :class:`StringLookup`.
        oov_method: ``'floormod'`` (default: ``v mod num_oov_indices``) or ``'farmhash'``
            (``Fingerprint64(str(v)) mod num_oov_indices``, as Keras).
        salt: only None (Keras's salted SipHash64 is not supported).
        mask_value, oov_value: Keras 2's names of ``mask_token`` and ``oov_token``, accepted
            with a warning.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        vocabulary_size: int | None = None,
        mask_value: int | None = None,
        oov_value: int | None = None,
        **kwargs: Any,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported, as in Keras. "
                f"Received: vocabulary_dtype={vocabulary_dtype!r}"
            )
        # Keras 2.4's experimental IntegerLookup named the special tokens so.
        if mask_value is not None:
            legacy.warn("`IntegerLookup(mask_value=...)` is Keras 2's name; use `mask_token`.")
            mask_token = mask_value
        if oov_value is not None:
            legacy.warn("`IntegerLookup(oov_value=...)` is Keras 2's name; use `oov_token`.")
            oov_token = oov_value
        for name, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and not _is_int(token):
                raise ValueError(f"IntegerLookup: {name} must be an integer. Received: {token!r}")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            oov_method=oov_method,
            salt=salt,
            vocabulary_size=vocabulary_size,
            **kwargs,
        )

    def _tokens(self, values: np.ndarray, argument: str) -> np.ndarray:
        if values.dtype.kind == "b" or _integral(values):
            return values.astype(np.int64)
        if values.dtype == object and all(_is_int(v) for v in values.flat):
            return values.astype(np.int64)
        raise ValueError(
            f"IntegerLookup '{self.name}': {argument} must hold integers. "
            f"Received: dtype {values.dtype}"
        )

    def _token_from_line(self, line: str) -> int:
        try:
            return int(line)
        except ValueError:
            raise ValueError(
                f"IntegerLookup: a vocabulary file holds one integer per line. Found: {line!r}"
            ) from None

    def _oov_buckets(self, tokens: np.ndarray) -> np.ndarray:
        if self.oov_method == "floormod":
            return np.mod(tokens, self.num_oov_indices)
        # TensorFlow hashes the integer's decimal digits.
        return hash_buckets((str(t).encode() for t in tokens.tolist()), self.num_oov_indices)

    def _token_dtype(self) -> Any:
        return np.int64

    def _output(self, tokens: np.ndarray) -> Tensor:
        return Tensor(tokens)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}


def _integral(values: np.ndarray) -> bool:
    """Whether ``values`` are integers: of an integer dtype, or floats of whole values (integers
    arrive as floats from a model's data pipeline)."""
    return values.dtype.kind in "iu" or (
        values.dtype.kind == "f" and bool(np.all(np.mod(values, 1) == 0))
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
