"""models.clone_model: the same architecture with fresh weights, as Keras 3's clone_model."""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.layers import Dense, Dropout, Input
from numkeras.layers.ops_layer import OpLayer
from numkeras.models import Model, Sequential, clone_model

rng = np.random.default_rng(2)
XA = rng.standard_normal((6, 4)).astype(np.float32)
XB = rng.standard_normal((6, 4)).astype(np.float32)
Y = rng.standard_normal((6, 2)).astype(np.float32)


def sequential() -> Sequential:
    return Sequential([Input((4,)), Dense(5, activation="relu"), Dense(2)], name="stack")


def functional() -> Model:
    """Two inputs through one shared Dense, joined by op nodes (``+``, ``x[:, :2]``)."""
    a, b = Input((4,), name="left"), Input((4,), name="right")
    shared = Dense(3, name="shared")
    x = shared(a) + shared(b)
    out = Dense(2, name="head")(ops.concatenate([x, x[:, :2] * 0.5], axis=-1))
    return Model([a, b], out, name="graph")


def assert_fresh_copy(model, clone, data):
    """``clone`` has ``model``'s architecture, new weight variables of new values, and computes
    as ``model`` once it has its weights."""
    assert clone is not model and clone.name == model.name
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert not {id(w) for w in clone.weights} & {id(w) for w in model.weights}
    assert not all(np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights()))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(data, verbose=0), model.predict(data, verbose=0))


def test_a_sequential_model_gives_a_sequential_model():
    model = sequential()
    clone = clone_model(model)
    assert type(clone) is Sequential and clone.built
    assert clone.inputs[0].shape == (None, 4)
    assert_fresh_copy(model, clone, XA)


def test_a_functional_model_with_a_shared_layer_and_op_nodes():
    model = functional()
    clone = clone_model(model)
    assert isinstance(clone, Model) and not isinstance(clone, Sequential)
    assert [t.name for t in clone.inputs] == ["left", "right"]
    assert clone.inputs[0] is not model.inputs[0]
    # The shared layer is cloned once and called twice, as in the original.
    shared = clone.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    assert sum(isinstance(l, OpLayer) for l in clone.operations) == 4
    assert_fresh_copy(model, clone, [XA, XB])


def test_training_the_clone_leaves_the_original_untouched():
    model = functional()
    before = model.get_weights()
    clone = clone_model(model)
    clone.compile(optimizer="sgd", loss="mse")
    clone.fit([XA, XB], Y, epochs=2, verbose=0)
    for kept, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(kept, now)


def test_clone_function_is_applied_to_each_layer_once():
    model = functional()
    seen = []

    def wider(layer):
        seen.append(layer.name)
        config = layer.get_config()
        if layer.name == "shared":
            config["units"] = 5
        return type(layer).from_config(config)

    clone = clone_model(model, clone_function=wider)
    assert seen.count("shared") == 1
    assert len(seen) == len(model.operations) - 2  # every layer and op node but the inputs
    assert clone.get_layer("shared").get_weights()[0].shape == (4, 5)
    assert clone.predict([XA, XB], verbose=0).shape == (6, 2)

    reused = clone_model(model, clone_function=lambda layer: layer)
    assert reused.get_layer("head") is model.get_layer("head")


def test_input_tensors_and_call_function():
    model = functional()
    inputs = [Input((4,)), Input((4,))]

    def call(layer, given):
        out = layer(given)
        return Dropout(0.5)(out) if layer.name == "head" else out

    clone = clone_model(model, input_tensors=inputs, call_function=call)
    assert clone.inputs == inputs
    assert type(clone.layers[-1]) is Dropout

    with pytest.raises(ValueError, match="input_tensors must be 2 KerasTensor"):
        clone_model(model, input_tensors=[Input((4,))])
    with pytest.raises(ValueError, match="call_function is for functional models only"):
        clone_model(sequential(), call_function=call)
    with pytest.raises(ValueError, match="clone_function must be callable"):
        clone_model(model, clone_function="copy")


def test_a_sequential_model_on_given_input():
    entry = Input((4,))
    clone = clone_model(Sequential([Dense(2)]), input_tensors=entry)
    assert clone.built and clone.inputs[0].shape == (None, 4)
    with pytest.raises(ValueError, match=r"one Input\(\.\.\.\) tensor"):
        clone_model(sequential(), input_tensors=Dense(2)(entry))
    assert not clone_model(Sequential([Dense(2)])).built


@pytest.mark.parametrize("recursive", [False, True])
def test_nested_models(recursive):
    inner = functional()
    a, b = Input((4,)), Input((4,))
    model = Model([a, b], Dense(1, name="top")(inner([a, b])))
    calls = []

    def counted(layer):
        calls.append(layer.name)
        return type(layer).from_config(layer.get_config())

    clone = clone_model(model, clone_function=counted, recursive=recursive)
    # Recursively the inner model is rebuilt layer by layer, else as one layer.
    assert ("shared" in calls) is recursive and ("graph" in calls) is not recursive
    assert_fresh_copy(model, clone, [XA, XB])


def test_call_function_is_not_passed_to_a_nested_sequential_model():
    # As in Keras: a Sequential model's layers are not called, so it has no use for one.
    a = Input((4,))
    model = Model(a, Dense(1)(sequential()(a)))
    called = []

    def call(layer, given):
        called.append(type(layer).__name__)
        return layer(given)

    clone = clone_model(model, call_function=call, recursive=True)
    assert called == ["Sequential", "Dense"]
    assert type(clone.layers[1]) is Sequential and clone.layers[1] is not model.layers[1]


def test_a_compiled_model_gives_a_compiled_clone_like_keras(keras):
    model = functional()
    metric = numkeras.metrics.MeanAbsoluteError()
    model.compile(
        optimizer=numkeras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=[metric]
    )
    clone = clone_model(model)
    assert clone.compiled
    assert type(clone.optimizer) is type(model.optimizer) and clone.optimizer is not model.optimizer
    assert clone.optimizer.get_config() == model.optimizer.get_config()
    assert clone._metric_specs[0] is not metric
    clone.fit([XA, XB], Y, epochs=1, verbose=0)
    assert model.optimizer.iterations == 0

    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    theirs.compile(optimizer="adam", loss="mse")
    assert keras.models.clone_model(theirs).compiled
    assert not clone_model(sequential()).compiled


def test_a_frozen_model_gives_a_frozen_clone():
    model = sequential()
    model.trainable = False
    assert clone_model(model).trainable_weights == []


class Scaled(Model):
    """A subclassed model with a config of its own."""

    def __init__(self, units: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = Dense(units)

    def call(self, inputs):
        return self.dense(inputs) * 2.0

    def get_config(self):
        return {"units": self.units, "name": self.name}


def test_a_subclassed_model_is_rebuilt_from_its_config():
    model = Scaled(units=5, name="scaled")
    model(XA)
    clone = clone_model(model)
    assert type(clone) is Scaled and clone.units == 5 and clone.name == "scaled"
    assert clone(XA).shape == (6, 5)
    assert clone.dense is not model.dense
    with pytest.raises(ValueError, match="Sequential and functional models"):
        clone_model(model, clone_function=lambda layer: layer)


def test_a_lambda_is_cloned_with_its_own_function():
    from numkeras.layers import Lambda

    def doubled(x):
        return x * 2.0

    inputs = Input((3,))
    model = Model(inputs, Lambda(doubled)(Dense(2)(inputs)))
    clone = clone_model(model)
    lambdas = [layer for layer in clone.layers if isinstance(layer, Lambda)]
    assert len(lambdas) == 1 and lambdas[0].function is doubled
