"""The JSON form of callbacks' states in checkpoints, and how a resumed fit matches them."""

import math

import numpy as np
import pytest

from numkeras import callbacks as cb
from numkeras.callbacks import state as callback_state

FIELDS = {"EarlyStopping": cb.EarlyStopping._state_fields}


def entry(best=0.5, weights=None, monitor="val_loss"):
    return {
        "class_name": "EarlyStopping",
        "monitor": monitor,
        "state": {
            "wait": 1,
            "best": best,
            "best_epoch": 2,
            "stopped_epoch": 0,
            "best_weights": weights,
        },
    }


def test_non_finite_numbers_are_strings_and_weights_are_members():
    weights = [np.ones((2, 2), np.float32), np.zeros(2, np.float32)]
    entries = [entry(best=-math.inf, weights=weights), entry(best=math.nan), entry(best=math.inf)]
    encoded, members = callback_state.encode(entries)
    assert [e["state"]["best"] for e in encoded] == ["-inf", "nan", "inf"]
    assert encoded[0]["state"]["best_weights"] == ["callbacks/0.npy", "callbacks/1.npy"]
    assert [name for name, _ in members] == ["callbacks/0.npy", "callbacks/1.npy"]
    decoded = callback_state.decode(encoded, FIELDS.get, dict(members))
    assert decoded[0]["state"]["best"] == -math.inf and math.isnan(decoded[1]["state"]["best"])
    assert decoded[2]["state"]["best"] == math.inf
    assert decoded[0]["state"]["best_weights"][0] is members[0][1]


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        ({"callbacks/0.npy": np.ones(2), "callbacks/1.npy": np.ones(2)}, "exactly once"),
        ({}, "'best_weights' must be None or a list of arrays"),
    ],
)
def test_weights_members_must_match_the_names_exactly(arrays, words):
    encoded = [{**entry(), "state": {**entry()["state"], "best_weights": ["callbacks/0.npy"]}}]
    with pytest.raises(ValueError, match=words):
        callback_state.decode(encoded, FIELDS.get, arrays)


def test_a_member_named_twice_is_refused():
    encoded = [
        {
            **entry(),
            "state": {**entry()["state"], "best_weights": ["callbacks/0.npy", "callbacks/0.npy"]},
        }
    ]
    with pytest.raises(ValueError, match="exactly once"):
        callback_state.decode(encoded, FIELDS.get, {"callbacks/0.npy": np.ones(2)})


def test_saved_weights_must_fit_the_model():
    weights = [np.ones((2, 2), np.float32)]
    callback_state.check_weights([entry(weights=weights)], [np.zeros((2, 2), np.float32)])
    with pytest.raises(ValueError, match="holds arrays of shapes \\[\\(2, 2\\)\\], the model's"):
        callback_state.check_weights([entry(weights=weights)], [np.zeros((3, 2), np.float32)])
    with pytest.raises(ValueError, match="holds arrays"):
        callback_state.check_weights([entry(weights=weights)], [np.zeros((2, 2), np.float64)])


def test_states_go_to_callbacks_of_the_same_class_and_monitor_in_order():
    on_loss, first, second = (
        cb.EarlyStopping(monitor="loss"),
        cb.EarlyStopping(),
        cb.EarlyStopping(),
    )
    unmatched = cb.ReduceLROnPlateau()
    saved = [
        entry(best=0.1),
        entry(best=0.2),
        entry(best=0.3, monitor="loss"),
        entry(best=0.4, monitor="val_accuracy"),
    ]
    callback_state.restore([unmatched, first, on_loss, second, cb.History()], saved)
    assert (first.best, second.best, on_loss.best) == (0.1, 0.2, 0.3)
    assert unmatched.best is None and unmatched.wait == 0
