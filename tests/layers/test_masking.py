"""Masking: the padding steps of a sequence are zeroed and marked, its config, its symbolic
shape, its gradient, and Keras 3 parity (the loss leaves the masked steps out there too)."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING, assert_twins_agree

import numkeras
from numkeras import backend
from numkeras.layers import Dense, Input, Masking
from numkeras.utils.gradient_check import check_gradients

X = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
X[0, 1] = 0.0
X[1, 2:] = 0.0
X[1, 0, 1] = 0.0  # one zero feature alone does not mask a step


def test_zeroes_and_masks_the_steps_whose_features_all_equal_mask_value():
    out = Masking()(X)
    expected_mask = [[True, False, True, True], [True, True, False, False]]
    assert out._keras_mask.data.tolist() == expected_mask
    np.testing.assert_array_equal(out.data, X)  # padding steps were zeros already

    x = X.copy()
    x[0, 2] = [7.0, 7.0, 7.0]
    x[1, 1] = [np.inf, 7.0, 7.0]
    out = Masking(mask_value=7.0)(x)
    assert out._keras_mask.data.tolist() == [[True, True, False, True], [True, True, True, True]]
    np.testing.assert_array_equal(out.data[0, 2], 0.0)


def test_an_all_masked_step_holding_nan_gives_zeros_as_keras():
    x = np.full((1, 2, 2), np.nan, np.float32)
    x[0, 0] = 1.0
    out = Masking(mask_value=1.0)(x)
    np.testing.assert_array_equal(out.data[0, 0], 0.0)
    assert out._keras_mask.data.tolist() == [[False, True]]


def test_mask_value_must_be_a_number():
    with pytest.raises(TypeError, match="mask_value must be a number. Received: mask_value='0'"):
        Masking(mask_value="0")


def test_config_round_trip():
    rebuilt = round_trip(Masking(mask_value=-1.0, name="pad"))
    assert rebuilt.mask_value == -1.0 and rebuilt.name == "pad"


def test_symbolic_shape_in_a_functional_model():
    inputs = Input((None, 3))
    outputs = Masking()(inputs)
    assert outputs.shape == (None, None, 3)
    model = numkeras.Model(inputs, outputs)
    assert model.predict(X, verbose=0).shape == X.shape


def test_gradient_reaches_the_unmasked_steps_only():
    # The padding steps are made zero by a constant factor, so that the finite differences
    # perturb the values and not which steps are masked.
    steps = (np.abs(X).sum(-1, keepdims=True) > 0).astype(np.float64)
    with backend.floatx_scope("float64"):
        layer = Masking()
        v = numkeras.Variable(np.random.default_rng(2).standard_normal(X.shape))
        check_gradients(lambda: layer(v * steps), v)
    x = numkeras.Variable(X.copy())
    numkeras.ops.sum(Masking()(x)).backward()
    np.testing.assert_array_equal(x.grad[1, 2:], 0.0)
    np.testing.assert_array_equal(x.grad[0, 0], 1.0)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_forward_and_one_sgd_step_match_keras(keras):
    # The mean squared error of the Dense outputs counts the unmasked steps only, in both.
    assert_twins_agree(keras, lambda lib: [lib.layers.Masking(), lib.layers.Dense(2)], X)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_an_lstm_after_masking_skips_the_padding_as_keras(keras):
    # Keras's documented use: padding steps set to 0, skipped by the LSTM and by the loss.
    assert_twins_agree(
        keras,
        lambda lib: [
            lib.layers.Masking(),
            lib.layers.LSTM(3, return_sequences=True),
            lib.layers.Dense(2),
        ],
        X,
    )


def test_dense_after_masking_keeps_the_mask():
    out = Dense(2)(Masking()(X))
    assert out._keras_mask.data.tolist() == [[True, False, True, True], [True, True, False, False]]
