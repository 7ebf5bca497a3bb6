"""Regularizers: penalty values, gradients, Keras defaults and names, configs."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops, regularizers
from numkeras.utils.gradient_check import check_gradients

W = np.array([[0.5, -1.5], [2.0, -0.25], [1.0, 0.75]])


@pytest.mark.parametrize(
    ("regularizer", "expected"),
    [
        (regularizers.L1(0.1), 0.1 * np.abs(W).sum()),
        (regularizers.L2(0.2), 0.2 * (W**2).sum()),
        (regularizers.L1L2(l1=0.1, l2=0.2), 0.1 * np.abs(W).sum() + 0.2 * (W**2).sum()),
        (regularizers.L1L2(), 0.0),
    ],
)
def test_penalty(regularizer, expected):
    with backend.floatx_scope("float64"):
        penalty = regularizer(ops.Variable(W))
    assert isinstance(penalty, ops.Tensor) and penalty.shape == ()
    assert penalty.item() == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    "regularizer", [regularizers.L1(0.3), regularizers.L2(0.3), regularizers.L1L2(0.1, 0.2)]
)
def test_gradient(regularizer):
    with backend.floatx_scope("float64"):
        w = ops.Variable(W.copy())  # no element near |w|'s kink at 0
        check_gradients(lambda: regularizer(w), w)


def test_the_penalty_reaches_the_weight_through_the_loss():
    w = ops.Variable(W.copy())
    loss = ops.sum(w * 0.0) + regularizers.L2(0.5)(w)
    loss.backward()
    np.testing.assert_allclose(w.grad, W)


def test_float32_stays_float32():
    w = ops.Variable(W.astype(np.float32))
    assert regularizers.L1L2(0.1, 0.1)(w).dtype == np.float32
    assert regularizers.L1L2()(w).dtype == np.float32


def test_keras_3_defaults_and_function_names():
    assert regularizers.L1().get_config() == {"l1": 0.01}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert isinstance(regularizers.l2(0.01), regularizers.L2)  # Keras 1: W_regularizer=l2(0.01)
    assert regularizers.l1_l2(l1=0.1).get_config() == {"l1": 0.1, "l2": 0.0}


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("l1", regularizers.L1),
        ("l2", regularizers.L2),
        ("l1_l2", regularizers.L1L2),
        ("L2", regularizers.L2),
        ("L1L2", regularizers.L1L2),
    ],
)
def test_get_by_name(name, cls):
    assert type(regularizers.get(name)) is cls


def test_get_passes_objects_through():
    reg = regularizers.L2(0.3)
    assert regularizers.get(reg) is reg
    assert regularizers.get(None) is None
    assert regularizers.get({"class_name": "L1", "config": {"l1": 0.2}}).l1 == 0.2


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'.*l1_l2"):
        regularizers.get("l3")


@pytest.mark.parametrize(
    "regularizer", [regularizers.L1(0.3), regularizers.L2(0.02), regularizers.L1L2(0.1, 0.2)]
)
def test_config_round_trip(regularizer):
    rebuilt = regularizers.deserialize(regularizers.serialize(regularizer))
    assert type(rebuilt) is type(regularizer)
    assert rebuilt.get_config() == regularizer.get_config()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"l1": -0.1}, "l1=-0.1"), ({"l2": float("nan")}, "l2=nan"), ({"l1": "0.1"}, "l1='0.1'")],
)
def test_invalid_factors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        regularizers.L1L2(**kwargs)
