"""reuters: Keras's processing and split on the same file, read without unpickling, the label
names, the caches and the errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from datasets_support import sha256
from sequences_support import assert_same, keras_load, write_reuters

from numkeras.datasets import reuters

OPTIONS = [
    {},
    {"num_words": 30, "skip_top": 5, "test_split": 0.5},
    {"maxlen": 10, "seed": 7, "test_split": 0.0},
    {"start_char": None, "index_from": 0},
    {"start_char": None, "oov_char": None, "num_words": 40, "skip_top": 3, "test_split": 0.33},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o.items())) or "-")
def test_load_data_is_kerass(keras, monkeypatch, tmp_path, options):
    path = write_reuters(tmp_path / "mine.npz")
    ours = reuters.load_data(path=path, **options)
    assert_same(ours, keras_load(monkeypatch, "reuters", path, **options))


def test_the_split_falls_where_keras_puts_it(tmp_path):
    (x_train, y_train), (x_test, y_test) = reuters.load_data(
        path=write_reuters(tmp_path / "mine.npz"), test_split=0.3
    )
    assert len(x_train) == len(y_train) == int(80 * (1 - 0.3))
    assert len(x_test) == len(y_test) == 80 - len(x_train)
    assert set(np.concatenate([y_train, y_test])) <= set(range(46))


def test_label_names_are_kerass(keras):
    from keras.src.datasets import reuters as keras_reuters

    assert reuters.get_label_names() == keras_reuters.get_label_names()
    assert len(reuters.get_label_names()) == 46


@pytest.mark.parametrize(("test_split", "seed"), [(1.0, 113), (0.2, -1)])
def test_bad_arguments_name_themselves(tmp_path, test_split, seed):
    name = "test_split" if test_split == 1.0 else "seed"
    with pytest.raises(ValueError, match=f"Received: {name}="):
        reuters.load_data(
            path=write_reuters(tmp_path / "mine.npz"), test_split=test_split, seed=seed
        )


def test_an_array_that_is_no_sequences_is_refused(tmp_path):
    path = tmp_path / "flat.npz"
    np.savez(path, x=np.arange(5.0), y=np.zeros(5))
    with pytest.raises(ValueError, match="one sequence of word indices per sample"):
        reuters.load_data(path=path)


def test_a_verified_copy_in_kerass_cache_is_used(isolated, monkeypatch, tmp_path):
    keras_home = isolated / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    (keras_home / "datasets").mkdir(parents=True)
    cached = write_reuters(keras_home / "datasets" / "reuters.npz", count=50)
    monkeypatch.setattr(reuters, "FILE", dataclasses.replace(reuters.FILE, sha256=sha256(cached)))
    monkeypatch.setattr(reuters, "MIRRORS", ())
    (x_train, _), (x_test, _) = reuters.load_data()
    assert len(x_train) + len(x_test) == 50
