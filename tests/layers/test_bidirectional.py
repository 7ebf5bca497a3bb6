"""Bidirectional: equal to Keras 3's on the same weights (every merge mode, returned states,
initial states, masks, stateful layers, a given backward layer, a generic RNN of stacked cells),
finite-difference gradients, symbolic shapes, masks and summary, nested config, Keras's checks
of the two directions, and a model file round trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from conv_layers_support import round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING

import numkeras
from numkeras import backend
from numkeras.layers import GRU, LSTM, Bidirectional, Dense, Input, SimpleRNN
from numkeras.models import Model, Sequential
from numkeras.ops import Variable, concatenate
from numkeras.utils.gradient_check import check_gradients

X = np.random.default_rng(0).standard_normal((3, 5, 4)).astype(np.float32)
MERGE_MODES = ["concat", "sum", "ave", "mul", None]


def _as_list(outputs: Any) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def assert_twin_graphs_agree(keras: Any, make: Callable[[Any, Any], Any], x: Any) -> None:
    """``make(lib, inputs)`` returns the outputs of a graph of ``lib``'s layers on ``inputs``
    (one ``Input`` per array of ``x``, an array or a list). The model of that graph in real
    Keras 3 and in numkeras, on Keras's initial weights, gives the same outputs, and the same
    weights after one SGD(0.1) step on the mean squared error of every output. (Several layers
    in one graph: Keras compiles its training step once.)"""
    models = []
    for lib in (keras, numkeras):
        inputs = [lib.Input(a.shape[1:], dtype=a.dtype.name) for a in _as_list(x)]
        inputs = inputs if isinstance(x, list) else inputs[0]
        models.append(lib.Model(inputs, make(lib, inputs)))
    theirs, ours = models
    ours.set_weights(theirs.get_weights())
    expected = [np.asarray(y) for y in _as_list(theirs(x))]
    got = _as_list(ours.predict(x, verbose=0))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    rng = np.random.default_rng(1)
    targets = [rng.standard_normal(y.shape).astype(np.float32) for y in expected]
    for model, lib in ((theirs, keras), (ours, numkeras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=["mse"] * len(targets))
        model.train_on_batch(x, targets)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def _branches(inputs: Any, *layers: Any) -> list:
    """The outputs of every layer of ``layers`` called on ``inputs``, in one flat list."""
    return [y for layer in layers for y in _as_list(layer(inputs))]


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("LSTM", {"return_sequences": True}), ("GRU", {})],
    ids=["LSTM-sequences", "GRU-last-step"],
)
def test_every_merge_mode_equals_keras(keras, name, kwargs):
    def make(lib, inputs):
        rnn = getattr(lib.layers, name)
        return _branches(
            inputs,
            *(lib.layers.Bidirectional(rnn(3, **kwargs), merge_mode=m) for m in MERGE_MODES),
        )

    assert_twin_graphs_agree(keras, make, X)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_return_state_equals_keras(keras):
    def make(lib, inputs):
        return _branches(
            inputs,
            lib.layers.Bidirectional(lib.layers.LSTM(3, return_sequences=True, return_state=True)),
            lib.layers.Bidirectional(lib.layers.GRU(2, return_state=True), merge_mode=None),
        )

    assert_twin_graphs_agree(keras, make, X)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_a_given_backward_layer_equals_keras(keras):
    def make(lib, inputs):
        backward = lib.layers.GRU(2, return_sequences=True, go_backwards=True, activation="relu")
        return lib.layers.Bidirectional(
            lib.layers.LSTM(3, return_sequences=True), backward_layer=backward
        )(inputs)

    assert_twin_graphs_agree(keras, make, X)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_a_generic_rnn_of_stacked_cells_equals_keras(keras):
    def make(lib, inputs):
        cells = [lib.layers.LSTMCell(3), lib.layers.GRUCell(2)]
        rnn = lib.layers.RNN(cells, return_sequences=True)
        return lib.layers.Bidirectional(rnn, merge_mode="sum")(inputs)

    assert_twin_graphs_agree(keras, make, X)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_masked_steps_equal_keras(keras):
    # Padding (token 0) at the end, in the middle and at the start of a sequence. Keras makes
    # the outputs of masked steps zeros when the layers return sequences, and otherwise carries
    # each direction's state over them.
    tokens = np.array([[3, 1, 4, 0, 0], [1, 5, 9, 2, 6], [0, 5, 3, 0, 5]], np.int32)

    def make(lib, inputs):
        embedded = lib.layers.Embedding(10, 4, mask_zero=True)(inputs)
        return _branches(
            embedded,
            lib.layers.Bidirectional(lib.layers.LSTM(3, return_sequences=True)),
            lib.layers.Bidirectional(lib.layers.GRU(2, return_state=True), merge_mode=None),
        )

    assert_twin_graphs_agree(keras, make, tokens)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_initial_state_is_split_between_the_directions_as_in_keras(keras):
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    ours = Bidirectional(LSTM(3, return_sequences=True))
    states = [np.full((3, 3), 0.1 * (k + 1), np.float32) for k in range(4)]
    expected = np.asarray(theirs(X, initial_state=states))
    ours.build(X.shape)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(X, initial_state=states).numpy(), expected, atol=1e-5)
    # The second half is the backward layer's: changing it leaves the forward half alone.
    moved = ours(X, initial_state=states[:2] + [s * 0 for s in states[2:]]).numpy()
    np.testing.assert_allclose(moved[..., :3], expected[..., :3], atol=1e-5)
    assert not np.allclose(moved[..., 3:], expected[..., 3:])


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_symbolic_initial_states_in_a_functional_model_equal_keras(keras):
    states = [np.full((3, 3), 0.1 * (k + 1), np.float32) for k in range(4)]

    def make(lib, inputs):
        x, *initial_state = inputs
        layer = lib.layers.Bidirectional(lib.layers.LSTM(3, return_sequences=True))
        return layer(x, initial_state=initial_state)

    assert_twin_graphs_agree(keras, make, [X, *states])


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_stateful_layers_carry_their_states_as_in_keras(keras):
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(3, stateful=True))
    ours = Bidirectional(LSTM(3, stateful=True))
    first = np.asarray(theirs(X))
    ours.build(X.shape)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(X).numpy(), first, atol=1e-5)
    # The second batch starts from the first one's final states, in both directions.
    np.testing.assert_allclose(ours(X).numpy(), np.asarray(theirs(X)), atol=1e-5)
    assert [tuple(s.shape) for s in ours.states] == [(3, 3)] * 4
    ours.reset_states()
    np.testing.assert_allclose(ours(X).numpy(), first, atol=1e-5)
    with pytest.raises(AttributeError, match="not stateful"):
        Bidirectional(LSTM(3)).reset_states()
    assert Bidirectional(LSTM(3)).states is None


def test_the_backward_output_is_flipped_back_into_the_input_order():
    layer = Bidirectional(SimpleRNN(2, return_sequences=True), merge_mode=None)
    y, y_rev = (t.numpy() for t in layer(X))
    forward, backward = layer.forward_layer, layer.backward_layer
    np.testing.assert_allclose(y, forward(X).numpy(), rtol=1e-6)
    np.testing.assert_allclose(y_rev, backward(X).numpy()[:, ::-1], rtol=1e-6)
    # Step t of the backward output has read x_t ... x_T: its last step saw only x_T.
    np.testing.assert_allclose(y_rev[:, -1], backward(X[:, -1:]).numpy()[:, 0], rtol=1e-6)


@pytest.mark.parametrize(
    ("make", "merge_mode", "mask"),
    [
        (lambda: LSTM(2, return_sequences=True), "concat", None),
        (lambda: GRU(2, return_state=True), "mul", None),
        (lambda: SimpleRNN(2, return_sequences=True), None, None),
        (lambda: LSTM(2, return_sequences=True), "sum", [[True, False, True], [False, True, True]]),
        (lambda: GRU(2), "ave", [[True, True, False], [True, False, False]]),
    ],
    ids=["LSTM-concat", "GRU-states-mul", "SimpleRNN-None", "LSTM-masked-sum", "GRU-masked-ave"],
)
def test_finite_difference_gradients(make, merge_mode, mask):
    with backend.floatx_scope("float64"):
        layer = Bidirectional(make(), merge_mode=merge_mode)
        xv = Variable(X[:2, :3].astype(np.float64))
        mask = None if mask is None else np.array(mask)

        def flat():
            outputs = _as_list(layer(xv, mask=mask))
            return concatenate([p.reshape((2, -1)) for p in outputs], axis=1)

        flat()
        check_gradients(flat, xv, *layer.trainable_weights)


def test_finite_difference_gradients_of_the_initial_state():
    with backend.floatx_scope("float64"):
        layer = Bidirectional(GRU(2), merge_mode="sum")
        xv = Variable(X[:2, :3].astype(np.float64))
        h, h_rev = Variable(np.full((2, 2), 0.3)), Variable(np.full((2, 2), -0.2))
        check_gradients(lambda: layer(xv, initial_state=[h, h_rev]), xv, h, h_rev)


def test_weights_are_fresh_copies_forward_then_backward():
    lstm = LSTM(3, name="encoder")
    lstm.build(X.shape)
    layer = Bidirectional(lstm)
    layer.build(X.shape)
    assert layer.forward_layer.name == "forward_encoder"
    assert layer.backward_layer.name == "backward_encoder" and layer.backward_layer.go_backwards
    assert layer.forward_layer is not lstm
    forward, backward = layer.forward_layer.weights, layer.backward_layer.weights
    assert len(forward) == 3 and layer.weights == [*forward, *backward]
    assert not any(w is v for w in layer.weights for v in lstm.weights)
    given = [np.full(w.shape, k, np.float32) for k, w in enumerate(layer.get_weights())]
    again = Bidirectional(LSTM(3), weights=given)
    again(X)
    for got, want in zip(again.get_weights(), given, strict=True):
        np.testing.assert_array_equal(got, want)


def test_symbolic_shapes_and_summary(capsys):
    inputs = Input((None, 4))
    seq = Bidirectional(LSTM(5, return_sequences=True))(inputs)
    assert seq.shape == (None, None, 10)
    y, y_rev, h, c, h_rev, c_rev = Bidirectional(LSTM(3, return_state=True), merge_mode=None)(seq)
    assert y.shape == y_rev.shape == h.shape == c_rev.shape == (None, 3)
    model = Model(inputs, [Dense(2)(concatenate([y, y_rev], axis=-1)), h_rev])
    out, h_value = model.predict(X, verbose=0)
    assert out.shape == (3, 2) and h_value.shape == (3, 3)
    model.summary()
    summary = capsys.readouterr().out
    # Two LSTM(5) on 4 features: 2 · 4 · (5 · (4 + 5) + 5) parameters.
    assert "(Bidirectional)" in summary and "(None, None, 10)" in summary and "400" in summary


def test_compute_mask_follows_keras():
    mask = np.array([[True, True, False]])
    x = np.zeros((1, 3, 2), np.float32)
    assert Bidirectional(LSTM(2, return_sequences=True)).compute_mask(x, mask) is mask
    assert Bidirectional(LSTM(2)).compute_mask(x, mask) is None
    pair = Bidirectional(GRU(2, return_sequences=True, return_state=True), merge_mode=None)
    assert pair.compute_mask(x, [mask]) == [mask, mask, None, None]


def test_config_nests_both_layers():
    layer = Bidirectional(LSTM(4, return_sequences=True), merge_mode="ave", name="both")
    config = layer.get_config()
    assert config["merge_mode"] == "ave" and config["name"] == "both"
    assert config["layer"]["class_name"] == config["backward_layer"]["class_name"] == "LSTM"
    assert config["backward_layer"]["config"]["go_backwards"]
    rebuilt = round_trip(layer)
    assert rebuilt.forward_layer.name == layer.forward_layer.name
    assert rebuilt.backward_layer.go_backwards and rebuilt.merge_mode == "ave"


def test_model_saves_and_loads(tmp_path):
    model = Sequential([Input((5, 4)), Bidirectional(GRU(3)), Dense(2)])
    path = tmp_path / "bidirectional.numkeras"
    model.save(path)
    loaded = numkeras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"layer": "lstm"}, "Bidirectional wraps a Layer instance.*layer='lstm'"),
        ({"layer": Dense(2)}, r"layer=<Dense .* lacks \['go_backwards', 'stateful'"),
        ({"backward_layer": Dense(2)}, r"backward_layer=<Dense .* lacks \['go_backwards'"),
        ({"merge_mode": "max"}, "merge_mode must be one of .* Received: merge_mode='max'"),
        ({"backward_layer": LSTM(2)}, "must differ in go_backwards"),
        (
            {"backward_layer": LSTM(2, go_backwards=True, return_sequences=True)},
            "same return_sequences. Received: layer.return_sequences=False",
        ),
        ({"layer": LSTM(2, go_backwards=True)}, "must differ in go_backwards"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Bidirectional(**{"layer": LSTM(2), **kwargs})


def test_an_odd_initial_state_is_refused():
    with pytest.raises(ValueError, match="an even count.*Received: 3 state"):
        Bidirectional(LSTM(2))(X, initial_state=[np.zeros((3, 2), np.float32)] * 3)
