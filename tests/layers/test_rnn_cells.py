"""SimpleRNNCell, LSTMCell and GRUCell: one step equal to Keras 3's cells on the same weights,
finite-difference gradients of a step, Keras's defaults and configs, and the dropout masks drawn
as Keras's DropoutRNNCell draws them (one per gate once recurrent_dropout > 0)."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING

import numkeras
from numkeras import backend
from numkeras.layers import LSTM, RNN, GRUCell, LSTMCell, SimpleRNNCell
from numkeras.ops import Variable, concatenate
from numkeras.utils.gradient_check import check_gradients

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
CELLS = [
    ("SimpleRNNCell", {"activation": "relu"}),
    ("LSTMCell", {"bias_initializer": "he_normal", "unit_forget_bias": False}),
    ("GRUCell", {"bias_initializer": "he_normal"}),
    ("GRUCell", {"reset_after": False, "recurrent_activation": "hard_sigmoid"}),
]


def _states(cell):
    return [np.full((3, cell.units), 0.1 * (k + 1), np.float32) for k in range(cell.N_STATES)]


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(("name", "kwargs"), CELLS)
def test_one_step_equals_keras(keras, name, kwargs):
    theirs = getattr(keras.layers, name)(3, **kwargs)
    ours = getattr(numkeras.layers, name)(3, **kwargs)
    theirs.build(X.shape)
    ours.build(X.shape)
    ours.set_weights(theirs.get_weights())
    states = _states(ours)
    expected_output, expected_states = theirs(X, states)
    output, new_states = ours(X, states)
    np.testing.assert_allclose(output.numpy(), np.asarray(expected_output), atol=1e-6)
    for a, b in zip(new_states, expected_states, strict=True):
        np.testing.assert_allclose(a.numpy(), np.asarray(b), atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), CELLS)
def test_finite_difference_gradients_of_a_step(name, kwargs):
    with backend.floatx_scope("float64"):
        cell = getattr(numkeras.layers, name)(2, **kwargs)
        xv = Variable(X[:, :3].astype(np.float64))
        states = [Variable(np.full((3, 2), 0.2 * (k + 1))) for k in range(cell.N_STATES)]
        cell(xv, states)

        def flat():
            output, new_states = cell(xv, states)
            return concatenate([output, *new_states], axis=1)

        check_gradients(flat, xv, *states, *cell.trainable_weights)


def test_keras_defaults_sizes_and_initial_states():
    lstm, gru, simple = LSTMCell(5), GRUCell(5), SimpleRNNCell(5)
    assert lstm.state_size == [5, 5] and gru.state_size == simple.state_size == 5
    assert lstm.output_size == gru.output_size == 5
    zeros = lstm.get_initial_state(batch_size=2)
    assert len(zeros) == 2 and all(z.shape == (2, 5) and not z.numpy().any() for z in zeros)
    config = lstm.get_config()
    assert config["recurrent_initializer"]["class_name"] == "OrthogonalInitializer"
    assert config["unit_forget_bias"] and config["recurrent_activation"] == "sigmoid"
    assert gru.get_config()["reset_after"] and simple.get_config()["activation"] == "tanh"
    lstm.build((None, 3))
    np.testing.assert_array_equal(lstm.bias.numpy(), np.r_[np.zeros(5), np.ones(5), np.zeros(10)])


@pytest.mark.parametrize(
    "cell",
    [
        SimpleRNNCell(4, activation="relu", dropout=0.1, seed=3),
        LSTMCell(4, recurrent_dropout=0.2, kernel_regularizer="l2"),
        GRUCell(4, reset_after=False, use_bias=False),
    ],
)
def test_config_round_trip(cell):
    round_trip(cell)


def test_dropout_masks_are_drawn_as_keras_draws_them():
    lstm = LSTMCell(3, dropout=0.5, recurrent_dropout=0.25, seed=0)
    inputs, state = np.ones((2, 4), np.float32), np.ones((2, 3), np.float32)
    # One mask per gate once recurrent_dropout > 0 (Keras 3's implementation=1), else one.
    masks = lstm.get_dropout_mask(inputs)
    assert lstm.dropout_mask_count == 4 and len(masks) == 4
    assert all(m.shape == (2, 4) and set(np.unique(m)) <= {0.0, 2.0} for m in masks)
    assert lstm.get_dropout_mask(inputs) is masks  # the same mask at every step
    recurrent_masks = lstm.get_recurrent_dropout_mask(state)
    assert all(set(np.unique(m)) <= {0.0, np.float32(4 / 3)} for m in recurrent_masks)
    assert GRUCell(3, recurrent_dropout=0.1).dropout_mask_count == 3
    assert GRUCell(3, dropout=0.1).dropout_mask_count == 1
    single = SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.5).get_dropout_mask(inputs)
    assert single.shape == (2, 4)
    lstm.reset_dropout_mask()
    assert lstm._dropout_mask is None


def test_an_rnn_draws_new_masks_for_each_sequence_and_only_in_training():
    layer = RNN(SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.5, seed=0))
    x = np.ones((4, 5, 6), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), layer(x, training=False).numpy())
    assert layer.cell._dropout_mask is None and layer.cell._recurrent_dropout_mask is None
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert not np.allclose(first, second) and not np.allclose(first, layer(x).numpy())
    assert layer.cell._dropout_mask is None


# The layer hands its cell's arguments to the cell, whose checks name them: once for both.
@pytest.mark.parametrize("make", [LSTMCell, LSTM])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\). Received: dropout=1.0"),
        ({"recurrent_dropout": -0.1}, r"recurrent_dropout must be a number in \[0, 1\)"),
        ({"activation": "softmax"}, "activation must be one of .* Received: activation='softmax'"),
        ({"units": 0}, "units must be a positive integer. Received: units=0"),
    ],
)
def test_bad_arguments_are_refused_by_name(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**{"units": 2, **kwargs})


def test_a_bare_state_gives_a_bare_state_back_as_in_keras():
    cell = SimpleRNNCell(3)
    output, state = cell(X, np.zeros((3, 3), np.float32))
    assert state is output
    output, states = cell(X, [np.zeros((3, 3), np.float32)])
    assert len(states) == 1 and states[0] is output
