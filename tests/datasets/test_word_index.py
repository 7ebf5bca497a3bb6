"""imdb.get_word_index and reuters.get_word_index: Keras's JSON word index, found and checked
(by the MD5 Keras publishes) as load_data finds its file, downloaded from the local server."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest
from datasets_support import TEST_TIMEOUT

from numkeras.datasets import DatasetUnavailableError, imdb, reuters

WORDS = {"the": 1, "and": 2, "a": 3, "film": 19, "naïve": 4000}

MODULES = pytest.mark.parametrize("module", [imdb, reuters], ids=lambda m: m.__name__[18:])


def write_index(path, words=WORDS):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(words), encoding="utf-8")
    return path


def md5(path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


@MODULES
def test_keras_file_names_hashes_and_origin(module):
    name = module.__name__.rpartition(".")[2]
    assert module.WORD_INDEX_FILE.name == f"{name}_word_index.json"
    assert module.WORD_INDEX_FILE.checksum == (
        "md5",
        {"imdb": "bfafd718b763782e994055a2d397834f", "reuters": "4d44cc38712099c9e383dc6e5f11a921"}[
            name
        ],
    )
    with pytest.raises(DatasetUnavailableError) as raised:
        module.get_word_index()
    message = str(raised.value)
    assert f"storage.googleapis.com/tensorflow/tf-keras-datasets/{name}_word_index.json" in message
    assert f"(md5 {module.WORD_INDEX_FILE.md5})" in message


@MODULES
def test_download_is_checked_by_md5_and_fills_our_cache(
    module, served, server, isolated, monkeypatch
):
    name = module.WORD_INDEX_FILE.name
    source = write_index(served / name)
    monkeypatch.setattr(
        module, "WORD_INDEX_FILE", dataclasses.replace(module.WORD_INDEX_FILE, md5=md5(source))
    )
    monkeypatch.setattr(module, "MIRRORS", (server.url("corrupt"), server.url("ok")))
    monkeypatch.setattr(module, "TIMEOUT", TEST_TIMEOUT)
    server.requests.clear()
    assert module.get_word_index() == WORDS
    assert server.requests == [f"/corrupt/{name}", f"/ok/{name}"]
    cached = isolated / "numkeras-home" / "datasets" / name
    assert cached.read_bytes() == source.read_bytes()
    monkeypatch.setattr(module, "MIRRORS", ())
    assert module.get_word_index() == WORDS


@MODULES
def test_keras_cache_is_used_when_its_md5_matches(module, isolated, monkeypatch):
    keras_copy = write_index(
        isolated / "home" / ".keras" / "datasets" / module.WORD_INDEX_FILE.name
    )
    monkeypatch.setattr(module, "MIRRORS", ())
    with pytest.raises(DatasetUnavailableError, match="ignored, md5 .* does not match"):
        module.get_word_index()
    monkeypatch.setattr(
        module, "WORD_INDEX_FILE", dataclasses.replace(module.WORD_INDEX_FILE, md5=md5(keras_copy))
    )
    assert module.get_word_index() == WORDS


@MODULES
def test_an_explicit_path_is_read_as_it_is(module, tmp_path):
    assert module.get_word_index(path=write_index(tmp_path / "mine.json", {"x": 7})) == {"x": 7}


@MODULES
@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not a readable JSON word index"),
        ("[1, 2]", "must hold a JSON object of words to indices. Found: list"),
        ('{"the": 1.5}', "the index of 'the' must be an integer. Found: 1.5"),
        ('{"the": true}', "the index of 'the' must be an integer. Found: True"),
    ],
)
def test_a_file_that_is_no_word_index_is_refused(module, tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=problem):
        module.get_word_index(path=path)
