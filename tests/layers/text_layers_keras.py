"""Cases of StringLookup, IntegerLookup and TextVectorization run by real Keras 3, and what
Keras gave.

Keras runs these layers on TensorFlow's string ops, so Keras's results need TensorFlow, which
the project never installs (it is large). They are therefore recorded in
``text_layers_keras.json`` (recorded with Keras 3.15.1 and TensorFlow 2.21.0 on CPU), and the
tests (``test_lookup.py``, ``test_text_vectorization.py``) compare numkeras with that record
only.

To re-record (a new Keras or TensorFlow, a new case), run this file where Keras 3 and
TensorFlow are installed, e.g. in a separate virtual environment, from the repository root, and
update the versions named above::

    python -m venv /tmp/keras-tf
    /tmp/keras-tf/bin/pip install keras tensorflow
    KERAS_BACKEND=tensorflow /tmp/keras-tf/bin/python tests/layers/text_layers_keras.py
    git diff tests/layers/text_layers_keras.json

The record is written in a stable form (the cases in ``CASES``'s order, one value a line), so
whatever Keras now gives differently shows in ``git diff``; the tests then say where numkeras
differs from it. This file imports NumPy and, run so, Keras, but never numkeras: the tests pass
numkeras to :func:`result`, so that it also runs where only Keras is installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

RECORD = Path(__file__).with_name("text_layers_keras.json")

LETTERS = [["b", "a", "c", "a"], ["b", "d", "a", "c"]]
NUMBERS = [[5, 5, 7, 9, 0], [7, 5, 3, 3, 0]]
TEXTS = [
    "The cat sat on the mat.",
    "A dog, a CAT & a bird: friends?",
    "Éclair and ÉCLAIR\tand naïve   spaces ",
    "the end",
]
QUERIES = ["the cat and the dog", "Unknown words here!", "", "a naïve Éclair"]

#: id: (layer, constructor arguments, adapt data or None, inputs of the call).
CASES: dict[str, tuple[str, dict[str, Any], Any, Any]] = {
    "string_int": ("StringLookup", {}, LETTERS, [["a", "zz", "b", "d"]]),
    "string_mask_max_tokens": (
        "StringLookup",
        {"mask_token": "[PAD]", "max_tokens": 4},
        [["b", "a", "[PAD]", "c", "a", "[PAD]", "[PAD]"]],
        [["a", "[PAD]", "q", "c"], ["b", "b", "[PAD]", "[PAD]"]],
    ),
    "string_one_hot": ("StringLookup", {"output_mode": "one_hot"}, LETTERS, [["a"], ["q"], ["d"]]),
    "string_one_hot_rank2": (
        "StringLookup",
        {"output_mode": "one_hot", "mask_token": ""},
        LETTERS,
        [["a", "", "q"]],
    ),
    "string_multi_hot_padded": (
        "StringLookup",
        {"output_mode": "multi_hot", "max_tokens": 8, "pad_to_max_tokens": True},
        LETTERS,
        [["a", "a", "q"], ["d", "c", "b"]],
    ),
    "string_count_mask": (
        "StringLookup",
        {"output_mode": "count", "mask_token": ""},
        LETTERS,
        [["a", "a", "", "q"], ["d", "", "", "d"]],
    ),
    "string_tf_idf_padded": (
        "StringLookup",
        {"output_mode": "tf_idf", "max_tokens": 10, "pad_to_max_tokens": True},
        [["b", "a", "c", "a"], ["b", "d", "d", "d"], ["a", "e", "e", "b"]],
        [["a", "a", "q"], ["e", "b", "d"]],
    ),
    "string_tf_idf_given": (
        "StringLookup",
        {"output_mode": "tf_idf", "vocabulary": ["x", "y"], "idf_weights": [0.5, 2.0]},
        None,
        [["x", "y", "y", "q"]],
    ),
    "string_no_oov": (
        "StringLookup",
        {"num_oov_indices": 0, "vocabulary": ["x", "y", "z"]},
        None,
        [["z", "x"], ["y", "y"]],
    ),
    "string_invert": (
        "StringLookup",
        {"invert": True, "vocabulary": ["x", "y"], "mask_token": "[M]"},
        None,
        [[0, 1, 2, 3, 4, 9]],
    ),
    "string_unicode_ties": (
        "StringLookup",
        {},
        [["naïve", "Über", "über", "zeta", "Zeta", "naive", "Über"]],
        [["Über", "naïve", "ZETA"]],
    ),
    "string_oov_buckets": (
        "StringLookup",
        {"num_oov_indices": 3, "mask_token": ""},
        LETTERS,
        [["a", "zz", "", "q", "naïve", "Über", "b", "a much longer unknown token " * 3]],
    ),
    "integer_farmhash_buckets": (
        "IntegerLookup",
        {"num_oov_indices": 4, "oov_method": "farmhash"},
        NUMBERS,
        [[5, 6, 8, 100, -4, 12345678901, 0]],
    ),
    "integer_oov_buckets_mask": (
        "IntegerLookup",
        {"num_oov_indices": 3, "mask_token": 0},
        NUMBERS,
        [[5, 6, 8, 100, -4, 0, 3]],
    ),
    "integer_multi_hot_given": (
        "IntegerLookup",
        {"output_mode": "multi_hot", "vocabulary": [3, 1, 4]},
        None,
        [[1, 1, 9], [4, 3, 3]],
    ),
    "integer_count_max_tokens": (
        "IntegerLookup",
        {"output_mode": "count", "max_tokens": 3},
        NUMBERS,
        [[5, 5, 7, 3], [9, 0, 0, 5]],
    ),
    "integer_invert": (
        "IntegerLookup",
        {"invert": True, "vocabulary": [10, 20, 30]},
        None,
        [[0, 1, 2, 3, 9]],
    ),
    "integer_tf_idf": ("IntegerLookup", {"output_mode": "tf_idf"}, NUMBERS, [[5, 3, 3, 11]]),
    "text_default": ("TextVectorization", {}, TEXTS, QUERIES),
    "text_sequence_length": (
        "TextVectorization",
        {"max_tokens": 6, "output_sequence_length": 5},
        TEXTS,
        QUERIES,
    ),
    "text_lower_characters": (
        "TextVectorization",
        {"standardize": "lower", "split": "character", "output_sequence_length": 12},
        TEXTS,
        QUERIES,
    ),
    "text_strip_bigrams": (
        "TextVectorization",
        {"standardize": "strip_punctuation", "ngrams": 2},
        TEXTS,
        QUERIES,
    ),
    "text_trigram_widths_multi_hot": (
        "TextVectorization",
        {"ngrams": (1, 3), "output_mode": "multi_hot"},
        TEXTS,
        QUERIES,
    ),
    "text_count": ("TextVectorization", {"output_mode": "count", "max_tokens": 8}, TEXTS, QUERIES),
    "text_tf_idf_padded": (
        "TextVectorization",
        {"output_mode": "tf_idf", "max_tokens": 12, "pad_to_max_tokens": True},
        TEXTS,
        QUERIES,
    ),
    "text_unsplit_columns": (
        "TextVectorization",
        {"standardize": None, "split": None, "output_sequence_length": 4},
        [["Cat", "dog", "cat"], ["cat", "eel", "Cat"]],
        [["Cat", "eel", "x"], ["dog", "dog", "cat"]],
    ),
    "text_given_vocabulary_column": (
        "TextVectorization",
        {"vocabulary": ["the", "cat", "naïve"]},
        None,
        [[q] for q in QUERIES],
    ),
}


def result(library: Any, case: str) -> dict[str, Any]:
    """What ``library`` (``keras`` or ``numkeras``) gives for ``case``: the vocabulary, and the
    output of the call with its dtype."""
    layer_name, arguments, adapt_data, inputs = CASES[case]
    layer = getattr(library.layers, layer_name)(**arguments)
    if adapt_data is not None:
        layer.adapt(np.array(adapt_data))
    output = np.asarray(layer(np.array(inputs)))
    if output.dtype.kind in "SO":  # Keras's strings are bytes
        output = np.char.decode(output.astype(bytes), "utf-8")
    return {
        "vocabulary": [_plain(t) for t in layer.get_vocabulary()],
        "output": output.tolist(),
        "dtype": str(output.dtype) if output.dtype.kind != "U" else "str",
    }


def cases_of(*layers: str) -> list[str]:
    return [case for case, (layer, *_) in CASES.items() if layer in layers]


def assert_same_result(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert ours["vocabulary"] == theirs["vocabulary"]
    assert ours["dtype"] == theirs["dtype"]
    if ours["dtype"] == "float32":
        np.testing.assert_allclose(ours["output"], theirs["output"], rtol=1e-6, atol=1e-7)
    else:
        assert ours["output"] == theirs["output"]


def _plain(token: Any) -> Any:
    token = token.decode("utf-8") if isinstance(token, bytes) else token
    return token.item() if isinstance(token, np.generic) else token


def recorded() -> dict[str, dict[str, Any]]:
    return json.loads(RECORD.read_text(encoding="utf-8"))


if __name__ == "__main__":
    import keras

    results = {case: result(keras, case) for case in CASES}
    RECORD.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RECORD}")
