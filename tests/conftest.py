"""Shared fixtures: every test starts from the same seed and the real data's location."""

from __future__ import annotations

from pathlib import Path

import pytest

import numkeras.backend as backend
from numkeras import kernels

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _seeded() -> None:
    backend.set_random_seed(1234)


@pytest.fixture
def mnist_dir() -> Path:
    """The real MNIST files that lie beside the repository (../shared/data/mnist)."""
    path = SHARED_DATA / "mnist"
    if not path.is_dir():
        pytest.fail(f"the real MNIST files are missing: expected them in {path}")
    return path


@pytest.fixture
def numpy_path(monkeypatch):
    """A context in which every caller takes its NumPy reference path; before it, the names
    of the kernels that ran are collected in ``numpy_path.used``."""

    def use_numpy():
        monkeypatch.setattr(kernels, "_native", {})

    def counted(name, kernel):
        def run(*args):
            use_numpy.used.add(name)
            return kernel(*args)
        return run

    use_numpy.used = set()
    monkeypatch.setattr(kernels, "_native",
                        {name: counted(name, k) for name, k in kernels._native.items()})
    return use_numpy
