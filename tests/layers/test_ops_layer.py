"""OpLayer: op nodes train as Keras 3's do, round-trip through configs and model files, load only
numkeras.ops's public functions, and show in summary() by their op."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import numkeras
from numkeras import models, ops
from numkeras.layers import Dense, Input
from numkeras.layers.ops_layer import OpLayer
from numkeras.saving import ModelFileError

rng = np.random.default_rng(1)
XA = rng.standard_normal((8, 4)).astype(np.float32)
XB = rng.standard_normal((8, 4)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]


def arithmetic_model(lib, ops):
    """The same functional model in numkeras or Keras: Dense layers joined by arithmetic,
    slicing and ops."""
    a, b = lib.Input((4,)), lib.Input((4,))
    ha = lib.layers.Dense(6, name="dense_a")(a)
    hb = lib.layers.Dense(6, name="dense_b")(b)
    h = ops.relu(ha + hb) * 0.5 - hb[:, :1] ** 2
    mixed = ops.concatenate([h[:, :3], -h[..., 3:], ops.mean(h, axis=1, keepdims=True)], axis=-1)
    out = lib.layers.Dense(3, activation="softmax", name="dense_out")(mixed)
    return lib.Model([a, b], out)


def test_forward_and_training_step_match_keras(keras):
    ours, theirs = arithmetic_model(numkeras, ops), arithmetic_model(keras, keras.ops)
    names = ["dense_a", "dense_b", "dense_out"]
    for name in names:
        theirs.get_layer(name).set_weights(ours.get_layer(name).get_weights())
    np.testing.assert_allclose(
        ours.predict([XA, XB], verbose=0), theirs.predict([XA, XB], verbose=0), atol=1e-5
    )

    ours.compile(
        optimizer=numkeras.optimizers.SGD(learning_rate=0.5), loss="categorical_crossentropy"
    )
    theirs.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="categorical_crossentropy"
    )
    ours.fit([XA, XB], Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.fit([XA, XB], Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for name in names:
        expected = [keras.ops.convert_to_numpy(w.value) for w in theirs.get_layer(name).weights]
        for mine, value in zip(ours.get_layer(name).get_weights(), expected, strict=True):
            np.testing.assert_allclose(mine, value, atol=1e-5)


def graph_model():
    """``a + b``, ``x[:, 0]``, ``x * 0.5`` and ``ops.concatenate``, around a Dense."""
    a, b = Input((4,)), Input((4,))
    x = a + b
    joined = ops.concatenate([x * 0.5, Dense(3)(a)], axis=-1)
    return numkeras.Model([a, b], [joined, x[:, 0]])


def assert_same_predictions(model, other):
    for mine, theirs in zip(model.predict([XA, XB], verbose=0), other.predict([XA, XB], verbose=0)):
        np.testing.assert_array_equal(mine, theirs)


def test_get_config_and_from_config_round_trip():
    model = graph_model()
    config = model.get_config()
    json.dumps(config)  # the op nodes' arguments are JSON
    getitem = next(l for l in config["layers"] if l["config"].get("function") == "getitem")
    assert getitem["config"]["call_args"] == [
        {"__tensor__": 0},
        {"__tuple__": [{"__slice__": [None, None, None]}, 0]},
    ]
    rebuilt = numkeras.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    assert_same_predictions(model, rebuilt)


def test_save_and_load_model_round_trip(tmp_path):
    model = graph_model()
    model.save(tmp_path / "graph.numkeras")
    loaded = models.load_model(tmp_path / "graph.numkeras")
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    assert_same_predictions(model, loaded)


@pytest.mark.parametrize("function", ["__import__", "Tensor", "image", "system", "os"])
def test_a_model_file_can_name_public_ops_functions_only(function):
    spec = json.loads(graph_model().to_json())
    node = next(l for l in spec["config"]["layers"] if l["config"].get("function") == "add")
    node["config"]["function"] = function
    with pytest.raises(ModelFileError, match="public function of numkeras.ops"):
        models.model_from_json(json.dumps(spec))


@pytest.mark.parametrize(
    "call_args, words",
    [
        ([{"__tensor__": 0}, {"__import__": "os"}], "not a recorded argument"),
        ([{"__tensor__": 0}, {"__tensor__": 2}], "each of its tensor inputs once"),
        ([1.0, 2.0], "each of its tensor inputs once"),
        ([{"__tensor__": 0}, {"__array__": [1], "dtype": "object"}], "not a valid array"),
        ({"__tensor__": 0}, "call_args must be a list"),
    ],
)
def test_invalid_call_arguments_are_refused(call_args, words):
    with pytest.raises(ValueError, match=words):
        OpLayer("add", call_args)


def test_an_op_layer_runs_its_op_on_real_tensors():
    layer = OpLayer("concatenate", [[{"__tensor__": 0}, {"__tensor__": 1}]], {"axis": 0})
    np.testing.assert_array_equal(layer([XA, XB]).numpy(), np.concatenate([XA, XB]))
    assert layer.weights == []
    assert OpLayer.from_config(layer.get_config()).get_config() == layer.get_config()


def test_summary_shows_op_nodes_by_their_op():
    lines = []
    graph_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    for op, kind in (("add", "Add"), ("multiply", "Multiply"), ("concatenate", "Concatenate")):
        assert re.search(rf"{op}(_\d+)? \({kind}\)", text)
    assert "OpLayer" not in text


def test_integer_results_flow_through_the_graph_as_in_keras(keras):
    def build(library):
        inputs = library.Input((5,))
        index = library.ops.argmax(inputs, axis=-1)
        best = library.ops.take_along_axis(inputs, library.ops.expand_dims(index, -1), axis=-1)
        return index, library.Model(inputs, [best, library.ops.cast(index, "float32")])

    x = np.random.default_rng(0).random((4, 5)).astype("float32")
    (ours_index, ours), (their_index, theirs) = build(numkeras), build(keras)
    assert ours_index.dtype == their_index.dtype == "int32"
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert np.allclose(a, b)
    rebuilt = numkeras.Model.from_config(ours.get_config())
    assert np.array_equal(rebuilt.predict(x, verbose=0)[0][:, 0], x.max(axis=1))
