"""StackedRNNCells: one step of the stack equal to Keras 3's on the same weights, sizes and
initial states as Keras gives them, config round trip, and what it refuses."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING
from rnn_support import minimal_cell

import numkeras
from numkeras.layers import Dense, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from numkeras.nest import leaves

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_one_step_equals_keras(keras):
    def stack(lib):
        cells = [lib.layers.LSTMCell(3), minimal_cell(lib)(2), lib.layers.GRUCell(2)]
        return lib.layers.StackedRNNCells(cells)

    theirs, ours = stack(keras), stack(numkeras)
    theirs.build(X.shape)
    ours.build(X.shape)
    ours.set_weights(theirs.get_weights())
    states = [[np.full((3, n), 0.1, np.float32)] * k for n, k in ((3, 2), (2, 2), (2, 1))]
    expected_output, expected_states = theirs(X, states)
    output, new_states = ours(X, states)
    np.testing.assert_allclose(output.numpy(), np.asarray(expected_output), atol=1e-6)
    expected = keras.tree.flatten(expected_states)
    for a, b in zip(leaves(new_states), expected, strict=True):
        np.testing.assert_allclose(a.numpy(), np.asarray(b), atol=1e-6)


def test_sizes_and_initial_states_as_keras_gives_them():
    stack = StackedRNNCells([LSTMCell(3), minimal_cell(numkeras)(2), SimpleRNNCell(4)])
    assert stack.state_size == [[3, 3], [2, 2], 4] and stack.output_size == 4
    initial = stack.get_initial_state(batch_size=5)
    assert [len(s) for s in initial] == [2, 2, 1]  # SimpleRNNCell gives a list of one
    assert all(s.shape[0] == 5 and not s.numpy().any() for s in leaves(initial))
    stack.build((None, 7))
    assert [w.shape for w in stack.cells[1].weights] == [(3, 2), (2, 2)]


def test_config_round_trip():
    stack = StackedRNNCells([LSTMCell(3, dropout=0.1), GRUCell(2, reset_after=False)])
    rebuilt = round_trip(stack)
    assert [type(c) for c in rebuilt.cells] == [LSTMCell, GRUCell]


def test_what_is_not_a_list_of_cells_is_refused():
    with pytest.raises(ValueError, match="cells must be a non-empty list of cells"):
        StackedRNNCells([])
    with pytest.raises(ValueError, match="cells must be a recurrent cell.*no `state_size`"):
        StackedRNNCells([LSTMCell(2), Dense(2)])
