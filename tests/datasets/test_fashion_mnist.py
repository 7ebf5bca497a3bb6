"""fashion_mnist.load_data / load: the Debian folder, the caches, downloads and the error."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from datasets_support import TRAIN_10K_IMAGES_SHA256, TRAIN_10K_LABELS_SHA256

from numkeras.datasets import DatasetUnavailableError, _fetch, fashion_mnist, mnist

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(
    not DEBIAN_DIR.is_dir(), reason="needs Debian's package: apt-get install dataset-fashion-mnist"
)
def test_debian_package_folder_is_found_and_verified(monkeypatch):
    label = "the folder of the Debian package dataset-fashion-mnist"
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", {label: DEBIAN_DIR})
    loaded = fashion_mnist.load()
    assert loaded.source == (
        f"Fashion-MNIST (60,000 training + 10,000 test images) from {label} {DEBIAN_DIR}"
    )
    (x_train, y_train), (x_test, y_test) = loaded.data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10  # Fashion-MNIST is balanced
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_offline_error_lists_the_mirrors_and_the_debian_package(isolated):
    with pytest.raises(DatasetUnavailableError) as caught:
        fashion_mnist.load_data()
    keras = isolated / "home" / ".keras" / "datasets" / "fashion-mnist"
    tried = caught.value.tried
    assert tried[1] == f"the Keras cache {keras}: not found"
    assert [line.split(": ")[0] for line in tried[2:]] == [
        f"{base}train-images-idx3-ubyte.gz" for base in fashion_mnist.MIRRORS
    ]
    message = str(caught.value)
    assert "fashion_mnist.load_data(path=...) takes a folder holding the four files" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert not (isolated / "numkeras-home").exists()


def test_downloads_into_its_own_cache_folder(stand_in, server, isolated):
    stand_in.MIRRORS = (server.url("missing"), server.url("ok"))
    loaded = stand_in.load()
    folder = isolated / "numkeras-home" / "datasets" / "fashion-mnist"
    assert loaded.source == (
        f"Fashion-MNIST (10,000 training + 10,000 test images) downloaded "
        f"from {server.url('ok')} into {folder}"
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        stand_in.FILES[r].name for r in stand_in.FILES
    )


def test_keras_cache_folder_is_used(stand_in, served, isolated, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(isolated / "keras-home"))
    folder = isolated / "keras-home" / "datasets" / "fashion-mnist"
    shutil.copytree(served, folder, ignore=shutil.ignore_patterns("*.npz"))
    assert stand_in.load().source.endswith(f"from the Keras cache {folder}")


def test_system_folder_comes_after_the_caches(stand_in, served, isolated, monkeypatch):
    monkeypatch.setattr(stand_in, "SYSTEM_DIRS", {"a system folder": served})
    assert stand_in.load().source.endswith(f"from a system folder {served}")
    cache = isolated / "numkeras-home" / "datasets" / "fashion-mnist"
    shutil.copytree(served, cache, ignore=shutil.ignore_patterns("*.npz"))
    assert stand_in.load().source.endswith(f"from the numkeras cache {cache}")


@pytest.fixture
def stand_in(monkeypatch, server):
    """fashion_mnist with the local server's MNIST files standing in for its own."""
    files = dict(fashion_mnist.FILES)
    files["x_train"] = _fetch.DataFile(files["x_train"].name, TRAIN_10K_IMAGES_SHA256)
    files["y_train"] = _fetch.DataFile(files["y_train"].name, TRAIN_10K_LABELS_SHA256)
    for role in ("x_test", "y_test"):  # accepted by their content digest alone, as Debian's are
        files[role] = dataclasses.replace(mnist.FILES[role], name=files[role].name, sha256="0" * 64)
    monkeypatch.setattr(fashion_mnist, "FILES", files)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", ())
    monkeypatch.setattr(fashion_mnist, "TIMEOUT", 0.5)
    return fashion_mnist
