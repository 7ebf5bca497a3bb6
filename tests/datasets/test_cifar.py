"""cifar10 and cifar100: the same arrays as real Keras from the same archive, the caches Keras
shares, downloads from the local server, and archives that are damaged or hostile."""

from __future__ import annotations

import dataclasses
import os
import pickle
import tarfile

import numpy as np
import pytest
from cifar_support import cifar10_members, cifar100_members, py3_pickle, write_archive
from datasets_support import TEST_TIMEOUT, files_under, sha256

from numkeras import backend
from numkeras.datasets import DatasetUnavailableError, cifar10, cifar100
from numkeras.datasets._safe_pickle import PickleDataError


@pytest.fixture(scope="session")
def archives(served):
    """Full-size CIFAR-10 and small CIFAR-100 archives, in the local server's folder."""
    return {
        "cifar10": write_archive(served / cifar10.FILE.name, cifar10_members(10000, 10000)),
        "cifar100": write_archive(served / cifar100.FILE.name, cifar100_members(300, 70)),
    }


@pytest.fixture
def local(archives, monkeypatch, server):
    """cifar10 and cifar100 expecting the test archives, with no mirrors yet."""
    for module in (cifar10, cifar100):
        expected = sha256(archives[module.__name__.rpartition(".")[2]])
        monkeypatch.setattr(module, "FILE", dataclasses.replace(module.FILE, sha256=expected))
        monkeypatch.setattr(module, "MIRRORS", ())
        monkeypatch.setattr(module, "TIMEOUT", TEST_TIMEOUT)
    server.requests.clear()
    return archives


def keras_cache(isolated):
    folder = isolated / "home" / ".keras" / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def place(archive, folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(archive.read_bytes())


def keras_load(keras, monkeypatch, tmp_path, name, archive, **kwargs):
    """Real Keras's load_data for ``name``, reading ``archive`` extracted as Keras extracts it."""
    import importlib

    module = importlib.import_module(f"keras.src.datasets.{name}")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "extracted", filter="data")
    monkeypatch.setattr(module, "get_file", lambda *args, **kw: str(tmp_path / "extracted"))
    return module.load_data(**kwargs)


def assert_same(ours, theirs):
    for (x, y), (kx, ky) in zip(ours, theirs, strict=True):
        assert (x.shape, x.dtype, y.shape, y.dtype) == (kx.shape, kx.dtype, ky.shape, ky.dtype)
        np.testing.assert_array_equal(x, kx)
        np.testing.assert_array_equal(y, ky)


def test_cifar10_is_what_keras_reads_from_the_same_archive(
    keras, local, isolated, monkeypatch, tmp_path
):
    place(local["cifar10"], isolated / "numkeras-home" / "datasets", cifar10.FILE.name)
    ours = cifar10.load_data()
    assert_same(ours, keras_load(keras, monkeypatch, tmp_path, "cifar10", local["cifar10"]))
    (x_train, y_train), (x_test, y_test) = ours
    assert x_train.shape == (50000, 32, 32, 3) and y_train.shape == (50000, 1)
    assert x_test.shape == (10000, 32, 32, 3) and y_test.dtype == np.uint8


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_is_what_keras_reads_from_the_same_archive(
    keras, local, isolated, monkeypatch, tmp_path, label_mode
):
    place(local["cifar100"], keras_cache(isolated), "cifar-100-python-target_archive")
    ours = cifar100.load_data(label_mode=label_mode)
    theirs = keras_load(
        keras, monkeypatch, tmp_path, "cifar100", local["cifar100"], label_mode=label_mode
    )
    assert_same(ours, theirs)
    classes = 100 if label_mode == "fine" else 20
    assert ours[0][1].max() < classes and ours[0][0].shape == (300, 32, 32, 3)


def test_channels_first_keeps_the_planes_of_the_file(local, isolated):
    place(local["cifar100"], isolated / "numkeras-home" / "datasets", cifar100.FILE.name)
    (last, _), _ = cifar100.load_data()
    previous = backend.image_data_format()
    backend.set_image_data_format("channels_first")
    try:
        (first, _), _ = cifar100.load_data()
    finally:
        backend.set_image_data_format(previous)
    assert first.shape == (300, 3, 32, 32)
    np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))


@pytest.mark.parametrize("name", cifar100.KERAS_NAMES)
def test_each_name_keras_caches_the_archive_under_is_used(local, isolated, name, server):
    place(local["cifar100"], keras_cache(isolated), name)
    (x_train, _), _ = cifar100.load_data()
    assert len(x_train) == 300 and server.requests == []


def test_download_past_bad_mirrors_fills_our_cache_and_is_reused(local, server, isolated):
    cifar100.MIRRORS = tuple(server.url(mode) for mode in ("missing", "corrupt", "ok"))
    first = cifar100.load_data("coarse")
    cache = isolated / "numkeras-home" / "datasets"
    assert files_under(cache) == [cifar100.FILE.name]
    name = cifar100.FILE.name
    assert server.requests == [f"/{mode}/{name}" for mode in ("missing", "corrupt", "ok")]
    server.requests.clear()
    assert_same(cifar100.load_data("coarse"), first)
    assert server.requests == []


def test_a_wrong_file_in_a_cache_is_skipped_and_replaced(local, server, isolated):
    cache = isolated / "numkeras-home" / "datasets"
    place(local["cifar10"], cache, cifar100.FILE.name)  # CIFAR-10's archive under 100's name
    cifar100.MIRRORS = (server.url("ok"),)
    (x_train, _), _ = cifar100.load_data()
    assert len(x_train) == 300
    assert sha256(cache / cifar100.FILE.name) == sha256(local["cifar100"])


def test_offline_error_lists_the_caches_and_the_mirror(isolated):
    with pytest.raises(DatasetUnavailableError) as caught:
        cifar10.load_data()
    keras = isolated / "home" / ".keras" / "datasets"
    ours = isolated / "numkeras-home" / "datasets" / cifar10.FILE.name
    url = f"https://www.cs.toronto.edu/~kriz/{cifar10.FILE.name}"
    assert caught.value.tried == (
        f"the numkeras cache {ours}: not found",
        f"the Keras cache {keras / 'cifar-10-batches-py-target_archive'}: not found",
        f"the Keras cache {keras / 'cifar-10-batches-py.tar.gz'}: not found",
        f"{url}: unreachable (network blocked by the test suite)",
    )
    assert f"download {url} (sha256 {cifar10.FILE.sha256})" in str(caught.value)
    assert files_under(isolated / "numkeras-home") == []


def test_python3_pickles_are_read_alike(local, isolated, monkeypatch, tmp_path):
    archive = write_archive(tmp_path / "py3.tar.gz", cifar100_members(300, 70, dump=py3_pickle))
    place(local["cifar100"], isolated / "numkeras-home" / "datasets", cifar100.FILE.name)
    expected = cifar100.load_data()
    monkeypatch.setattr(
        cifar100, "FILE", dataclasses.replace(cifar100.FILE, sha256=sha256(archive))
    )
    place(archive, isolated / "numkeras-home" / "datasets", cifar100.FILE.name)
    assert_same(cifar100.load_data(), expected)


def test_unknown_label_mode_is_refused():
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse'. Received: "):
        cifar100.load_data(label_mode="medium")


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def hostile_members():
    members = cifar100_members(3, 2)
    yield (
        "a batch that calls os.system",
        {
            **members,
            "cifar-100-python/test": pickle.dumps({"data": Exploit()}, protocol=2),
        },
        PickleDataError,
        r"the global posix\.system",
    )
    yield (
        "a truncated batch",
        {
            **members,
            "cifar-100-python/test": members["cifar-100-python/test"][:-100],
        },
        PickleDataError,
        "Truncated pickle data",
    )
    yield (
        "a missing batch",
        {"cifar-100-python/train": members["cifar-100-python/train"]},
        ValueError,
        "lacks the CIFAR batches cifar-100-python/test",
    )
    yield (
        "a batch that is a list",
        {
            **members,
            "cifar-100-python/test": pickle.dumps([1, 2], protocol=4),
        },
        ValueError,
        "holds a list, not a dict",
    )
    bad = cifar100_members(3, 2, dump=lambda batch: batch)
    bad["cifar-100-python/test"][b"fine_labels"] = [0, 100]
    yield (
        "a label out of range",
        {k: pickle.dumps(v, protocol=4) for k, v in bad.items()},
        ValueError,
        r"fine_labels must be ints in \[0, 100\)",
    )
    bad["cifar-100-python/test"][b"data"] = np.zeros((2, 1024), np.uint8)
    yield (
        "images of the wrong size",
        {k: pickle.dumps(v, protocol=4) for k, v in bad.items()},
        ValueError,
        "images of 1024 bytes, expected 3072",
    )


@pytest.mark.parametrize(
    ("members", "error", "message"),
    [case[1:] for case in hostile_members()],
    ids=[case[0] for case in hostile_members()],
)
def test_damaged_and_hostile_archives_are_refused(
    local, isolated, monkeypatch, tmp_path, members, error, message
):
    archive = write_archive(tmp_path / "bad.tar.gz", members)
    monkeypatch.setattr(
        cifar100, "FILE", dataclasses.replace(cifar100.FILE, sha256=sha256(archive))
    )
    place(archive, isolated / "numkeras-home" / "datasets", cifar100.FILE.name)
    with pytest.raises(error, match=message):
        cifar100.load_data()


def test_a_file_that_is_not_a_tar_gz_is_refused(local, isolated, monkeypatch, tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"not an archive at all")
    monkeypatch.setattr(cifar10, "FILE", dataclasses.replace(cifar10.FILE, sha256=sha256(junk)))
    place(junk, isolated / "numkeras-home" / "datasets", cifar10.FILE.name)
    with pytest.raises(ValueError, match=r"is not a readable \.tar\.gz archive"):
        cifar10.load_data()
