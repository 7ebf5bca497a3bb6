"""to_categorical and normalize: Keras's semantics, numkeras's float32, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numkeras import backend
from numkeras.utils.numerical import normalize, to_categorical


def test_to_categorical_keras_docstring_example():
    np.testing.assert_array_equal(to_categorical([0, 1, 2, 3], num_classes=4), np.eye(4))


def test_to_categorical_returns_floatx():
    assert to_categorical([0, 2]).dtype == np.float32
    with backend.floatx_scope("float64"):
        assert to_categorical([0, 2]).dtype == np.float64


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(max_dims=3, max_side=5), elements=st.integers(0, 6)))
def test_to_categorical_matches_torch_one_hot(labels):
    expected = torch.nn.functional.one_hot(torch.from_numpy(labels), 7).numpy()
    shape = labels.shape[:-1] if labels.ndim > 1 and labels.shape[-1] == 1 else labels.shape
    np.testing.assert_array_equal(to_categorical(labels, 7), expected.reshape(shape + (7,)))


def test_to_categorical_infers_classes_and_squeezes_a_trailing_one():
    result = to_categorical(np.array([[1], [3]]))
    assert result.shape == (2, 4)
    np.testing.assert_array_equal(result.argmax(-1), [1, 3])
    assert to_categorical([[1, 0]]).shape == (1, 2, 2)  # only a trailing 1 is dropped
    np.testing.assert_array_equal(to_categorical(2, 3), [0, 0, 1])  # a scalar, as in Keras


def test_to_categorical_accepts_whole_floats_and_bools():
    np.testing.assert_array_equal(to_categorical(np.array([2.0, 0.0])), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(to_categorical([True, False]), [[0, 1], [1, 0]])
    assert to_categorical([], num_classes=3).shape == (0, 3)


@pytest.mark.parametrize(
    "y, num_classes, message",
    [
        (
            [0, 3],
            3,
            "from 0 to num_classes - 1 = 2. Received: num_classes=3 and y with the label 3",
        ),
        ([1, -1], None, "labels >= 0. Received: y with the negative label -1"),
        ([0.5, 1], None, "integer class labels. Received: y with the non-integer value 0.5"),
        ([np.nan], None, "integer class labels. Received: y with the non-integer value nan"),
        (["cat"], None, "integer class labels. Received: y of dtype <U3 (['cat'])"),
        ([], None, "cannot infer num_classes from an empty y"),
        ([1], 0, "positive integer or None. Received: num_classes=0"),
        ([1], 2.5, "positive integer or None. Received: num_classes=2.5"),
    ],
)
def test_to_categorical_errors_name_the_argument_and_value(y, num_classes, message):
    with pytest.raises(
        ValueError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        to_categorical(y, num_classes)


def test_normalize_divides_by_the_l2_norm_of_each_row():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    result = normalize(x)
    np.testing.assert_allclose(result, [[0.6, 0.8], [0.0, 0.0], [1.0, 0.0]])
    assert result.dtype == np.float32 and result is not x


def test_normalize_axis_and_order():
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(normalize(x, axis=0), x / np.linalg.norm(x, axis=0))
    np.testing.assert_allclose(normalize(x, order=1), x / np.abs(x).sum(-1, keepdims=True))
    np.testing.assert_allclose(normalize(x, order=np.inf), [[0.5, 1.0], [0.5, 1.0]])
    assert normalize(x).dtype == np.float64  # float inputs keep their dtype


def test_normalize_turns_integers_into_floatx():
    result = normalize(np.array([[3, 4]]))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, [[0.6, 0.8]])


# Magnitudes whose squares neither underflow nor overflow, so the norm itself is exact enough.
_VALUES = st.one_of(st.just(0.0), st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=_VALUES)
)
def test_normalized_vectors_have_unit_or_zero_norm(x):
    norms = np.linalg.norm(normalize(x), axis=-1)
    zero = np.linalg.norm(x, axis=-1) == 0
    np.testing.assert_allclose(norms[~zero], 1.0, rtol=1e-9)
    np.testing.assert_array_equal(norms[zero], 0.0)


def test_normalize_errors():
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\).*Received: axis=2"):
        normalize(np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="at least one axis"):
        normalize(np.float32(3.0))
