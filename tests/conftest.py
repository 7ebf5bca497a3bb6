"""Shared fixtures: every test starts from the same seed and knows where the real data is."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# numkeras picks the GPU by itself when CuPy finds one; the suite's CPU tests must stay on the
# CPU there, so it is pinned unless the environment asks for a device on purpose
# (``NUMKERAS_DEVICE=gpu pytest tests/backend``). Set before numkeras reads it, at its import.
if not {"NUMKERAS_DEVICE", "NUMKERAS_BACKEND"} & set(os.environ):
    os.environ["NUMKERAS_DEVICE"] = "cpu"
# Likewise NumPy's own products, even where the mkl extra is installed (``make bench`` installs
# it): the suite compares numkeras's bits with NumPy-computed references. tests/test_blas.py
# sets the variable itself.
os.environ.setdefault("NUMKERAS_BLAS", "numpy")

import numkeras.backend as backend  # noqa: E402
from numkeras import kernels  # noqa: E402
from numkeras.datasets import mnist  # noqa: E402

# Real Keras 3, the oracle that numkeras's numerics are compared with, runs on JAX's CPU build.
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")


@pytest.fixture(scope="session")
def keras():
    """Real Keras 3 on JAX (in the test extra), imported on first use only."""
    import keras

    return keras


@pytest.fixture(autouse=True)
def _absl_logs_to_the_real_stderr() -> None:
    # absl (imported with JAX, by the Keras oracle) makes its log handler on the stream pytest
    # captures at that moment, and closes that stream when a later logging.config.dictConfig
    # (uvicorn's, in the serve tests) closes the handlers: the real stderr it never closes.
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None:
        absl_logging.get_absl_handler().python_handler.stream = sys.__stderr__


@pytest.fixture(autouse=True)
def _seeded() -> None:
    backend.set_random_seed(1234)


@pytest.fixture
def stand_in():
    """The strict stand-in for CuPy (``tests/strict_xp.py``) as the GPU for one test: what the
    test builds lives on the "device", and any implicit trip to the host raises. The log of
    its stream, event and copy operations (``tests/strict_cuda.py``) starts empty."""
    import strict_cuda
    import strict_xp

    strict_cuda.log.clear()
    backend.set_device(strict_xp)
    yield strict_xp
    backend.set_device("cpu")


@pytest.fixture
def device_restored(monkeypatch):
    """The backend, whose device (chosen by a test, e.g. through ``--device``) is put back
    after the test."""
    for name in ("_XP", "_GPU", "_cupy"):
        monkeypatch.setattr(backend, name, getattr(backend, name))
    return backend


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
