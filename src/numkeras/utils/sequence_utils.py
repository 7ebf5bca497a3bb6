"""``pad_sequences``: variable-length sequences as one rectangular array, as Keras's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_ENDS = ("pre", "post")


def _check_end(argument: str, end: Any) -> None:
    if end not in _ENDS:
        raise ValueError(f"{argument} must be 'pre' or 'post'. Received: {argument}={end!r}")


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or cut) every sequence to ``maxlen`` steps: an array of shape ``(n, maxlen, ...)``.

    Args:
        sequences: ``n`` sequences (lists or arrays) of steps; a step is a number or, for
            sequences of vectors, an array of the same shape in every sequence.
        maxlen: the length of every output row. Defaults to ``None``: the longest sequence's.
        dtype: the output's dtype. Defaults to ``'int32'`` (``object`` for strings).
        padding: ``'pre'`` (the default) fills the start of short sequences, ``'post'`` the end.
        truncating: ``'pre'`` (the default) drops the start of long sequences, ``'post'`` the
            end.
        value: what padding fills with. Defaults to ``0.0``.

    Raises:
        ValueError: ``sequences`` is not a list of sequences, their steps differ in shape,
            ``maxlen`` is not a non-negative integer, ``padding`` or ``truncating`` is not
            ``'pre'``/``'post'``, or ``value`` is a string for a non-string ``dtype``.

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2).tolist()
    [[0, 1], [2, 3], [5, 6]]
    """
    _check_end("padding", padding)
    _check_end("truncating", truncating)
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise ValueError(f"sequences must be a list of sequences. Received: {sequences!r:.100}")
    for i, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__"):
            raise ValueError(
                f"sequences must be a list of sequences. Received: sequences[{i}]={sequence!r}"
            )
    lengths = [len(sequence) for sequence in sequences]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"maxlen must be None or an integer >= 0. Received: maxlen={maxlen!r}")
    dtype = np.dtype(dtype)
    if isinstance(value, str) and dtype.kind not in "OUS":
        raise ValueError(
            f"A string value needs dtype=object (or a string dtype). Received: value={value!r}, "
            f"dtype={dtype}"
        )
    step_shape = next((np.shape(s)[1:] for s, n in zip(sequences, lengths) if n), ())
    padded = np.full((len(sequences), maxlen) + step_shape, value, dtype=dtype)
    for i, (sequence, length) in enumerate(zip(sequences, lengths)):
        kept = min(length, maxlen)
        if not kept:
            continue
        steps = np.asarray(
            sequence[length - kept :] if truncating == "pre" else sequence[:kept], dtype=dtype
        )
        if steps.shape[1:] != step_shape:
            raise ValueError(
                f"Every step of every sequence must have the same shape, {step_shape} as in the "
                f"first non-empty sequence. Received: sequences[{i}] with steps of shape "
                f"{steps.shape[1:]}"
            )
        padded[i, slice(maxlen - kept, maxlen) if padding == "pre" else slice(0, kept)] = steps
    return padded
