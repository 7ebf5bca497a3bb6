"""Model files across devices: saved on the GPU, loaded on the CPU, and the reverse, to the bit.

The GPU is the strict stand-in (``tests/strict_xp.py``), which refuses every implicit trip to
the host, so saving from the device proves that the writers copy through ``to_numpy``.
"""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
from numkeras import backend, layers, optimizers

# Every format that holds a model; ``.weights.h5`` holds the weights only.
MODEL_FILES = ["model.numkeras", "model.keras", "model.h5"]
ALL_FILES = [*MODEL_FILES, "model.weights.h5"]


def _data():
    rng = np.random.default_rng(3)
    x = rng.random((96, 12), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 96)]
    return x, y


def _model():
    model = numkeras.Sequential(
        [
            layers.Input((12,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizers.Adam(), "categorical_crossentropy", metrics=["accuracy"])
    return model


def _trained():
    backend.set_random_seed(0)
    model = _model()
    model.fit(*_data(), batch_size=16, epochs=2, verbose=0)
    return model


def _save(model, path):
    (model.save_weights if path.name.endswith(".weights.h5") else model.save)(path)


def _load(path):
    """The file at ``path`` loaded on the active device (weights into a new compiled model for
    a ``.weights.h5``)."""
    if path.name.endswith(".weights.h5"):
        model = _model()
        model.load_weights(path)
        return model
    return numkeras.models.load_model(path)


def _slots(model):
    # Copies: on the CPU to_numpy gives the live slots, which training updates in place.
    return [np.array(backend.to_numpy(s)) for s in model.optimizer.variables]


def _assert_equal(arrays, reference):
    assert len(arrays) == len(reference)
    for ours, theirs in zip(arrays, reference):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", ALL_FILES)
def test_a_model_trained_on_the_device_loads_on_the_cpu_bit_identical(stand_in, tmp_path, name):
    model = _trained()
    path = tmp_path / name
    _save(model, path)
    weights, slots = model.get_weights(), _slots(model)

    backend.set_device("cpu")
    loaded = _load(path)
    assert all(type(w.data) is np.ndarray for w in loaded.weights)
    _assert_equal(loaded.get_weights(), weights)
    if name in MODEL_FILES:
        assert loaded.optimizer.iterations == model.optimizer.iterations
        assert all(type(s) is np.ndarray for s in loaded.optimizer.variables)
        _assert_equal(_slots(loaded), slots)


@pytest.mark.parametrize("name", ALL_FILES)
def test_a_model_saved_on_the_cpu_loads_on_the_device_and_trains_on_as_on_the_cpu(
    stand_in, tmp_path, name
):
    backend.set_device("cpu")
    path = tmp_path / name
    _save(_trained(), path)

    def load_and_train():
        model = _load(path)
        before = model.get_weights(), _slots(model)
        backend.set_random_seed(1)
        history = model.fit(*_data(), batch_size=16, epochs=2, verbose=0)
        return model, before, history.history

    on_cpu, cpu_before, cpu_history = load_and_train()
    backend.set_device(stand_in)
    on_device, device_before, device_history = load_and_train()
    assert all(isinstance(w.data, stand_in.ndarray) for w in on_device.weights)
    assert all(isinstance(s, stand_in.ndarray) for s in on_device.optimizer.variables)
    _assert_equal(device_before[0], cpu_before[0])
    _assert_equal(device_before[1], cpu_before[1])
    # Training goes on from the loaded state as on the CPU, to the bit.
    _assert_equal(on_device.get_weights(), on_cpu.get_weights())
    _assert_equal(_slots(on_device), _slots(on_cpu))
    assert device_history == cpu_history
