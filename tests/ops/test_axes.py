"""Axis arguments: normalised as NumPy reads them, refused with the argument's name."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras.ops.axes import canonical_axes, canonical_axis, reduced_shape


@pytest.mark.parametrize(
    ("axis", "expected"),
    [(None, (0, 1, 2)), (0, (0,)), (-1, (2,)), ((2, -3), (2, 0)), ([1], (1,)), (np.int64(1), (1,))],
)
def test_canonical_axes(axis, expected):
    assert canonical_axes(axis, 3) == expected


@pytest.mark.parametrize(
    ("axis", "error", "message"),
    [
        (3, ValueError, r"axis must be in \[-3, 3\) for a tensor of rank 3. Received: axis=3"),
        (-4, ValueError, "Received: axis=-4"),
        ((0, -3), ValueError, "must not repeat an axis"),
        (1.0, TypeError, "axis must be an integer"),
        (True, TypeError, "axis must be an integer"),
    ],
)
def test_bad_axes_are_named(axis, error, message):
    with pytest.raises(error, match=message):
        canonical_axes(axis, 3)


def test_the_argument_name_appears_in_the_error():
    with pytest.raises(ValueError, match="source must be in"):
        canonical_axis(5, 2, "source")


def test_reduced_shape_keeps_reduced_axes_as_ones():
    assert reduced_shape((2, 3, 4), (0, 2)) == (1, 3, 1)
