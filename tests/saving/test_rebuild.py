"""Rebuilding from untrusted configs: slots of the right family, no wasted initializers, bounded
output shapes, and only numkeras's or the caller's own classes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from numkeras import initializers, registry
from numkeras.layers import (
    Activation,
    Dense,
    Dropout,
    Input,
    Layer,
    LeakyReLU,
    Softmax,
    UpSampling2D,
)
from numkeras.models import Model, Sequential, load_model, model_from_json
from numkeras.saving import (
    ModelFileError,
    get_limits,
    register_keras_serializable,
    set_limits,
)

from .helpers import edited, saved_bytes, tiny_model

DENSE = {"class_name": "Dense", "config": {"units": 10**9}}


def _write(tmp_path: Path, model: Model, **edits: Callable[[Any], Any]) -> Path:
    """``model`` saved to a file, with its JSON members edited (see ``helpers.edited``)."""
    path = tmp_path / "m.numkeras"
    path.write_bytes(edited(saved_bytes(model), **edits))
    return path


def _layer_edit(index: int, **changes: Any) -> Callable[[Any], Any]:
    """An edit of config.json that updates the config of layer ``index``."""

    def edit(config: Any) -> Any:
        config["config"]["layers"][index]["config"].update(changes)
        return config

    return edit


def _compile_edit(change: Callable[[dict], None]) -> Callable[[Any], Any]:
    def edit(config: Any) -> Any:
        change(config["compile_config"])
        return config

    return edit


# -- 1. every slot holds its own family only -----------------------------------------------------
@pytest.mark.parametrize(
    "slot, kind",
    [
        ("activation", "activation"),
        ("kernel_initializer", "initializer"),
        ("bias_regularizer", "regularizer"),
        ("kernel_constraint", "constraint"),
    ],
)
def test_a_layer_slot_refuses_a_layer(tmp_path: Path, slot: str, kind: str) -> None:
    model = tiny_model(compiled=False)
    path = _write(tmp_path, model, config=_layer_edit(0, **{slot: DENSE}))
    name = model.layers[0].name
    with pytest.raises(
        ModelFileError,
        match=rf"layer '{name}' \(Dense\), {slot}: .*names the "
        rf"class 'Dense', which is not an? {kind}",
    ):
        load_model(path)


def test_the_activation_layer_refuses_a_layer(tmp_path: Path) -> None:
    model = Sequential([Dense(2, input_shape=(3,)), Activation("relu")])
    path = _write(tmp_path, model, config=_layer_edit(1, activation=DENSE))
    with pytest.raises(ModelFileError, match=r"\(Activation\), activation: .*not an activation"):
        load_model(path)


def test_a_weightless_activation_layer_as_an_activation_round_trips(tmp_path: Path) -> None:
    model = Sequential([Dense(4, activation=LeakyReLU(0.1), input_shape=(3,)), Dense(2)])
    path = tmp_path / "leaky.numkeras"
    model.save(path)
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(
        load_model(path).predict(x, verbose=0), model.predict(x, verbose=0)
    )


@pytest.mark.parametrize(
    "change, kind",
    [
        (lambda c: c.update(loss=DENSE), "loss"),
        (lambda c: c.update(metrics=[DENSE]), "metric"),
        (lambda c: c.update(optimizer=DENSE), "optimizer"),
        (lambda c: c["optimizer"]["config"].update(learning_rate=DENSE), "learning-rate schedule"),
    ],
)
def test_a_compile_slot_refuses_a_layer(tmp_path: Path, change: Callable, kind: str) -> None:
    path = _write(tmp_path, tiny_model(), config=_compile_edit(change))
    with pytest.raises(ModelFileError, match=f"compile settings.*'Dense', which is not an? {kind}"):
        load_model(path)
    assert load_model(path, compile=False).layers  # the architecture itself is fine


# -- 2. no initializer runs for weights the file supplies; bounded cost without weights --------
def test_load_model_allocates_without_running_initializers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building the model to save skips the costly QR too: the test is about loading.
    monkeypatch.setattr(
        initializers.OrthogonalInitializer,
        "generate",
        lambda self, shape, dtype: np.zeros(shape, dtype),
    )
    model = Sequential([Dense(2048, kernel_initializer="orthogonal", input_shape=(2048,))])
    kernel = np.linspace(-1, 1, 2048 * 2048, dtype=np.float32).reshape(2048, 2048)
    model.set_weights([kernel, np.ones(2048, np.float32)])
    path = tmp_path / "m.numkeras"
    model.save(path)

    def refuse(self: Any, shape: Any, dtype: Any = None) -> None:
        raise AssertionError(f"{type(self).__name__} ran while loading")

    monkeypatch.setattr(initializers.Initializer, "__call__", refuse)
    loaded = load_model(path)
    assert np.array_equal(loaded.get_weights()[0], kernel)
    assert isinstance(loaded.layers[0].kernel_initializer, initializers.OrthogonalInitializer)


def test_every_weight_must_come_from_the_file(tmp_path: Path) -> None:
    def one_layer_more(config: Any) -> Any:
        # Fewer bytes of weights than the file holds, so only the weights' count tells.
        config["config"]["layers"][2]["config"]["units"] = 1
        config["config"]["layers"].append({"class_name": "Dense", "config": {"units": 1}})
        return config

    path = _write(tmp_path, tiny_model(compiled=False), config=one_layer_more)
    with pytest.raises(ModelFileError, match="holds weights for 2 layers but the model has 3"):
        load_model(path)


@pytest.fixture
def limits() -> Iterator[Callable[..., None]]:
    """Set some limits for the test; the old ones come back after it."""
    previous = get_limits()
    yield lambda **changes: set_limits(dataclasses.replace(previous, **changes))
    set_limits(previous)


def _orthogonal_json(units: int) -> str:
    spec = json.loads(
        Sequential([Dense(8, kernel_initializer="orthogonal", input_shape=(8,))]).to_json()
    )
    spec["config"]["build_input_shape"] = [None, units]
    spec["config"]["layers"][0]["config"].update(units=units, batch_input_shape=[None, units])
    return json.dumps(spec)


def test_model_from_json_bounds_the_cost_of_initializers(limits: Callable[..., None]) -> None:
    with pytest.raises(
        ModelFileError,
        match=r"shape \(4096, 4096\) with OrthogonalInitializer.*"
        r"Limits.max_initializer_cost",
    ):
        model_from_json(_orthogonal_json(4096))
    assert model_from_json(_orthogonal_json(16)).layers[0].kernel.shape == (16, 16)
    limits(max_initializer_cost=16**3 - 1)
    with pytest.raises(ModelFileError, match="max_initializer_cost"):
        model_from_json(_orthogonal_json(16))


# -- 3. output shapes and noise shapes are bounded by the sample budget --------------------------
def _upsampling(functional: bool) -> Model:
    if functional:
        inputs = Input((4, 4, 1))
        return Model(inputs, UpSampling2D(2)(inputs))
    return Sequential([Input((4, 4, 1)), UpSampling2D(2)])


@pytest.mark.parametrize("functional", [False, True])
def test_an_output_shape_over_the_sample_budget_is_refused(
    tmp_path: Path, functional: bool
) -> None:
    model = _upsampling(functional)
    index = len(model.get_config()["layers"]) - 1
    path = _write(tmp_path, model, config=_layer_edit(index, size=[3000, 3000]))
    name = model.layers[-1].name
    with pytest.raises(
        ModelFileError,
        match=rf"layer '{name}' \(UpSampling2D\) has outputs of "
        r"shape \(None, 12000, 12000, 1\).*max_sample_value",
    ):
        load_model(path)


def test_a_noise_shape_over_the_sample_budget_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, tiny_model(compiled=False), config=_layer_edit(1, noise_shape=[1, 10**9])
    )
    with pytest.raises(
        ModelFileError,
        match=r"noise_shape=\[1, 1000000000\], whose samples hold "
        "1000000000 values",
    ):
        load_model(path)


def test_a_noise_shape_that_does_not_fit_the_inputs_is_refused(tmp_path: Path) -> None:
    model = Sequential([Dense(4, input_shape=(3,)), Dropout(0.5)])
    path = _write(tmp_path, model, config=_layer_edit(1, noise_shape=[1, 5]))
    with pytest.raises(ModelFileError, match="does not broadcast to the input shape"):
        load_model(path)


def test_a_softmax_axis_out_of_range_is_refused(tmp_path: Path) -> None:
    model = Sequential([Dense(4, input_shape=(3,)), Softmax()])
    path = _write(tmp_path, model, config=_layer_edit(1, axis=10**9))
    with pytest.raises(ModelFileError, match="axis=1000000000 is out of range"):
        load_model(path)


# -- 4. only numkeras's classes, the caller's and those registered explicitly ------------------
class Scale(Layer):
    """A user's layer, defined outside numkeras and not registered."""

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        return inputs * 2.0

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


def test_a_users_layer_needs_custom_objects_or_a_scope(tmp_path: Path) -> None:
    path = _write(tmp_path, Sequential([Scale(input_shape=(3,)), Dense(2)]))
    with pytest.raises(ModelFileError, match="'Scale', which is neither a numkeras class"):
        load_model(path)
    assert type(load_model(path, custom_objects={"Scale": Scale}).layers[0]) is Scale
    with registry.custom_object_scope({"Scale": Scale}):
        assert type(load_model(path).layers[0]) is Scale


def test_a_registered_layer_loads_by_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_CLASSES", dict(registry._CLASSES))
    monkeypatch.setattr(registry, "_KEYS", dict(registry._KEYS))

    @register_keras_serializable(package="Mine")
    class Dense(Scale):  # noqa: F811 - the point: named like a numkeras layer
        pass

    path = _write(tmp_path, Sequential([Dense(input_shape=(3,))]))
    loaded = load_model(path)
    assert type(loaded.layers[0]) is Dense
    assert loaded.get_config()["layers"][0]["class_name"] == "Mine>Dense"


def test_a_registered_model_class_is_saved_and_loaded_by_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_CLASSES", dict(registry._CLASSES))
    monkeypatch.setattr(registry, "_KEYS", dict(registry._KEYS))

    @register_keras_serializable(package="Mine")
    class Stack(Sequential):
        pass

    path = _write(tmp_path, Stack([Dense(2, input_shape=(3,))]))
    assert json.loads(Stack([Dense(2, input_shape=(3,))]).to_json())["class_name"] == "Mine>Stack"
    assert type(load_model(path)) is Stack


def test_a_users_class_named_like_numkerass_does_not_replace_it(tmp_path: Path) -> None:
    path = _write(tmp_path, tiny_model(compiled=False))

    class Dense(Scale):  # noqa: F811
        pass

    assert all(type(layer) is not Dense for layer in load_model(path).layers)
    assert type(load_model(path).layers[0]).__module__ == "numkeras.layers.core"
