"""Layers called in a functional model with arguments besides their inputs, as Keras 3's nodes
record them: ``initial_state=[h, c]`` (the encoder-decoder of Keras's seq2seq example), an
explicit ``mask=``, ``training=``, plain values. They run in the graph, survive the config,
save/load and clone_model, and show in summary and plot_model."""

from __future__ import annotations

import json

import numpy as np
import pytest

import numkeras
from numkeras import layers, models
from numkeras.utils import model_visualization

rng = np.random.default_rng(5)
ENC = rng.standard_normal((6, 5, 3)).astype(np.float32)
DEC = rng.standard_normal((6, 4, 2)).astype(np.float32)
TARGETS = rng.integers(0, 3, (6, 4))


def seq2seq(lib):
    """Keras's encoder-decoder: the encoder's final states start the decoder."""
    enc_in, dec_in = lib.Input((5, 3)), lib.Input((4, 2))
    _, h, c = lib.layers.LSTM(8, return_state=True)(enc_in)
    decoded = lib.layers.LSTM(8, return_sequences=True)(dec_in, initial_state=[h, c])
    out = lib.layers.Dense(3, activation="softmax")(decoded)
    return lib.Model([enc_in, dec_in], out)


def test_the_states_start_the_decoder():
    model = seq2seq(numkeras)
    encoder, decoder = model.layers[2], model.layers[3]
    (node,) = decoder._inbound_nodes
    assert [t.node.layer for t in node.arguments["initial_state"]] == [encoder, encoder]
    _, h, c = encoder(ENC)
    want = model.layers[-1](decoder(DEC, initial_state=[h, c]))
    np.testing.assert_allclose(model.predict([ENC, DEC], verbose=0), want.data, rtol=1e-6)
    # Zero states would give another answer: the states do reach the decoder.
    assert not np.allclose(
        model.predict([ENC, DEC], verbose=0), model.layers[-1](decoder(DEC)).data
    )


def test_forward_matches_keras_on_the_same_weights(keras):
    theirs, ours = seq2seq(keras), seq2seq(numkeras)
    ours.set_weights(theirs.get_weights())
    want = np.asarray(theirs([ENC, DEC]))
    np.testing.assert_allclose(ours.predict([ENC, DEC], verbose=0), want, atol=1e-5)


def test_fits_saves_loads_and_clones_with_the_same_predictions(tmp_path):
    model = seq2seq(numkeras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit([ENC, DEC], TARGETS, epochs=5, batch_size=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    want = model.predict([ENC, DEC], verbose=0)

    path = tmp_path / "seq2seq.numkeras"
    model.save(path)
    np.testing.assert_array_equal(models.load_model(path).predict([ENC, DEC], verbose=0), want)

    rebuilt = models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict([ENC, DEC], verbose=0), want)

    clone = models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict([ENC, DEC], verbose=0), want)
    (node,) = clone.layers[3]._inbound_nodes
    assert node.arguments["initial_state"][0].node.layer is clone.layers[2]


def test_the_config_writes_the_call_in_keras_3_form():
    config = seq2seq(numkeras).get_config()
    encoder, decoder = config["layers"][2], config["layers"][3]
    assert encoder["inbound_nodes"] == [[[config["layers"][0]["name"], 0, 0]]]
    (call,) = decoder["inbound_nodes"]
    name = encoder["name"]
    assert call == {
        "args": [[config["layers"][1]["name"], 0, 0]],
        "kwargs": {
            "initial_state": [{"keras_history": [name, 0, 1]}, {"keras_history": [name, 0, 2]}]
        },
    }
    assert json.loads(json.dumps(config)) == config


def test_a_call_waits_for_the_layer_that_makes_its_states():
    # A config that lists the decoder before the encoder whose states it reads (as a hand-made
    # or reordered config may) still replays: the call waits for its keyword tensors too.
    model = seq2seq(numkeras)
    config = model.get_config()
    config["layers"][2], config["layers"][3] = config["layers"][3], config["layers"][2]
    rebuilt = models.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    want = model.predict([ENC, DEC], verbose=0)
    np.testing.assert_array_equal(rebuilt.predict([ENC, DEC], verbose=0), want)


def test_a_malformed_call_in_a_config_is_refused():
    config = seq2seq(numkeras).get_config()
    config["layers"][3]["inbound_nodes"] = [{"kwargs": {}}]
    with pytest.raises(ValueError, match="neither a list of input references nor"):
        models.Model.from_config(config)


def test_summary_and_plot_model_show_the_states_edge():
    model = seq2seq(numkeras)
    lines = []
    model.summary(print_fn=lines.append)
    encoder, decoder = model.layers[2].name, model.layers[3].name
    row = next(line for line in lines if f" {decoder} (LSTM)" in line)
    assert f"{model.inputs[1]._input_layer.name}, {encoder}, {encoder}" in row
    text = model_visualization.model_to_text(model)
    assert f"{decoder} (LSTM) <- {model.inputs[1]._input_layer.name}, {encoder}" in text


class MaskReader(layers.Layer):
    """Records the mask its call receives."""

    supports_masking = True

    def call(self, inputs, mask=None):
        self.seen = mask
        return inputs


def test_an_explicit_symbolic_mask_is_passed_on_each_run():
    x, m = layers.Input((4, 2)), layers.Input((4,), dtype="bool")
    reader = MaskReader()
    model = models.Model([x, m], reader(x, mask=m))
    given = np.array([[True, False, True, True]])
    out = model([np.ones((1, 4, 2), np.float32), given])
    assert reader.seen.data.tolist() == given.tolist()
    assert out._keras_mask.data.tolist() == given.tolist()
    rebuilt = models.Model.from_config(model.get_config(), {"MaskReader": MaskReader})
    rebuilt([np.ones((1, 4, 2), np.float32), given])
    assert rebuilt.layers[-1].seen.data.tolist() == given.tolist()


def test_a_training_flag_given_in_the_graph_applies_when_the_model_has_none():
    # As in Keras 3: Dropout(rate)(x, training=True) drops in model(x), but the model's own
    # flag wins (predict, model(x, training=False)).
    x = layers.Input((1000,))
    model = models.Model(x, layers.Dropout(0.5)(x, training=True))
    ones = np.ones((1, 1000), np.float32)
    assert (model(ones).data == 0).mean() == pytest.approx(0.5, abs=0.1)
    assert not (model.predict(ones, verbose=0) == 0).any()
    assert not (model(ones, training=False).data == 0).any()
    rebuilt = models.Model.from_config(model.get_config())
    assert (rebuilt(ones).data == 0).any()


class Scale(layers.Layer):
    def call(self, inputs, factor=1.0):
        return inputs * factor


def test_plain_values_and_positional_arguments_are_recorded_by_name():
    x = layers.Input((2,))
    model = models.Model(x, Scale()(x, 3.0))
    assert model.get_config()["layers"][1]["inbound_nodes"] == [
        {"args": [[model.layers[0].name, 0, 0]], "kwargs": {"factor": 3.0}}
    ]
    np.testing.assert_array_equal(model.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])
    rebuilt = models.Model.from_config(model.get_config(), {"Scale": Scale})
    np.testing.assert_array_equal(rebuilt.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])


def test_a_dense_output_read_as_an_argument_is_not_fused_away():
    x = layers.Input((3,))
    pre = layers.Dense(2)(x)
    post = layers.Activation("relu")(pre)
    out = Scale()(post, factor=pre)  # reads the Dense's output before its activation
    model = models.Model(x, out)
    data = rng.standard_normal((4, 3)).astype(np.float32)
    dense = model.layers[1]
    z = dense(data).data
    np.testing.assert_allclose(model.predict(data, verbose=0), np.maximum(z, 0) * z, rtol=1e-6)


def test_clone_model_gives_call_function_the_call_arguments():
    model = seq2seq(numkeras)
    seen = {}

    def call_function(layer, inputs, **kwargs):
        seen[layer.name] = sorted(kwargs)
        return layer(inputs, **kwargs)

    clone = models.clone_model(model, call_function=call_function)
    assert seen[model.layers[3].name] == ["initial_state"]
    assert seen[model.layers[2].name] == []
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(
        clone.predict([ENC, DEC], verbose=0), model.predict([ENC, DEC], verbose=0)
    )
