"""Shared fixtures: every test starts from the same seed and knows where the real data is."""

from __future__ import annotations

from pathlib import Path

import pytest

import numkeras.backend as backend
from numkeras import kernels
from numkeras.datasets import mnist


@pytest.fixture(autouse=True)
def _seeded() -> None:
    backend.set_random_seed(1234)


@pytest.fixture
def mnist_dir() -> Path:
    """The real MNIST files packaged with numkeras (numkeras/datasets/data): 10,000 training
    digits and the official 10,000 test digits, so a fresh clone has all the suite needs."""
    return mnist.SAMPLE_DIR


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
    monkeypatch.setattr(
        kernels, "_native", {name: counted(name, k) for name, k in kernels._native.items()}
    )
    return use_numpy
