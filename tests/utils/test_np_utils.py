"""Keras 1 and 2's ``np_utils.to_categorical``: classes by position, ``nb_classes`` renamed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from numkeras.utils import to_categorical

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the module's own warning, checked in tests/test_legacy.py
    from numkeras.utils import np_utils

LABELS = np.array([3, 0, 9, 1])


def test_positional_num_classes_is_valid_keras_and_does_not_warn(keras):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoded = np_utils.to_categorical(LABELS, 10)
    np.testing.assert_array_equal(encoded, keras.utils.to_categorical(LABELS, 10))
    np.testing.assert_array_equal(encoded, to_categorical(LABELS, num_classes=10))


def test_keras1_nb_classes_is_renamed_with_a_warning_naming_num_classes():
    with pytest.warns(UserWarning, match=r"use `to_categorical\(num_classes=\.\.\.\)`"):
        encoded = np_utils.to_categorical(LABELS, nb_classes=12)
    assert encoded.shape == (4, 12)


def test_both_spellings_at_once_are_refused():
    with pytest.raises(ValueError, match="both the Keras 1 argument `nb_classes`"):
        np_utils.to_categorical(LABELS, nb_classes=10, num_classes=10)
