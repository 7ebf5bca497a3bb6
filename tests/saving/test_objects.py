"""serialize_keras_object and its twins, as a custom layer's get_config uses them."""

from __future__ import annotations

import json

import numpy as np
import pytest

import numkeras
from numkeras import layers, saving


@saving.register_keras_serializable(package="test_objects")
class Wrapper(layers.Layer):
    """From "Making new layers and models via subclassing": a layer holding a layer serializes
    it in its config."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs):
        return self.inner(inputs)

    def get_config(self):
        return {**super().get_config(), "inner": saving.serialize_keras_object(self.inner)}

    @classmethod
    def from_config(cls, config):
        config["inner"] = saving.deserialize_keras_object(config["inner"])
        return cls(**config)


def test_a_layer_round_trips_through_json():
    dense = layers.Dense(3, activation="relu")
    config = json.loads(json.dumps(saving.serialize_keras_object(dense)))
    twin = saving.deserialize_keras_object(config)
    assert type(twin) is layers.Dense and twin.get_config() == dense.get_config()


def test_a_custom_layer_holding_a_layer_saves_and_loads(tmp_path):
    model = numkeras.Sequential([layers.Input((4,)), Wrapper(layers.Dense(2))])
    model.save(tmp_path / "m.numkeras")
    loaded = numkeras.models.load_model(tmp_path / "m.numkeras")
    x = np.ones((3, 4), "float32")
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_registered_names_and_objects():
    assert saving.get_registered_name(Wrapper) == "test_objects>Wrapper"
    assert saving.get_registered_name(layers.Dense) == "Dense"
    assert saving.get_registered_object("test_objects>Wrapper") is Wrapper
    assert saving.get_registered_object("Nowhere") is None
    assert saving.get_registered_object("Nowhere", module_objects={"Nowhere": int}) is int


def test_an_unregistered_class_is_refused():
    with pytest.raises(ValueError, match="custom_objects"):
        saving.deserialize_keras_object({"class_name": "os.system", "config": {}})
