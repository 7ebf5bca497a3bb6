"""imdb: Keras's processing on the same file, read without unpickling, the caches, downloads
from the local server, and the errors."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from datasets_support import TEST_TIMEOUT, sha256
from sequences_support import assert_same, keras_load, write_imdb

from numkeras.datasets import DatasetUnavailableError, imdb

OPTIONS = [
    {},
    {"num_words": 30, "skip_top": 5},
    {"maxlen": 10, "seed": 7},
    {"start_char": None, "index_from": 0},
    {"start_char": None, "index_from": 2, "oov_char": None, "num_words": 40, "skip_top": 3},
    {"maxlen": 0, "num_words": 0, "oov_char": 9},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o.items())) or "-")
def test_load_data_is_kerass(keras, monkeypatch, tmp_path, options):
    path = write_imdb(tmp_path / "mine.npz")
    ours = imdb.load_data(path=path, **options)
    assert_same(ours, keras_load(monkeypatch, "imdb", path, **options))


def test_cut_and_marks_follow_the_arguments(tmp_path):
    path = write_imdb(tmp_path / "mine.npz")
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path=path, num_words=20, skip_top=4)
    assert len(x_train) == len(y_train) == 40 and len(x_test) == len(y_test) == 30
    words = {w for x in (x_train, x_test) for sequence in x for w in sequence[1:]}
    assert words <= set(range(4, 20)) | {2}
    # As in Keras, the cut applies to the start mark too: 1 < skip_top turns it into oov_char.
    assert all(sequence[0] == 2 for x in (x_train, x_test) for sequence in x)
    (x_train, _), _ = imdb.load_data(path=path, num_words=20, skip_top=1)
    assert all(sequence[0] == 1 for sequence in x_train)


def test_maxlen_that_keeps_nothing_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="maxlen=1, no sequence was kept"):
        imdb.load_data(path=write_imdb(tmp_path / "mine.npz"), maxlen=1)


def test_keras_1_nb_words_warns_and_unknown_keywords_are_refused(tmp_path):
    path = write_imdb(tmp_path / "mine.npz")
    with pytest.warns(UserWarning, match="num_words"):
        old = imdb.load_data(path=path, nb_words=25)
    new = imdb.load_data(path=path, num_words=25)
    assert_same(old, new)
    with pytest.raises(TypeError, match="test_split"):
        imdb.load_data(path=path, test_split=0.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [("num_words", -1), ("skip_top", None), ("maxlen", 2.5), ("seed", True), ("index_from", "3")],
)
def test_bad_arguments_name_themselves(tmp_path, name, value):
    with pytest.raises(ValueError, match=f"{name} must be .*Received: {name}="):
        imdb.load_data(path=write_imdb(tmp_path / "mine.npz"), **{name: value})


def test_a_hostile_object_array_is_refused_without_running_it(tmp_path):
    class Boom:
        def __reduce__(self):
            return (print, ("ran",))

    hostile = np.empty(2, dtype=object)
    hostile[:] = [[1, 2], Boom()]
    path = tmp_path / "hostile.npz"
    np.savez(path, x_train=hostile, y_train=np.zeros(2), x_test=hostile, y_test=np.zeros(2))
    with pytest.raises(ValueError, match="x_train is refused .*builtins.print"):
        imdb.load_data(path=path)


def test_a_file_of_other_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="lacks the arrays x_train, y_train, x_test, y_test"):
        imdb.load_data(path=tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(pickle.dumps([1]))
    with pytest.raises(ValueError, match="not a readable .npz"):
        imdb.load_data(path=tmp_path / "junk.npz")


def test_download_checks_the_hash_and_fills_our_cache(served, server, isolated, monkeypatch):
    source = write_imdb(served / "imdb.npz")
    good = dataclasses.replace(imdb.FILE, sha256=sha256(source))
    monkeypatch.setattr(imdb, "FILE", good)
    monkeypatch.setattr(imdb, "MIRRORS", (server.url("corrupt"), server.url("ok")))
    monkeypatch.setattr(imdb, "TIMEOUT", TEST_TIMEOUT)
    loaded = imdb.load_data()
    assert (
        isolated / "numkeras-home" / "datasets" / "imdb.npz"
    ).read_bytes() == source.read_bytes()
    monkeypatch.setattr(imdb, "MIRRORS", ())
    assert_same(imdb.load_data(), loaded)


def test_no_file_anywhere_says_what_was_tried_and_where_keras_downloads_it():
    # The real mirror list: the test suite blocks the network, so the download fails at once.
    with pytest.raises(DatasetUnavailableError) as raised:
        imdb.load_data()
    message = str(raised.value)
    assert message.startswith("IMDB is not on this machine")
    assert "storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz" in message
    assert imdb.FILE.sha256 in message
