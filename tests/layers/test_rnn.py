"""RNN(cell): a user's cell, stacked cells and numkeras's own cells equal to Keras 3 on the same
weights (masks, go_backwards, return_state, zero_output_for_mask), the whole-sequence path equal
to stepping the cell, finite-difference gradients, stateful layers, masks and shapes, configs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from keras_twin_support import KERAS_NUMPY2_WARNING
from rnn_support import assert_layers_agree, check_layer_gradients, minimal_cell

import numkeras
from numkeras import registry
from numkeras.layers import (
    RNN,
    Dense,
    GRUCell,
    Input,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
)
from numkeras.models import Model, Sequential

X = np.random.default_rng(0).standard_normal((3, 6, 4)).astype(np.float32)
#: Sample 0 ends early, sample 1 starts late, sample 2 skips a step in the middle.
MASK = np.ones((3, 6), bool)
MASK[0, 4:] = MASK[1, :2] = MASK[2, 2] = False

#: (options, mask): the options each with and without a mask, in three runs.
CASES = [
    ({}, None),
    ({"return_sequences": True, "go_backwards": True}, MASK),
    ({"return_state": True, "return_sequences": True}, MASK),
]
CASE_IDS = ["last_output", "backwards_sequence_masked", "states_masked"]


class SteppedLSTMCell(LSTMCell):
    """numkeras's LSTMCell with ``call`` redefined outside numkeras, so RNN steps it."""

    def call(self, inputs, states, training=None):
        return super().call(inputs, states, training=training)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(("options", "mask"), CASES, ids=CASE_IDS)
def test_a_users_cell_equals_keras(keras, options, mask):
    theirs = keras.layers.RNN(minimal_cell(keras)(3), **options)
    ours = RNN(minimal_cell(numkeras)(3), **options)
    assert not hasattr(ours.cell, "runs_whole_sequences")
    assert_layers_agree(theirs, ours, X, mask=mask)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(("options", "mask"), CASES, ids=CASE_IDS)
def test_stacked_own_cells_equal_keras(keras, options, mask):
    def cells(lib):
        return [lib.layers.LSTMCell(3), lib.layers.GRUCell(2), lib.layers.SimpleRNNCell(2)]

    theirs = keras.layers.RNN(keras.layers.StackedRNNCells(cells(keras)), **options)
    ours = RNN(StackedRNNCells(cells(numkeras)), **options)
    assert ours.cell.runs_whole_sequences
    assert_layers_agree(theirs, ours, X, mask=mask)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize("mask", [None, MASK], ids=["no_mask", "mask"])
def test_a_users_cell_stacked_with_an_own_cell_equals_keras(keras, mask):
    theirs = keras.layers.RNN([minimal_cell(keras)(3), keras.layers.GRUCell(2)], return_state=True)
    ours = RNN([minimal_cell(numkeras)(3), GRUCell(2)], return_state=True)
    assert not ours.cell.runs_whole_sequences
    assert_layers_agree(theirs, ours, X, mask=mask)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize("return_sequences", [True, False])
def test_zero_output_for_mask_equals_keras(keras, return_sequences):
    options = {"return_sequences": return_sequences, "zero_output_for_mask": True}
    theirs = keras.layers.RNN(keras.layers.LSTMCell(3), **options)
    ours = RNN(LSTMCell(3), **options)
    assert_layers_agree(theirs, ours, X, mask=MASK)
    if return_sequences:
        assert not ours(X, mask=MASK).numpy()[~MASK].any()


@pytest.mark.parametrize("mask", [None, MASK], ids=["no_mask", "mask"])
def test_the_whole_sequence_op_equals_stepping_the_cell(mask):
    fast = RNN(LSTMCell(3, dropout=0.3, recurrent_dropout=0.2), return_sequences=True)
    stepped = RNN(SteppedLSTMCell(3, dropout=0.3, recurrent_dropout=0.2), return_sequences=True)
    assert fast.cell.runs_whole_sequences and not stepped.cell.runs_whole_sequences
    fast.build(X.shape)
    stepped.build(X.shape)
    stepped.set_weights(fast.get_weights())
    for training in (False, True):
        masks = (
            [fast.cell.get_dropout_mask(X[:, 0]), fast.cell.get_recurrent_dropout_mask(X[:, 0, :3])]
            if training
            else [None, None]
        )
        for layer in (fast, stepped):
            layer.cell._dropout_mask, layer.cell._recurrent_dropout_mask = masks
        np.testing.assert_allclose(
            fast(X, mask=mask, training=training).numpy(),
            stepped(X, mask=mask, training=training).numpy(),
            atol=1e-6,
        )


@pytest.mark.parametrize(
    ("make", "options"),
    [
        (lambda: RNN(minimal_cell(numkeras)(2), return_state=True), {"mask": MASK[:2, :4]}),
        (lambda: RNN([LSTMCell(2), GRUCell(2)], go_backwards=True), {"mask": MASK[:2, :4]}),
        (lambda: RNN([minimal_cell(numkeras)(2), SimpleRNNCell(2)], return_sequences=True), {}),
    ],
)
def test_finite_difference_gradients(make, options):
    check_layer_gradients(make, X[:2, :4, :3], **options)


def test_stateful_keeps_the_final_states_between_calls_until_reset():
    whole = RNN(GRUCell(3), return_sequences=True)
    stateful = RNN(GRUCell(3), return_sequences=True, stateful=True)
    whole.build(X.shape)
    stateful.build(X.shape)
    stateful.set_weights(whole.get_weights())
    expected = whole(X).numpy()
    first, second = stateful(X[:, :2]).numpy(), stateful(X[:, 2:]).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, atol=1e-6)
    np.testing.assert_allclose(stateful.states[0].numpy(), expected[:, -1], atol=1e-6)
    stateful.reset_state()
    np.testing.assert_allclose(stateful(X[:, :2]).numpy(), first, atol=1e-6)
    # The kept states are not weights: the layer's weights are its cell's three.
    assert [id(w) for w in stateful.weights] == [id(w) for w in stateful.cell.weights]
    stateful.reset_states([np.zeros((3, 3), np.float32)])
    np.testing.assert_allclose(stateful(X[:, :2]).numpy(), first, atol=1e-6)


def test_stateful_in_a_model_carries_states_across_batches_and_resets():
    model = Sequential([Input((3, 4), batch_size=3), RNN(LSTMCell(2), stateful=True)])
    reference = RNN(LSTMCell(2))
    reference.build(X.shape)
    reference.set_weights(model.get_weights())
    model.predict(X[:, :3], verbose=0)
    np.testing.assert_allclose(model.predict(X[:, 3:], verbose=0), reference(X).numpy(), atol=1e-6)
    model.reset_states()
    np.testing.assert_allclose(
        model.predict(X[:, 3:], verbose=0), reference(X[:, 3:]).numpy(), atol=1e-6
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X[:, :3], np.zeros((3, 2), np.float32), batch_size=3, verbose=0)
    assert len(model.get_weights()) == 3


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ValueError, match=r"stateful=True needs a fixed batch size.*\(None, 3, 4\)"):
        Sequential([Input((3, 4)), RNN(LSTMCell(2), stateful=True)])
    layer = RNN(LSTMCell(2), stateful=True)
    layer(X)
    with pytest.raises(ValueError, match="built for, 3. Received a batch of 2"):
        layer(X[:2])
    with pytest.raises(ValueError, match="keeps no states to set.*stateful=False"):
        RNN(LSTMCell(2)).reset_states([np.zeros((3, 2))] * 2)


def test_compute_mask_follows_keras():
    mask = numkeras.ops.convert_to_tensor(MASK)
    assert RNN(LSTMCell(2)).compute_mask(X, mask) is None
    assert RNN(LSTMCell(2), return_sequences=True).compute_mask(X, mask) is mask
    both = RNN([LSTMCell(2), GRUCell(2)], return_sequences=True, return_state=True)
    assert both.compute_mask(X, [mask]) == [mask, None, None]


def test_symbolic_shapes_in_a_functional_model():
    inputs = Input((None, 4))
    seq, h, c = RNN(LSTMCell(5), return_sequences=True, return_state=True)(inputs)
    assert seq.shape == (None, None, 5) and h.shape == c.shape == (None, 5)
    last = RNN(minimal_cell(numkeras)(3))(RNN([SimpleRNNCell(4), GRUCell(2)], True)(seq))
    model = Model(inputs, Dense(1)(last))
    assert model.predict(X, verbose=0).shape == (3, 1)
    stacked = RNN([LSTMCell(2), GRUCell(3)], return_state=True)
    assert stacked.compute_output_shape((None, 6, 4)) == [
        (None, 3),
        [(None, 2), (None, 2)],
        (None, 3),
    ]


def test_config_round_trips_with_the_serialized_cell():
    layer = RNN([LSTMCell(2, dropout=0.1), GRUCell(3, reset_after=False)], go_backwards=True)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["cell"]["class_name"] == "StackedRNNCells"
    rebuilt = registry.deserialize({"class_name": "RNN", "config": config})
    assert rebuilt.get_config() == config and [type(c) for c in rebuilt.cell.cells] == [
        LSTMCell,
        GRUCell,
    ]
    cell_class = minimal_cell(numkeras)
    custom = RNN(cell_class(3), zero_output_for_mask=True)
    again = RNN.from_config(custom.get_config(), custom_objects={"MinimalRNNCell": cell_class})
    assert isinstance(again.cell, cell_class) and again.cell.units == 3
    assert again.zero_output_for_mask


def test_a_model_file_keeps_an_rnn_over_stacked_cells(tmp_path):
    model = Sequential([Input((6, 4)), RNN([LSTMCell(3), SimpleRNNCell(2)]), Dense(1)])
    path = str(tmp_path / "rnn.numkeras")
    model.save(path)
    loaded = numkeras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_bad_cells_masks_and_states_are_refused():
    with pytest.raises(ValueError, match="cell must be a recurrent cell.*no `state_size`"):
        RNN(Dense(3))
    with pytest.raises(ValueError, match=r"mask of shape \(batch, time\) = \(3, 6\)"):
        RNN(LSTMCell(2))(X, mask=MASK[:, :5])
    with pytest.raises(ValueError, match=r"2 array\(s\) of shape \(3, 2\)"):
        RNN(LSTMCell(2))(X, initial_state=[np.zeros((3, 2), np.float32)])
