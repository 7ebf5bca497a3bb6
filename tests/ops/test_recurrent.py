"""The whole-sequence recurrent ops: finite-difference gradients of every input, and bad
activations refused."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras.ops import Variable, recurrent
from numkeras.utils.gradient_check import check_gradients

BATCH, TIME, FEATURES, UNITS = 2, 4, 3, 3


def _variables(*shapes: tuple[int, ...]) -> list[Variable]:
    rng = np.random.default_rng(0)
    return [Variable(0.5 * rng.standard_normal(shape)) for shape in shapes]


def _common(gates: int) -> list[Variable]:
    return _variables(
        (BATCH, TIME, FEATURES), (FEATURES, gates * UNITS), (UNITS, gates * UNITS), (BATCH, UNITS)
    )


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_simple_rnn_gradients(activation):
    x, k, u, h0 = _common(1)
    (b,) = _variables((UNITS,))
    check_gradients(
        lambda: recurrent.simple_rnn(x, k, u, h0, b, activation=activation), x, k, u, h0, b
    )


@pytest.mark.parametrize("recurrent_activation", ["sigmoid", "hard_sigmoid"])
def test_lstm_gradients(recurrent_activation):
    x, k, u, h0 = _common(4)
    c0, b = _variables((BATCH, UNITS), (4 * UNITS,))
    check_gradients(
        lambda: recurrent.lstm(x, k, u, h0, c0, b, recurrent_activation=recurrent_activation),
        x,
        k,
        u,
        h0,
        c0,
        b,
    )


@pytest.mark.parametrize(("reset_after", "bias_shape"), [(True, (2, 9)), (False, (9,))])
def test_gru_gradients(reset_after, bias_shape):
    x, k, u, h0 = _common(3)
    (b,) = _variables(bias_shape)
    check_gradients(lambda: recurrent.gru(x, k, u, h0, b, reset_after=reset_after), x, k, u, h0, b)


def test_gradients_without_bias():
    x, k, u, h0 = _common(3)
    check_gradients(lambda: recurrent.gru(x, k, u, h0), x, k, u, h0)


def test_an_unknown_activation_is_refused_by_name():
    with pytest.raises(ValueError, match="recurrent_activation must be one of .*'softmax'"):
        recurrent.LSTM(recurrent_activation="softmax")
