"""Small files in the real format of Keras's IMDB and Reuters ``.npz`` (ragged object arrays of
lists of word indices, pickled inside the npz as ``np.savez`` writes them), and real Keras's
loader reading one of them."""

from __future__ import annotations

import importlib

import numpy as np


def ragged(count: int, rng: np.random.Generator, vocabulary: int = 60) -> np.ndarray:
    """``count`` sequences of 1 to 14 word indices in [1, vocabulary), as an object array."""
    sequences = np.empty(count, dtype=object)
    for index in range(count):
        length = int(rng.integers(1, 15))
        sequences[index] = [int(w) for w in rng.integers(1, vocabulary, size=length)]
    return sequences


def write_imdb(path, train: int = 40, test: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    np.savez(
        path,
        x_train=ragged(train, rng),
        y_train=rng.integers(0, 2, size=train),
        x_test=ragged(test, rng),
        y_test=rng.integers(0, 2, size=test),
    )
    return path


def write_reuters(path, count: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    np.savez(path, x=ragged(count, rng), y=rng.integers(0, 46, size=count))
    return path


def keras_load(monkeypatch, name: str, path, **kwargs):
    """Real Keras's load_data for dataset ``name``, reading ``path`` instead of downloading."""
    module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(module, "get_file", lambda *args, **kw: str(path))
    return module.load_data(**kwargs)


def assert_same(ours, theirs) -> None:
    """Equal splits: the same sequences, as 1-D object arrays of lists, and the same labels."""
    for (x, y), (kx, ky) in zip(ours, theirs, strict=True):
        assert x.dtype == object and x.ndim == 1
        assert all(type(sequence) is list for sequence in x)
        assert [list(s) for s in x] == [list(s) for s in kx]
        # An empty split keeps the file's label dtype; Keras's np.array([]) makes it float64.
        assert y.dtype == (ky.dtype if len(ky) else y.dtype) and y.dtype.kind == "i"
        np.testing.assert_array_equal(y, ky)
