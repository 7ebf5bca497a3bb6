"""Comparisons, logic and tests of values: results against Keras 3, and nothing on the tape."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops

from .keras_oracle import assert_like_keras

A = np.array([[1.0, -2.0, 3.0], [0.0, 5.0, -1.0]], np.float32)
B = np.array([1.0, 2.0, -1.0], np.float32)
P = np.array([[True, False, True], [False, False, True]])
Q = np.array([True, True, False])
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, 1.5], np.float32)

COMPARISONS = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]
BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_match_keras(keras, name):
    assert_like_keras(keras, name, A, B)
    assert_like_keras(keras, name, A, 1.0)
    assert_like_keras(keras, name, np.array([1, 2, 3], np.int32), 2)


def test_a_python_float_compares_in_the_tensor_dtype():
    """0.1 is not a float32 number: it is rounded to the tensor's dtype, as in Keras."""
    with backend.floatx_scope("float32"):
        t = ops.Tensor(np.float32([0.1, 0.2]))
        np.testing.assert_array_equal(ops.equal(t, 0.1).numpy(), [True, False])
        np.testing.assert_array_equal((t <= 0.1).numpy(), [True, False])


@pytest.mark.parametrize("name", LOGICAL + BITWISE)
def test_binary_logic_matches_keras(keras, name):
    assert_like_keras(keras, name, P, Q)


@pytest.mark.parametrize("name", LOGICAL)
def test_logic_on_numbers_takes_non_zero_as_true(keras, name):
    assert_like_keras(keras, name, A, B)


@pytest.mark.parametrize("name", BITWISE)
def test_bitwise_ops_on_integers(keras, name):
    assert_like_keras(keras, name, np.array([6, 3, 12], np.int32), 5)


@pytest.mark.parametrize(("name", "x"), [("logical_not", A), ("logical_not", P)])
def test_logical_not(keras, name, x):
    assert_like_keras(keras, name, x)


def test_bitwise_invert(keras):
    assert_like_keras(keras, "bitwise_invert", P)
    assert_like_keras(keras, "bitwise_invert", np.array([0, 5, -3], np.int32))


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_value_tests_match_keras(keras, name):
    assert_like_keras(keras, name, SPECIAL)
    assert_like_keras(keras, name, np.array([1, 2], np.int32))


def test_results_are_constants_off_the_tape():
    x = ops.Variable([1.0, -2.0])
    for result in (ops.greater(x, 0.0), ops.logical_not(x), ops.isfinite(x), x > 0, ~(x > 0)):
        assert result.creator is None and not result.requires_grad
        assert result.dtype == np.bool_


def test_a_mask_from_a_comparison_gates_the_gradient():
    x = ops.Variable([1.0, -2.0, 3.0])
    ops.sum(ops.where(x > 0, x * x, 0.0)).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 6.0])
