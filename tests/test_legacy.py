"""Keras 2's module paths: each resolves to today's names and warns once, at the user's line."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import numkeras.layers as layers
import numkeras.utils as utils

# Each Keras 2 module path, today's home of its names, and a few of the names it gives.
MOVED = {
    "numkeras.layers.convolutional": (
        "numkeras.layers",
        {
            "Conv2D": layers.Conv2D,
            "Convolution2D": layers.Convolution2D,
            "MaxPooling2D": layers.MaxPooling2D,
            "ZeroPadding2D": layers.ZeroPadding2D,
        },
    ),
    "numkeras.layers.advanced_activations": (
        "numkeras.layers",
        {"LeakyReLU": layers.LeakyReLU, "PReLU": layers.PReLU, "ELU": layers.ELU},
    ),
    "numkeras.layers.noise": ("numkeras.layers", {"GaussianNoise": layers.GaussianNoise}),
    "numkeras.utils.np_utils": ("numkeras.utils", {"normalize": utils.normalize}),
}


def forget_module(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next import of module ``name`` run it anew, as a program's first import does;
    the module already loaded comes back after the test."""
    parent, _, child = name.rpartition(".")
    if hasattr(sys.modules[parent], child):
        monkeypatch.setattr(sys.modules[parent], child, getattr(sys.modules[parent], child))
    monkeypatch.delitem(sys.modules, name, raising=False)


def _fresh_import(name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list]:
    """Import module ``name`` anew and return it with the warnings that importing it gave."""
    forget_module(name, monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, caught


@pytest.mark.parametrize("name", sorted(MOVED))
def test_keras2_module_paths_give_todays_names_with_one_warning(name, monkeypatch):
    home, names = MOVED[name]
    module, caught = _fresh_import(name, monkeypatch)
    assert [str(w.message) for w in caught] == [
        f"`{name}` is the Keras 2 module path; import from `{home}`."
    ]
    assert all(getattr(module, n) is thing for n, thing in names.items())
    assert set(module.__all__) <= set(dir(importlib.import_module(home)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.import_module(name)  # imported already: no second warning


def test_the_warning_points_at_the_users_import_line(monkeypatch):
    forget_module("numkeras.layers.convolutional", monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from numkeras.layers.convolutional import Convolution2D, MaxPooling2D  # noqa: F401
    assert [(w.category, w.filename) for w in caught] == [(UserWarning, __file__)]


def test_the_recurrent_path_is_numkeras_own_module_of_the_rnn_layers():
    # Keras 2's path, now numkeras's own module: no warning (checked below with the others).
    recurrent = importlib.import_module("numkeras.layers.recurrent")
    for name in ("LSTM", "GRU", "SimpleRNN"):
        assert getattr(recurrent, name) is getattr(layers, name)


def test_numkeras_own_modules_on_keras2_paths_import_without_a_warning():
    # A fresh interpreter, so that each module's first import is the one checked.
    own = [
        "numkeras.layers.core",
        "numkeras.layers.pooling",
        "numkeras.layers.normalization",
        "numkeras.layers.recurrent",
        "numkeras.preprocessing.image",
        "numkeras.preprocessing.sequence",
    ]
    code = "; ".join(f"import {name}" for name in own)
    result = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
