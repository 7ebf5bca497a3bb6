"""``pad_sequences`` against Keras 3's ``keras.utils.pad_sequences``, the same function."""

from __future__ import annotations

import numpy as np
import pytest

import numkeras.utils
from numkeras.utils.sequence_utils import pad_sequences

SEQUENCES = [[1], [2, 3], [4, 5, 6, 7], []]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 2},
        {"maxlen": 3, "padding": "post"},
        {"maxlen": 3, "truncating": "post", "value": -1},
        {"maxlen": 6, "padding": "post", "truncating": "post"},
        {"dtype": "float32", "value": 0.5},
    ],
    ids=repr,
)
def test_matches_keras(kwargs, keras):
    ours = pad_sequences(SEQUENCES, **kwargs)
    theirs = keras.utils.pad_sequences(SEQUENCES, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_sequences_of_vectors_and_of_strings(keras):
    vectors = [np.ones((2, 3)), np.arange(12.0).reshape(4, 3)]
    np.testing.assert_array_equal(
        pad_sequences(vectors, maxlen=3, dtype="float32"),
        keras.utils.pad_sequences(vectors, maxlen=3, dtype="float32"),
    )
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_is_exported_by_utils_and_keeps_empty_input_and_zero_length_well_defined():
    assert numkeras.utils.pad_sequences is pad_sequences
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": "middle"}, "padding must be 'pre' or 'post'. Received: padding='middle'"),
        ({"truncating": None}, "truncating must be 'pre' or 'post'"),
        ({"maxlen": -1}, r"maxlen must be None or an integer >= 0. Received: maxlen=-1"),
        ({"maxlen": 2.5}, "maxlen=2.5"),
        ({"value": "x"}, "A string value needs dtype=object"),
    ],
)
def test_bad_arguments_name_what_was_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences(SEQUENCES, **kwargs)


def test_bad_sequences_are_refused():
    with pytest.raises(ValueError, match=r"sequences\[1\]=5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"sequences\[1\] with steps of shape \(2,\)"):
        pad_sequences([[1, 2], [[1, 2]]])
