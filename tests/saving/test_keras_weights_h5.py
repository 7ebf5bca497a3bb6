"""Keras 3's ``.weights.h5`` files: real Keras reads what numkeras writes and the reverse, and
hostile files are refused with ModelFileError, leaving the model's weights as they were."""

from __future__ import annotations

import os
import re
import sys
import warnings
from typing import Any

import h5py
import numpy as np
import pytest

import numkeras
from numkeras.saving import ModelFileError


def sequential(k: Any) -> Any:
    """Conv2D, BatchNormalization, Conv1D, the recurrent layers and Dense (Keras or numkeras)."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((6, 6, 2)),
            layers.Conv2D(2, 3),
            layers.BatchNormalization(),
            layers.Reshape((16, 2)),
            layers.Conv1D(2, 3),
            layers.LSTM(3, return_sequences=True),
            layers.GRU(3, return_sequences=True),
            layers.SimpleRNN(2),
            layers.Dense(2),
        ]
    )


def sequences(k: Any) -> Any:
    """The normalization layers, PReLU and the 1D convolutions on sequences (Keras or numkeras)."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((7, 4)),
            layers.Normalization(),
            layers.LayerNormalization(),
            layers.GroupNormalization(groups=2),
            layers.PReLU(),
            layers.Conv1DTranspose(3, 2),
            layers.DepthwiseConv1D(2),
            layers.SeparableConv1D(4, 2),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )


def images(k: Any) -> Any:
    """The 2D transposed, depthwise and separable convolutions (Keras or numkeras)."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((6, 6, 2)),
            layers.Conv2DTranspose(3, 2),
            layers.DepthwiseConv2D(2, depth_multiplier=2),
            layers.SeparableConv2D(2, 3),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )


def wrappers(k: Any) -> Any:
    """Bidirectional, TimeDistributed and an RNN over stacked cells (Keras or numkeras)."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((5, 3)),
            layers.Bidirectional(layers.LSTM(2, return_sequences=True)),
            layers.TimeDistributed(layers.Dense(3)),
            layers.Dropout(0.5),
            layers.GaussianNoise(0.1),
            layers.RNN([layers.LSTMCell(2), layers.GRUCell(3)], return_sequences=True),
            layers.Bidirectional(layers.GRU(2), merge_mode="sum"),
            layers.Dense(2),
        ]
    )


def functional(k: Any) -> Any:
    """An Embedding, a nested Sequential with two Dense layers, and a Dense on top."""
    inputs = k.Input((4,))
    x = k.layers.Flatten()(k.layers.Embedding(10, 3)(inputs))
    inner = k.Sequential([k.Input((12,)), k.layers.Dense(4), k.layers.Dense(2)])
    return k.Model(inputs, k.layers.Dense(3)(inner(x)))


def subclassed(k: Any) -> Any:
    """A subclassed model with layers in attributes and in a list, as Keras walks them."""

    class Towers(k.Model):
        def __init__(self) -> None:
            super().__init__()
            self.left = k.layers.Dense(4, activation="relu")
            self.right = k.layers.Dense(4, activation="tanh")
            self.blocks = [k.layers.Dense(3), k.layers.Dense(2)]

        def call(self, inputs: Any) -> Any:
            x = self.left(inputs) + self.right(inputs)
            return self.blocks[1](self.blocks[0](x))

    model = Towers()
    model(np.zeros((1, 5), "float32"))
    return model


CASES = {
    "sequential": (sequential, lambda rng: rng.normal(size=(5, 6, 6, 2)).astype("float32")),
    "sequences": (sequences, lambda rng: rng.normal(size=(5, 7, 4)).astype("float32")),
    "images": (images, lambda rng: rng.normal(size=(5, 6, 6, 2)).astype("float32")),
    "wrappers": (wrappers, lambda rng: rng.normal(size=(5, 5, 3)).astype("float32")),
    "functional": (functional, lambda rng: rng.integers(0, 10, (5, 4))),
    "subclassed": (subclassed, lambda rng: rng.normal(size=(5, 5)).astype("float32")),
}


def randomize(model: Any, rng: np.random.Generator) -> None:
    """Random weights (positive variances) so that a wrong mapping shows in the predictions."""
    model.set_weights(
        [
            rng.normal(size=w.shape).astype("float32") ** (2 if "variance" in w.name else 1)
            for w in model.weights
        ]
    )
    for layer in model.layers:
        # Keras's Normalization computes from copies of its mean and variance, made again by
        # finalize_state (as its load_own_variables does), not by set_weights.
        getattr(layer, "finalize_state", lambda: None)()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.mark.parametrize("case", CASES)
def test_keras_reads_what_numkeras_writes(case, keras, tmp_path, rng):
    build, data = CASES[case]
    ours, theirs = build(numkeras), build(keras)
    randomize(ours, rng)
    path = tmp_path / "m.weights.h5"
    ours.save_weights(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. Keras's warning about variables it did not find
        theirs.load_weights(path)
    x = data(rng)
    np.testing.assert_allclose(
        np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize("case", CASES)
def test_numkeras_reads_what_keras_writes(case, keras, tmp_path, rng):
    build, data = CASES[case]
    ours, theirs = build(numkeras), build(keras)
    randomize(theirs, rng)
    path = tmp_path / "m.weights.h5"
    theirs.save_weights(path)
    ours.load_weights(str(path))
    x = data(rng)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5, rtol=1e-5
    )


def test_state_that_numkeras_does_not_keep_is_ignored(keras, tmp_path, rng):
    """Keras versions that store a Dropout's seed generator state write it as
    ``<layer>/seed_generator/vars/0``: such groups are ignored, the weights read."""
    theirs, ours = wrappers(keras), wrappers(numkeras)
    randomize(theirs, rng)
    path = tmp_path / "m.weights.h5"
    theirs.save_weights(path)
    with h5py.File(path, "a") as f:
        for layer in ("dropout", "gaussian_noise"):
            f.create_dataset(f"layers/{layer}/seed_generator/vars/0", data=np.array([1, 2], "u4"))
    ours.load_weights(str(path))
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras_1_spelling_is_stored_as_keras_3_class(tmp_path):
    layers = numkeras.layers
    model = numkeras.Sequential(
        [numkeras.Input((4, 4, 1)), layers.Conv2D(1, 2), layers.Convolution2D(1, (2, 2))]
    )
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path) as f:
        assert sorted(f["layers"]) == ["conv2d", "conv2d_1"]


def dense_model() -> Any:
    return numkeras.Sequential([numkeras.Input((3,)), numkeras.layers.Dense(2)])


def saved(tmp_path: Any) -> tuple[Any, str]:
    """A Dense model and the path of a ``.weights.h5`` file of other weights to spoil."""
    path = str(tmp_path / "m.weights.h5")
    other = dense_model()
    other.save_weights(path)
    return dense_model(), path


def replace(path: str, name: str, **dataset: Any) -> None:
    with h5py.File(path, "a") as f:
        del f[name]
        if dataset:
            f.create_dataset(name, **dataset)


def link(path: str, to: Any) -> None:
    """Make the Dense kernel a link ``to`` something else."""
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = to


def external_link(path: str, folder: Any) -> None:
    target = str(folder / "elsewhere.h5")
    with h5py.File(target, "w") as f:
        f.create_dataset("kernel", data=np.ones((3, 2), "float32"))
    link(path, h5py.ExternalLink(target, "kernel"))


def truncate(path: str, folder: Any) -> None:
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


SPOILERS = {
    "wrong shape": lambda p, _: replace(p, "layers/dense/vars/0", data=np.ones((2, 3), "f4")),
    "wrong dtype": lambda p, _: replace(p, "layers/dense/vars/0", data=np.ones((3, 2), "c8")),
    "string dataset": lambda p, _: replace(p, "layers/dense/vars/1", data=np.array([b"a", b"b"])),
    "missing group": lambda p, _: replace(p, "layers/dense"),
    "missing dataset": lambda p, _: replace(p, "layers/dense/vars/1"),
    "soft link": lambda p, _: link(p, h5py.SoftLink("/vars")),
    "external link": external_link,
    "truncated file": truncate,
    "not hdf5": lambda p, _: open(p, "wb").write(b"not an HDF5 file"),
}


#: What the error says about each spoiled file, after naming it.
REASONS = {
    "wrong shape": r"has shape \(2, 3\) at 'layers/dense/vars/0'",
    "wrong dtype": "has dtype complex64",
    "string dataset": "expected a float or int dataset",
    "missing group": "has no group at 'layers/dense/vars'",
    "missing dataset": "holds 1 weights at 'layers/dense/vars'",
    "soft link": "link of type SoftLink",
    "external link": "link of type ExternalLink",
    "truncated file": "not a readable HDF5 file",
    "not hdf5": "not a readable HDF5 file",
}


@pytest.mark.parametrize("spoil", SPOILERS)
def test_hostile_files_are_refused_and_change_nothing(spoil, tmp_path):
    model, path = saved(tmp_path)
    SPOILERS[spoil](path, tmp_path)
    before = model.get_weights()
    with pytest.raises(ModelFileError, match="m.weights.h5") as error:
        model.load_weights(path)
    assert re.search(REASONS[spoil], str(error.value))
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    model, path = saved(tmp_path)
    with open(path, "rb") as f:
        old = f.read()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(h5py.Group, "create_dataset", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(path)
    with open(path, "rb") as f:
        assert f.read() == old
    assert os.listdir(tmp_path) == ["m.weights.h5"]


def test_an_unmapped_layer_is_named(tmp_path):
    model = numkeras.Sequential([numkeras.Input((4, 3)), numkeras.layers.Maxout(2, name="norm")])
    with pytest.raises(ValueError, match="'norm'"):
        model.save_weights(tmp_path / "m.weights.h5")


def test_missing_h5py_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"pip install 'numkeras\[interop\]'"):
        dense_model().save_weights(tmp_path / "m.weights.h5")


def test_other_h5_paths_get_keras2_hdf5(tmp_path):
    """A path ending in .h5 but not .weights.h5 is Keras 2's HDF5 (test_keras_legacy_h5.py)."""
    dense_model().save_weights(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert "layer_names" in f.attrs and "vars" not in f


def test_by_name_is_refused_for_keras_files(tmp_path):
    model, path = saved(tmp_path)
    with pytest.raises(ValueError, match="by_name and skip_mismatch"):
        model.load_weights(path, by_name=True)
