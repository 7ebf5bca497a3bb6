"""tile, repeat, flip and roll: values against Keras 3, gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops

from .keras_oracle import assert_like_keras

X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)

#: name, positional arguments after x, keyword arguments.
CASES = {
    "tile int": ("tile", (2,), {}),
    "tile per axis": ("tile", ((2, 1, 3),), {}),
    "tile longer than x": ("tile", ((2, 1, 1, 2),), {}),
    "tile shorter than x": ("tile", ((3, 1),), {}),
    "repeat flattened": ("repeat", (2,), {}),
    "repeat along an axis": ("repeat", (3,), {"axis": 1}),
    "repeat counts": ("repeat", (np.array([1, 0, 2]),), {"axis": -2}),
    "flip all": ("flip", (), {}),
    "flip one axis": ("flip", (), {"axis": 1}),
    "flip axes": ("flip", (), {"axis": (0, -1)}),
    "roll flattened": ("roll", (5,), {}),
    "roll one axis": ("roll", (-1,), {"axis": 2}),
    "roll axes": ("roll", ((1, 2),), {"axis": (0, 2)}),
    "roll one shift on two axes": ("roll", (1,), {"axis": (1, 2)}),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_keras(name, keras):
    op, args, kwargs = CASES[name]
    assert_like_keras(keras, op, X, *args, **kwargs)


@pytest.mark.parametrize("name", CASES)
def test_gradient(name, gradcheck):
    op, args, kwargs = CASES[name]
    gradcheck(lambda v: getattr(ops, op)(v, *args, **kwargs), X)


def test_repeated_elements_collect_every_copy_gradient():
    x = ops.Variable([1.0, 2.0, 3.0])
    ops.sum(ops.repeat(x, [3, 0, 1]) * ops.Tensor([1.0, 2.0, 4.0, 8.0])).backward()
    np.testing.assert_array_equal(x.grad, [7.0, 0.0, 8.0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ops.repeat(X, [1, 2], axis=1), "one count per element"),
        (lambda: ops.repeat(X, -1), "non-negative"),
        (lambda: ops.tile(X, (2, -1)), "non-negative"),
        (lambda: ops.flip(X, axis=3), "axis must be in"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
