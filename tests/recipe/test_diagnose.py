"""diagnose() walks the course's flowchart: one synthetic history per branch, then real runs."""

import math

import numpy as np
import pytest

from numkeras.layers import Activation, Dense
from numkeras.models import Sequential
from numkeras.optimizers import SGD, Adam
from numkeras.recipe import Diagnosis, diagnose
from numkeras.recipe.diagnose import (
    DIVERGED,
    GOOD,
    NO_VALIDATION,
    OVERFITTING,
    POOR_TRAINING,
)


def logs(loss, acc, val_loss=None, val_acc=None):
    out = {"loss": loss, "accuracy": acc}
    if val_acc is not None:
        out.update(val_loss=val_loss or [1.0] * len(val_acc), val_accuracy=val_acc)
    return out


def test_nan_loss_diverged():
    d = diagnose(logs([2.3, 5.0, math.nan], [0.1, 0.1, 0.1]))
    assert d.verdict == DIVERGED and d.stage == "training"
    assert "epoch 3" in d.summary
    assert "learning rate" in d.advice[0]


def test_loss_rising_at_the_end_diverged():
    d = diagnose(logs([2.0, 0.5, 0.4, 0.9], [0.5, 0.9, 0.96, 0.8]))
    assert d.verdict == DIVERGED
    assert "2.2 times its lowest" in d.summary


def test_loss_blow_up_against_the_reference_diverged():
    # Blew up in epoch 1, then stuck at chance level: the rise is inside the first epoch.
    history = logs([5e4, 2.31, 2.31, 2.31], [0.1, 0.1, 0.1, 0.1])
    assert diagnose(history).verdict == POOR_TRAINING  # no reference: cannot tell
    d = diagnose(history, reference_loss=math.log(10))
    assert d.verdict == DIVERGED
    assert "blew up" in d.summary and "epoch 1" in d.summary


def test_poor_training_still_improving_advises_more_epochs_first():
    d = diagnose(logs([2.0, 1.5, 1.0, 0.8], [0.4, 0.6, 0.75, 0.85], val_acc=[0.4, 0.6, 0.7, 0.8]))
    assert d.verdict == POOR_TRAINING and d.stage == "training"
    assert not d.evidence["stuck"]
    assert "not overfitting" in d.summary
    assert d.advice[0].startswith("train for more epochs")
    text = " ".join(d.advice)
    for fix in ("categorical_crossentropy", "ReLU", "Maxout", "adam", "momentum"):
        assert fix in text


def test_stuck_training_does_not_advise_more_epochs():
    d = diagnose(logs([2.30, 2.30, 2.30, 2.30, 2.30], [0.11, 0.11, 0.112, 0.111, 0.113]))
    assert d.verdict == POOR_TRAINING
    assert d.evidence["stuck"]
    assert "stuck" in d.summary
    assert not any(a.startswith("train for more epochs") for a in d.advice)


def test_overfitting_points_at_the_best_validation_epoch():
    d = diagnose(
        logs(
            [1.0, 0.3, 0.1, 0.05],
            [0.8, 0.95, 0.99, 1.0],
            val_loss=[0.5, 0.35, 0.4, 0.5],
            val_acc=[0.8, 0.88, 0.89, 0.9],
        )
    )
    assert d.verdict == OVERFITTING and d.stage == "testing"
    assert d.evidence["gap"] == pytest.approx(0.1)
    assert d.evidence["best_val_loss_epoch"] == 2
    assert "lowest in epoch 2 of 4" in d.summary
    assert d.advice[0].startswith("early stopping")
    text = " ".join(d.advice)
    assert "l2" in text and "Dropout" in text and "augmented" in text


def test_no_validation_leaves_the_second_question_open():
    d = diagnose(logs([1.0, 0.2], [0.9, 0.99]))
    assert d.verdict == NO_VALIDATION and d.stage == "testing"
    assert "validation_split" in d.advice[0]


def test_good_on_both_is_done():
    d = diagnose(logs([1.0, 0.2], [0.9, 0.99], val_acc=[0.9, 0.97]))
    assert d.verdict == GOOD and d.stage == "done" and d.ok
    assert d.advice == ()
    assert str(d).startswith("good: ")


def test_thresholds_are_arguments():
    history = logs([1.0, 0.2], [0.9, 0.99], val_acc=[0.9, 0.97])
    assert diagnose(history, max_gap=0.01).verdict == OVERFITTING
    assert diagnose(history, target=0.995).verdict == POOR_TRAINING
    rising = logs([1.0, 0.5, 0.6], [0.9, 0.97, 0.96])
    assert diagnose(rising).verdict == NO_VALIDATION
    assert diagnose(rising, diverge_ratio=1.1).verdict == DIVERGED
    flat = logs([2.0, 1.9, 1.85], [0.5, 0.502, 0.504])
    assert diagnose(flat, patience=2).evidence["stuck"]
    assert not diagnose(flat, patience=2, min_delta=0.001).evidence["stuck"]


def test_lower_is_better_metric_and_its_target():
    history = {"loss": [1.0, 0.5, 0.1], "val_loss": [1.0, 0.6, 0.4]}
    with pytest.raises(ValueError, match="target="):
        diagnose(history)
    assert diagnose(history, target=0.2).verdict == OVERFITTING
    assert diagnose(history, target=0.05).verdict == POOR_TRAINING
    assert diagnose(history, target=0.2, max_gap=0.5).verdict == GOOD


def test_keras1_acc_key_is_found():
    d = diagnose(
        {"loss": [1.0, 0.2], "acc": [0.9, 0.99], "val_loss": [1.0, 0.3], "val_acc": [0.9, 0.98]}
    )
    assert d.verdict == GOOD and d.evidence["metric"] == "acc"


def test_bad_histories_are_rejected():
    with pytest.raises(ValueError, match="'loss'"):
        diagnose({"accuracy": [0.5]})
    with pytest.raises(ValueError, match="'loss'"):
        diagnose([1.0, 2.0])
    with pytest.raises(ValueError, match="no 'auc' curve"):
        diagnose({"loss": [1.0]}, metric="auc", target=0.9)


def sigmoid_mse_sgd():
    model = Sequential(
        [
            Dense(8, input_shape=(4,)),
            Activation("sigmoid"),
            Dense(8),
            Activation("sigmoid"),
            Dense(3),
            Activation("softmax"),
        ]
    )
    model.compile(optimizer=SGD(0.5), loss="mse", metrics=["accuracy"])
    return model


def test_a_model_makes_the_advice_specific():
    flat = logs([0.22, 0.22, 0.22, 0.22], [0.3, 0.3, 0.3, 0.3])
    d = diagnose(flat, model=sigmoid_mse_sgd())
    assert d.verdict == POOR_TRAINING
    assert d.advice[0].startswith("the model trains a softmax output with MSE: use loss='categ")
    assert d.advice[1].startswith("the model has 2 sigmoid hidden layers")
    assert d.advice[2].startswith("the model uses plain SGD")
    nan = diagnose(logs([1.0, math.nan], [0.3, 0.1]), model=sigmoid_mse_sgd())
    assert nan.advice == (
        "the learning rate is 0.5: try 0.05, or an adaptive one "
        "(optimizer='adam'), or gradient clipping (clipnorm=1.0)",
    )


def test_reads_a_real_history_and_its_model():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype("float32")
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)
    y = np.eye(3, dtype="float32")[labels]
    model = Sequential(
        [Dense(16, input_shape=(4,), activation="relu"), Dense(3), Activation("softmax")]
    )
    model.compile(optimizer=Adam(0.05), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=20, validation_split=0.25, verbose=0)
    d = diagnose(history)
    assert isinstance(d, Diagnosis)
    assert d.verdict in (GOOD, OVERFITTING)
    assert d.evidence["epochs"] == 15
    assert d.evidence["train_accuracy"] == history.history["accuracy"][-1]


def test_cross_entropy_model_gives_the_blow_up_reference():
    model = Sequential([Dense(10, input_shape=(4,)), Activation("softmax")])
    model.compile(optimizer=SGD(3.0), loss="categorical_crossentropy", metrics=["accuracy"])
    d = diagnose(logs([5e4, 2.31, 2.31, 2.31], [0.1, 0.1, 0.1, 0.1]), model=model)
    assert d.verdict == DIVERGED
    assert f"({math.log(10):.4g})" in d.summary
    assert d.advice[0].startswith("the learning rate is 3: try 0.3")
