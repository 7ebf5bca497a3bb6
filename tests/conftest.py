"""Shared fixtures: every test starts from the same seed and the real data's location."""

from __future__ import annotations

from pathlib import Path

import pytest

import numkeras.backend as backend

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
