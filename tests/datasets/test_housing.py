"""boston_housing and california_housing: Keras's split on the same file, the caches Keras
shares, downloads from the local server, and the errors."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest
from datasets_support import TEST_TIMEOUT, files_under, sha256

from numkeras.datasets import DatasetUnavailableError, boston_housing, california_housing


def write_npz(path, samples, features, dtype="float64"):
    rng = np.random.default_rng(samples)
    x = rng.normal(size=(samples, features)).astype(dtype)
    y = rng.uniform(10, 50, size=samples).astype(dtype)
    np.savez(path, x=x, y=y)
    return path


def keras_load(keras, monkeypatch, name, path, **kwargs):
    """Real Keras's load_data for dataset ``name``, reading ``path`` instead of downloading."""
    module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(module, "get_file", lambda *args, **kw: str(path))
    return module.load_data(**kwargs)


def assert_same(ours, theirs):
    for (x, y), (kx, ky) in zip(ours, theirs, strict=True):
        assert x.dtype == kx.dtype and y.dtype == ky.dtype
        np.testing.assert_array_equal(x, kx)
        np.testing.assert_array_equal(y, ky)


@pytest.mark.parametrize(
    ("test_split", "seed"), [(0.2, 113), (0.0, 113), (0.37, 7), (0.5, 0), (np.float32(0.3), 5)]
)
def test_boston_split_is_keras_split(keras, monkeypatch, tmp_path, test_split, seed):
    path = write_npz(tmp_path / "b.npz", 506, 13)
    ours = boston_housing.load_data(path=path, test_split=test_split, seed=seed)
    theirs = keras_load(
        keras, monkeypatch, "boston_housing", path, test_split=test_split, seed=seed
    )
    assert_same(ours, theirs)
    (x_train, y_train), (x_test, _) = ours
    assert len(x_train) == int(506 * (1 - test_split)) and len(x_train) + len(x_test) == 506
    assert x_train.shape[1:] == (13,) and y_train.ndim == 1


@pytest.mark.parametrize("version", ["large", "small"])
@pytest.mark.parametrize(("test_split", "seed"), [(0.2, 113), (0.1, 3)])
def test_california_split_is_keras_split(keras, monkeypatch, tmp_path, version, test_split, seed):
    path = write_npz(tmp_path / "c.npz", 1000, 8, dtype="float32")
    kwargs = dict(version=version, test_split=test_split, seed=seed)
    ours = california_housing.load_data(path=path, **kwargs)
    assert_same(ours, keras_load(keras, monkeypatch, "california_housing", path, **kwargs))
    total = 600 if version == "small" else 1000
    assert sum(len(x) for x, _ in ours) == total


def test_keras_cache_is_used_and_a_wrong_file_in_ours_is_skipped(isolated, monkeypatch, tmp_path):
    keras_home = isolated / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    cached = write_npz(tmp_path / "boston_housing.npz", 506, 13)
    (keras_home / "datasets").mkdir(parents=True)
    (keras_home / "datasets" / "boston_housing.npz").write_bytes(cached.read_bytes())
    ours = isolated / "numkeras-home" / "datasets" / "boston_housing.npz"
    ours.parent.mkdir(parents=True)
    write_npz(ours, 10, 13)  # a different file under the right name: not the published one
    monkeypatch.setattr(boston_housing, "FILE", _file_of(boston_housing, cached))
    monkeypatch.setattr(boston_housing, "MIRRORS", ())
    (x_train, _), (x_test, _) = boston_housing.load_data()
    assert len(x_train) + len(x_test) == 506


def test_download_fills_our_cache_and_the_next_load_uses_it(served, server, isolated, monkeypatch):
    source = write_npz(served / "california_housing.npz", 700, 8, dtype="float32")
    monkeypatch.setattr(california_housing, "FILE", _file_of(california_housing, source))
    monkeypatch.setattr(california_housing, "MIRRORS", (server.url("missing"), server.url("ok")))
    monkeypatch.setattr(california_housing, "TIMEOUT", TEST_TIMEOUT)
    server.requests.clear()
    first = california_housing.load_data(version="small")
    assert files_under(isolated / "numkeras-home") == ["datasets/california_housing.npz"]
    assert server.requests == ["/missing/california_housing.npz", "/ok/california_housing.npz"]
    server.requests.clear()
    assert_same(california_housing.load_data(version="small"), first)
    assert server.requests == []


def test_a_cache_name_given_as_path_is_looked_for_and_downloaded_under_it(
    served, server, isolated, monkeypatch
):
    source = write_npz(served / "boston_housing.npz", 506, 13)
    monkeypatch.setattr(boston_housing, "FILE", _file_of(boston_housing, source))
    monkeypatch.setattr(boston_housing, "MIRRORS", (server.url("ok"),))
    monkeypatch.chdir(isolated)
    with pytest.raises(DatasetUnavailableError) as caught:
        boston_housing.load_data(path="mine.npz")  # the server has no mine.npz
    assert caught.value.tried[-1].startswith(f"{server.url('ok')}mine.npz: HTTP error 404")
    keras_cache = isolated / "home" / ".keras" / "datasets"
    keras_cache.mkdir(parents=True)
    (keras_cache / "mine.npz").write_bytes(source.read_bytes())
    (x_train, _), _ = boston_housing.load_data(path="mine.npz")
    assert len(x_train) == 404


def test_offline_error_lists_what_was_tried_and_leaves_nothing(isolated):
    with pytest.raises(DatasetUnavailableError) as caught:
        boston_housing.load_data()
    ours = isolated / "numkeras-home" / "datasets" / "boston_housing.npz"
    keras = isolated / "home" / ".keras" / "datasets" / "boston_housing.npz"
    url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
    assert caught.value.tried == (
        f"the numkeras cache {ours}: not found",
        f"the Keras cache {keras}: not found",
        f"{url}: unreachable (network blocked by the test suite)",
    )
    assert f"download {url} (sha256 {boston_housing.FILE.sha256})" in str(caught.value)
    assert f"put it at {ours}" in str(caught.value)
    assert files_under(isolated / "numkeras-home") == []


@pytest.mark.parametrize("test_split", [1.0, -0.1, 2, "0.2", True])
def test_test_split_outside_keras_range_is_refused(test_split):
    with pytest.raises(ValueError, match=r"test_split must be .*Received: test_split="):
        boston_housing.load_data(test_split=test_split)


def test_unknown_version_is_refused():
    with pytest.raises(ValueError, match="version must be 'large' or 'small'. Received: "):
        california_housing.load_data(version="medium")


def test_a_path_with_folders_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: path="):
        boston_housing.load_data(path=tmp_path / "nowhere" / "boston.npz")


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: np.savez(p, x=np.zeros((3, 13))), "lacks the arrays y"),
        (lambda p: p.write_bytes(b"not a zip file"), "is not a readable .npz file"),
        (lambda p: np.save(p.with_suffix(".npy"), np.zeros(3)), "holds a single array"),
        (lambda p: np.savez(p, x=np.zeros((3, 13)), y=np.zeros(4)), "must hold x of shape"),
        (lambda p: np.savez(p, x=np.array([{}]), y=np.zeros(1)), "is not a readable .npz"),
    ],
)
def test_a_file_that_is_not_a_regression_npz_is_refused(tmp_path, write, message):
    path = tmp_path / "data.npz"
    write(path)
    if not path.exists():  # np.save wrote data.npy: give it the .npz name
        path.with_suffix(".npy").rename(path)
    with pytest.raises(ValueError, match=message):
        boston_housing.load_data(path=path)


def _file_of(module, path):
    """The module's FILE with the checksum of the test's ``path``."""
    return dataclasses.replace(module.FILE, sha256=sha256(path))
