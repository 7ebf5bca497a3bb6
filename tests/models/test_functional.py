"""Functional models: op nodes are graph nodes, not layers, as Keras 3's operations; a model's
config numbers only its own calls of a layer."""

from __future__ import annotations

import re

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.layers import Dense, Input
from numkeras.layers.ops_layer import OpLayer
from numkeras.models import Model, Sequential, load_model

rng = np.random.default_rng(3)
XA = rng.standard_normal((5, 3)).astype(np.float32)
XB = rng.standard_normal((5, 2)).astype(np.float32)


def joined(library) -> object:
    """Two inputs joined by ``ops.concatenate`` on their symbolic tensors, then a Dense: the
    functional guide's form, in numkeras or in Keras."""
    a, b = library.Input(shape=(3,)), library.Input(shape=(2,))
    merged = library.ops.concatenate([a, b], axis=-1)
    return library.Model([a, b], library.layers.Dense(1, name="out")(merged * 0.5))


@pytest.fixture(params=["numkeras", "keras"])
def library(request):
    return numkeras if request.param == "numkeras" else request.getfixturevalue("keras")


def test_op_nodes_are_not_among_the_layers_as_in_keras(library):
    model = joined(library)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "InputLayer", "Dense"]
    assert model.layers[-1] is model.get_layer("out")
    assert type(model.layers[-2]).__name__ == "InputLayer"
    # get_layer finds layers only: an op node's name is not a layer's.
    with pytest.raises(ValueError, match="concatenate"):
        model.get_layer("concatenate")


def test_operations_hold_the_op_nodes_in_the_order_they_run():
    model = joined(numkeras)
    kinds = [type(op).__name__ for op in model.operations]
    assert kinds == ["InputLayer", "InputLayer", "OpLayer", "OpLayer", "Dense"]
    assert [op.function for op in model.operations if isinstance(op, OpLayer)] == [
        "concatenate",
        "multiply",
    ]
    assert model.layers == [op for op in model.operations if not isinstance(op, OpLayer)]


def predictions(model) -> np.ndarray:
    return model.predict([XA, XB], verbose=0)


def test_config_and_model_file_keep_the_op_nodes(tmp_path):
    model = joined(numkeras)
    config = model.get_config()
    assert [spec["class_name"] for spec in config["layers"]].count("OpLayer") == 2
    rebuilt = Model.from_config(config)
    model.save(tmp_path / "joined.numkeras")
    loaded = load_model(tmp_path / "joined.numkeras")
    for other in (rebuilt, loaded):
        assert [type(op) for op in other.operations] == [type(op) for op in model.operations]
        assert [layer.name for layer in other.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(predictions(rebuilt), predictions(model))
    np.testing.assert_array_equal(predictions(loaded), predictions(model))


def summary_rows(model) -> list[tuple[str, str, str]]:
    """(kind, output shape, parameter count) of each row of ``model.summary()``."""
    lines: list[str] = []
    # Wide enough that Keras does not wrap a name onto a second line.
    model.summary(line_length=150, print_fn=lines.append)
    row = r"[│|] \S+ \((\w+)\)\s+[│|] (\([^)]*\))\s+[│|]\s+([\d,]+) [│|]"
    return re.findall(row, "\n".join(lines))


def test_summary_shows_the_op_nodes_as_keras_does(keras, monkeypatch):
    # Keras 3 lists a functional model's operations (op nodes included) in its summary, though
    # model.layers leaves them out. Its table is as wide as the terminal says (COLUMNS).
    monkeypatch.setenv("COLUMNS", "200")
    ours = summary_rows(joined(numkeras))
    assert ours == summary_rows(joined(keras))
    assert [kind for kind, _, _ in ours] == [
        "InputLayer",
        "InputLayer",
        "Concatenate",
        "Multiply",
        "Dense",
    ]


def test_freezing_the_model_reaches_every_layer():
    model = joined(numkeras)
    model.trainable = False
    assert all(not op.trainable for op in model.operations)
    assert model.trainable_weights == []


def test_a_layer_called_in_two_models_is_numbered_by_each_model_alone(tmp_path):
    shared = Dense(2, name="shared")
    first = Input((3,))
    Model(first, shared(first))
    second = Input((3,))
    model = Model(second, shared(second) + 1.0)
    config = model.get_config()
    spec = next(s for s in config["layers"] if s["name"] == "shared")
    assert len(spec["inbound_nodes"]) == 1
    add = next(s for s in config["layers"] if s["class_name"] == "OpLayer")
    assert add["inbound_nodes"] == [[["shared", 0, 0]]]
    rebuilt = Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(XA, verbose=0), model.predict(XA, verbose=0))


def test_a_layer_of_a_sequential_model_serves_a_functional_one(tmp_path):
    shared = Dense(2, name="shared_head")
    stack = Sequential([Input((3,)), shared])
    inputs = Input((3,))
    model = Model(inputs, ops.relu(shared(inputs)))
    assert len(shared._inbound_nodes) == 2  # the Sequential's call and the functional one
    model.save(tmp_path / "head.numkeras")
    loaded = load_model(tmp_path / "head.numkeras")
    np.testing.assert_allclose(loaded.predict(XA, verbose=0), model.predict(XA, verbose=0))
    stack.compile(optimizer="sgd", loss="mse")
    stack.fit(XA, np.zeros((5, 2), np.float32), epochs=1, verbose=0)
    np.testing.assert_allclose(
        model.predict(XA, verbose=0), np.maximum(stack.predict(XA, verbose=0), 0), atol=1e-6
    )


def test_input_and_output_of_a_model_are_its_own_as_in_keras(keras):
    for library in (numkeras, keras):
        a, b = library.Input(shape=(3,)), library.Input(shape=(2,))
        joined = library.layers.concatenate([library.layers.Dense(4)(a), b])
        out = library.layers.Dense(1)(joined)
        model = library.Model([a, b], out)
        assert model.output is out and list(model.input) == [a, b]
