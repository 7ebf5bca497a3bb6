"""Keras 2's text preprocessing against Keras's own copy of it (kept among Keras 3's legacy
sources): Tokenizer, text_to_word_sequence, one_hot and hashing_trick."""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the module's own warning: see the first test
    from numkeras.preprocessing import text

TEXTS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "Cat and dog, cat and MAT",
    "",
]
NEW = ["the cat ate a bird", "mat mat dog", "unseen words only"]


@pytest.fixture(scope="module")
def keras_text(keras):
    return importlib.import_module("keras.src.legacy.preprocessing.text")


def test_importing_the_module_warns_once_that_it_is_keras2(monkeypatch):
    monkeypatch.setattr(sys.modules["numkeras.preprocessing"], "text", text)
    monkeypatch.delitem(sys.modules, "numkeras.preprocessing.text")
    with pytest.warns(UserWarning, match="Keras 2's text preprocessing.*TextVectorization"):
        importlib.import_module("numkeras.preprocessing.text")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 5},
        {"oov_token": "<unk>"},
        {"num_words": 4, "oov_token": "<unk>"},
        {"char_level": True},
        {"lower": False, "filters": "."},
        {"split": ",", "filters": ""},
    ],
    ids=repr,
)
def test_tokenizer_matches_keras(kwargs, keras_text):
    ours, theirs = text.Tokenizer(**kwargs), keras_text.Tokenizer(**kwargs)
    ours.fit_on_texts(TEXTS)
    theirs.fit_on_texts(TEXTS)
    assert ours.word_index == theirs.word_index
    assert ours.index_word == theirs.index_word
    assert dict(ours.word_counts) == dict(theirs.word_counts)
    assert ours.document_count == theirs.document_count == len(TEXTS)
    assert ours.texts_to_sequences(NEW) == theirs.texts_to_sequences(NEW)
    sequences = theirs.texts_to_sequences(TEXTS) + [[99, 1, 2]]
    assert ours.sequences_to_texts(sequences) == theirs.sequences_to_texts(sequences)
    for mode in ("binary", "count", "freq", "tfidf"):
        np.testing.assert_allclose(
            ours.texts_to_matrix(NEW + TEXTS, mode), theirs.texts_to_matrix(NEW + TEXTS, mode)
        )


def test_most_frequent_word_first_and_index_zero_left_free():
    tokenizer = text.Tokenizer(oov_token="?")
    tokenizer.fit_on_texts(["b a b", "c b a"])
    assert tokenizer.word_index == {"?": 1, "b": 2, "a": 3, "c": 4}
    assert tokenizer.texts_to_sequences(["a z b"]) == [[3, 1, 2]]
    np.testing.assert_array_equal(
        tokenizer.texts_to_matrix(["b b z"], mode="count"), [[0, 1, 2, 0, 0]]
    )


def test_lists_of_words_are_tokens_as_given(keras_text):
    words = [["Hello", "world"], ["hello", "there"]]
    ours, theirs = text.Tokenizer(), keras_text.Tokenizer()
    ours.fit_on_texts(words)
    theirs.fit_on_texts(words)
    assert ours.word_index == theirs.word_index == {"hello": 1, "world": 2, "there": 3}


def test_keras1_nb_words_is_renamed_with_a_warning():
    with pytest.warns(UserWarning, match=r"use `Tokenizer\(num_words=\.\.\.\)`"):
        tokenizer = text.Tokenizer(nb_words=10)
    assert tokenizer.num_words == 10


def test_word_sequence_and_hashing_match_keras(keras_text):
    sentence = "Hello, World!\tHello again... world"
    assert text.text_to_word_sequence(sentence) == keras_text.text_to_word_sequence(sentence)
    assert text.text_to_word_sequence(sentence, lower=False, filters=",!.\t") == (
        keras_text.text_to_word_sequence(sentence, lower=False, filters=",!.\t")
    )
    # Python's hash is salted per run, so Keras's one_hot agrees within this run only; md5 always.
    assert text.one_hot(sentence, 50) == keras_text.one_hot(sentence, 50)
    assert text.hashing_trick(sentence, 7, "md5") == keras_text.hashing_trick(sentence, 7, "md5")
    indices = text.hashing_trick(sentence, 7, "md5")
    assert indices[0] == indices[2] and all(1 <= i < 7 for i in indices)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        text.one_hot("a b", 1)
    with pytest.raises(ValueError, match="hash_function must be None, 'md5' or a function"):
        text.hashing_trick("a b", 5, "sha1")
    with pytest.raises(ValueError, match="mode must be one of"):
        text.Tokenizer(num_words=5).texts_to_matrix(["a"], mode="bm25")
    with pytest.raises(ValueError, match="pass num_words to the Tokenizer, or call fit_on_texts"):
        text.Tokenizer().texts_to_matrix(["a"])
    with pytest.raises(ValueError, match="mode='tfidf' needs document counts"):
        text.Tokenizer(num_words=5).texts_to_matrix(["a"], mode="tfidf")
    with pytest.raises(ValueError, match="num_words must be None or an integer"):
        text.Tokenizer(num_words="10")
