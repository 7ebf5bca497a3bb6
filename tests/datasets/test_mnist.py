"""mnist.load_data / mnist.load: the packaged sample, the search order, explicit paths, errors."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import warnings

import numpy as np
import pytest
from datasets_support import SERVED_AS, sha256

from numkeras.datasets import DatasetUnavailableError, LoadedData, mnist

README_CLASS_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


def test_sample_has_keras_shapes_and_dtypes():
    (x_train, y_train), (x_test, y_test) = mnist.load_data(sample=True)
    assert x_train.shape == (10000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (10000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train).tolist() == README_CLASS_COUNTS
    assert x_train.max() == 255 and y_test.max() == 9


def test_sample_says_what_it_is():
    loaded = mnist.load(sample=True)
    assert loaded.is_sample
    assert loaded.source == (
        "MNIST sample packaged with numkeras (10,000 training + 10,000 test "
        "images; the full training set has 60,000)"
    )


def test_packaged_sample_files_are_the_ones_its_readme_lists():
    # The README beside the files is their provenance record; the code's constants and the
    # bytes themselves must both agree with it.
    rows = [
        line.split("|")
        for line in (mnist.SAMPLE_DIR / "README.md").read_text().splitlines()
        if line.startswith("| `")
    ]
    listed = {row[1].strip(" `"): row[3].strip(" `") for row in rows}
    assert listed == {f.name: f.sha256 for f in mnist.SAMPLE_FILES.values()}
    for name, digest in listed.items():
        assert sha256(mnist.SAMPLE_DIR / name) == digest


def test_packaged_test_digits_are_the_official_ones():
    # The content digests of the published t10k files, which the sample's copies must share.
    for role in ("x_test", "y_test"):
        data = gzip.decompress((mnist.SAMPLE_DIR / mnist.SAMPLE_FILES[role].name).read_bytes())
        assert hashlib.sha256(data).hexdigest() == mnist.FILES[role].raw_sha256


def test_offline_load_falls_back_to_the_sample_and_says_why():
    loaded = mnist.load()
    assert loaded.is_sample
    assert loaded.source.endswith("; full MNIST is not cached and could not be downloaded")
    assert loaded.tried[-1] == (
        "https://ossci-datasets.s3.amazonaws.com/mnist/"
        "train-images-idx3-ubyte.gz: unreachable (network blocked by "
        "the test suite)"
    )


def test_offline_error_lists_what_was_tried_and_how_to_place_the_files(isolated):
    with pytest.raises(DatasetUnavailableError) as caught:
        mnist.load_data(sample=False)
    cache = isolated / "numkeras-home" / "datasets"
    keras = isolated / "home" / ".keras" / "datasets"
    message = str(caught.value)
    assert message.splitlines()[:7] == [
        "MNIST is not on this machine and could not be downloaded. Tried, in order:",
        f"  - the numkeras cache {cache / 'mnist.npz'}: not found",
        f"  - the numkeras cache {cache / 'mnist'}: not found",
        f"  - the Keras cache {keras / 'mnist.npz'}: not found",
        "  - https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz: "
        "unreachable (network blocked by the test suite)",
        "  - https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz: "
        "unreachable (network blocked by the test suite)",
        "  - https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz: "
        "unreachable (network blocked by the test suite)",
    ]
    assert f"(sha256 {mnist.NPZ.sha256}) and put it at {cache / 'mnist.npz'}" in message
    assert f"put them in the folder {cache / 'mnist'}" in message
    assert "load_data(path=...)" in message and "load_data(sample=True)" in message
    assert not (isolated / "numkeras-home").exists()


def test_sample_false_raises_instead_of_falling_back():
    with pytest.raises(DatasetUnavailableError):
        mnist.load(sample=False)


def test_offline_load_data_returns_the_sample_with_one_warning(isolated):
    # The course's own line, on a machine without network.
    with pytest.warns(UserWarning) as caught:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert len(caught) == 1
    message = str(caught[0].message)
    cache = isolated / "numkeras-home" / "datasets"
    assert message.startswith(
        "Full MNIST is not on this machine and could not be downloaded, so load_data() returns "
        "the MNIST sample packaged with numkeras: 10,000 training digits instead of 60,000, "
        "and the official 10,000 test digits. Tried, in order:\n"
        f"  - the numkeras cache {cache / 'mnist.npz'}: not found\n"
    )
    assert (
        "  - https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz: "
        "unreachable (network blocked by the test suite)\n"
    ) in message
    assert (
        f"connect to a network, or put mnist.npz (or the four IDX files in a folder mnist) "
        f"in {cache} (that is $NUMKERAS_HOME/datasets), or pass load_data(path=...)" in message
    )
    assert caught[0].filename == __file__  # it points at the caller's line
    for got, want in zip((x_train, y_train, x_test, y_test), _sample_arrays(), strict=True):
        np.testing.assert_array_equal(got, want)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mnist.load_data()  # once per process


def test_load_data_gives_the_full_set_without_a_warning_when_it_can(local_mnist, server):
    local_mnist.MIRRORS = (server.url("ok"),)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x_train, _), _ = local_mnist.load_data()
    assert x_train.shape == (10000, 28, 28)  # the served stand-in for full MNIST
    assert server.requests  # downloaded, not the packaged sample


def test_sample_must_be_none_true_or_false():
    with pytest.raises(ValueError, match="sample must be None .*Received: sample='yes'"):
        mnist.load_data(sample="yes")


def test_keras_default_path_name_means_the_usual_search():
    with pytest.raises(DatasetUnavailableError):
        mnist.load_data(path="mnist.npz", sample=False)


def test_numkeras_cache_npz_is_used(sample_npz, local_mnist, isolated):
    target = isolated / "numkeras-home" / "datasets" / "mnist.npz"
    target.parent.mkdir(parents=True)
    shutil.copyfile(sample_npz, target)
    loaded = local_mnist.load(sample=False)
    assert loaded.source == (
        f"MNIST (10,000 training + 10,000 test images) from the numkeras cache {target}"
    )
    _assert_same_as_sample(loaded)


def test_numkeras_cache_folder_is_used(local_mnist, served, isolated):
    folder = isolated / "numkeras-home" / "datasets" / "mnist"
    shutil.copytree(served, folder, ignore=shutil.ignore_patterns("*.npz"))
    loaded = local_mnist.load(sample=False)
    assert loaded.source.endswith(f"from the numkeras cache {folder}")
    _assert_same_as_sample(loaded)


def test_keras_cache_under_home_is_used(sample_npz, local_mnist, isolated):
    target = isolated / "home" / ".keras" / "datasets" / "mnist.npz"
    target.parent.mkdir(parents=True)
    shutil.copyfile(sample_npz, target)
    loaded = local_mnist.load(sample=False)
    assert loaded.source.endswith(f"from the Keras cache {target}")
    _assert_same_as_sample(loaded)


def test_keras_cache_honours_keras_home(sample_npz, local_mnist, isolated, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(isolated / "keras-home"))
    target = isolated / "keras-home" / "datasets" / "mnist.npz"
    target.parent.mkdir(parents=True)
    shutil.copyfile(sample_npz, target)
    assert local_mnist.load(sample=False).source.endswith(f"from the Keras cache {target}")


def test_numkeras_cache_comes_before_the_keras_cache(sample_npz, local_mnist, isolated):
    for target in (
        isolated / "numkeras-home" / "datasets" / "mnist.npz",
        isolated / "home" / ".keras" / "datasets" / "mnist.npz",
    ):
        target.parent.mkdir(parents=True)
        shutil.copyfile(sample_npz, target)
    assert "from the numkeras cache" in local_mnist.load(sample=False).source


def test_a_keras_cache_file_with_the_wrong_checksum_is_ignored(sample_npz, isolated):
    target = isolated / "home" / ".keras" / "datasets" / "mnist.npz"
    target.parent.mkdir(parents=True)
    shutil.copyfile(sample_npz, target)
    loaded = mnist.load()  # the real checksum of Keras's mnist.npz, which the sample's lacks
    assert loaded.is_sample
    assert loaded.tried[2] == (
        f"the Keras cache {target}: ignored, sha256 {sha256(target)} "
        f"does not match the expected {mnist.NPZ.sha256}"
    )


def test_explicit_npz_path(sample_npz):
    loaded = mnist.load(sample_npz)
    assert loaded.source == f"MNIST (10,000 training + 10,000 test images) from {sample_npz}"
    assert not loaded.is_sample
    _assert_same_as_sample(loaded)
    assert mnist.load_data(str(sample_npz))[0][0].shape == (10000, 28, 28)


def test_explicit_folder_path_gzipped_or_not(served, tmp_path):
    gzipped = tmp_path / "gz"
    shutil.copytree(served, gzipped, ignore=shutil.ignore_patterns("*.npz"))
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in SERVED_AS:
        (plain / name.removesuffix(".gz")).write_bytes(
            gzip.decompress((served / name).read_bytes())
        )
    for folder in (gzipped, plain):
        _assert_same_as_sample(mnist.load(folder))


def test_explicit_path_errors_name_the_path(tmp_path, served):
    with pytest.raises(FileNotFoundError, match="Received: path='.*nowhere'"):
        mnist.load_data(tmp_path / "nowhere")
    shutil.copyfile(served / "t10k-images-idx3-ubyte.gz", tmp_path / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(
        FileNotFoundError,
        match="lacks train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-labels",
    ):
        mnist.load_data(tmp_path)
    with pytest.raises(ValueError, match="Pass either path or sample=True"):
        mnist.load_data(tmp_path, sample=True)


def test_explicit_npz_that_is_not_a_dataset_is_rejected(tmp_path):
    wrong_keys = tmp_path / "wrong.npz"
    np.savez(wrong_keys, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="lacks the arrays y_train, x_test, y_test"):
        mnist.load_data(wrong_keys)
    not_npz = tmp_path / "text.npz"
    not_npz.write_text("hello")
    with pytest.raises(ValueError, match="not a readable .npz file"):
        mnist.load_data(not_npz)
    mismatched = tmp_path / "mismatched.npz"
    images, labels = np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8)
    np.savez(mismatched, x_train=images, y_train=labels, x_test=images, y_test=labels)
    with pytest.raises(ValueError, match="x_train has 3 images but y_train has 2 labels"):
        mnist.load_data(mismatched)


def test_truncated_file_in_an_explicit_folder_is_reported(served, tmp_path):
    shutil.copytree(served, tmp_path / "m", ignore=shutil.ignore_patterns("*.npz"))
    labels = tmp_path / "m" / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-100]))
    with pytest.raises(ValueError, match="truncated: its header announces 10000 values"):
        mnist.load_data(tmp_path / "m")


def test_loaded_data_unpacks_like_keras():
    loaded = mnist.load(sample=True)
    assert isinstance(loaded, LoadedData)
    (x_train, _), (_, y_test) = loaded.data
    assert x_train is loaded.x_train and y_test is loaded.y_test


@pytest.fixture
def sample_npz(served):
    return served / "mnist.npz"


def _sample_arrays():
    (x_train, y_train), (x_test, y_test) = mnist.load_data(sample=True)
    return x_train, y_train, x_test, y_test


def _assert_same_as_sample(loaded):
    for got, want in zip(
        (loaded.x_train, loaded.y_train, loaded.x_test, loaded.y_test),
        _sample_arrays(),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
