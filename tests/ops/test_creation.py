"""Tensors made from a shape or a range: values and default dtypes against Keras 3."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops

from .keras_oracle import assert_like_keras

INTS = np.array([[1, 2, 3]], np.int32)
FLOATS = np.array([1.5, -2.0], np.float32)

#: name, positional arguments, keyword arguments: calls that Keras 3 answers the same way.
CASES = {
    "zeros": ("zeros", ((2, 3),), {}),
    "zeros of an int": ("zeros", (4,), {}),
    "zeros of a scalar shape": ("zeros", ((),), {}),
    "zeros int32": ("zeros", ([2, 1],), {"dtype": "int32"}),
    "ones": ("ones", ((3,),), {}),
    "ones float16": ("ones", ((2, 2),), {"dtype": "float16"}),
    "full of an int": ("full", ((2,), 3), {}),
    "full of a float": ("full", ((2, 2), 3.5), {}),
    "full of a row": ("full", ((2, 2), np.array([1.0, 2.0])), {}),
    "full int32": ("full", ((3,), 7), {"dtype": "int32"}),
    "zeros_like ints": ("zeros_like", (INTS,), {}),
    "ones_like floats": ("ones_like", (FLOATS,), {}),
    "ones_like float16": ("ones_like", (INTS,), {"dtype": "float16"}),
    "full_like ints": ("full_like", (INTS, 2.5), {}),
    "full_like floats": ("full_like", (FLOATS, 2), {}),
    "arange of an int": ("arange", (5,), {}),
    "arange of a float": ("arange", (5.0,), {}),
    "arange from to": ("arange", (1, 5), {}),
    "arange by a float step": ("arange", (0, 1, 0.25), {}),
    "arange by tenths": ("arange", (0, 1, 0.1), {}),
    "arange by 2": ("arange", (0, 5, 2), {}),
    "arange down": ("arange", (5, 1, -1), {}),
    "arange float32": ("arange", (5,), {"dtype": "float32"}),
    "arange of a NumPy int": ("arange", (np.int32(3),), {}),
    "linspace": ("linspace", (0, 1, 5), {}),
    "linspace default num": ("linspace", (-1.0, 1.0), {}),
    "linspace int32": ("linspace", (0, 10, 5), {"dtype": "int32"}),
    "linspace without the end": ("linspace", (0, 1, 4), {"endpoint": False}),
    "linspace with its step": ("linspace", (0, 1, 3), {"retstep": True}),
    "linspace of arrays": ("linspace", (np.array([0.0, 1.0]), np.array([1.0, 3.0]), 3), {}),
    "linspace of arrays on axis 1": (
        "linspace",
        (np.array([0.0, 1.0]), np.array([1.0, 3.0]), 3),
        {"axis": 1},
    ),
    "eye": ("eye", (3,), {}),
    "eye rectangular off the diagonal": ("eye", (2, 3, 1), {}),
    "eye below int32": ("eye", (3,), {"k": -1, "dtype": "int32"}),
    "identity": ("identity", (2,), {}),
    "tri": ("tri", (3,), {}),
    "tri rectangular": ("tri", (2, 3, 1), {}),
    "tri below": ("tri", (3, 3, -1), {"dtype": "int32"}),
}


@pytest.mark.parametrize("case", CASES)
def test_creation_matches_keras(keras, case):
    name, args, kwargs = CASES[case]
    assert_like_keras(keras, name, *args, **kwargs)


def test_float_results_follow_floatx():
    with backend.floatx_scope("float64"):
        for made in (ops.zeros(2), ops.full(2, 1), ops.eye(2), ops.arange(2.0), ops.linspace(0, 1)):
            assert made.dtype == np.float64
        assert ops.arange(3).dtype == np.int32


def test_results_are_constants_on_the_active_backend():
    made = ops.ones((2, 2))
    assert isinstance(made, ops.Tensor) and made.creator is None and not made.requires_grad
    assert type(made.data) is backend.xp().ndarray


def test_like_forms_take_tensors_and_lists():
    t = ops.Tensor(np.ones((2, 3), np.float16))
    assert ops.zeros_like(t).shape == (2, 3) and ops.zeros_like(t).dtype == np.float16
    np.testing.assert_array_equal(ops.full_like([1, 2], 7).numpy(), np.array([7, 7], np.int32))
    assert ops.full_like([1, 2], 7).dtype == np.int32


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ops.zeros((2, -1)), r"shape must be .*Received: shape=\(2, -1\)"),
        (lambda: ops.ones(None), r"shape must be .*Received: shape=None"),
        (lambda: ops.full((2.5,), 1), r"Received: shape=\(2.5,\)"),
        (lambda: ops.zeros(2, dtype="floaty"), r"dtype must name a dtype.*dtype='floaty'"),
        (lambda: ops.eye(-1), r"N must be an integer >= 0. Received: N=-1"),
        (lambda: ops.tri(2, 1.5), r"M must be an integer >= 0. Received: M=1.5"),
        (lambda: ops.linspace(0, 1, -2), r"num must be an integer >= 0. Received: num=-2"),
        (lambda: ops.arange(0, 5, 0), r"step must not be 0. Received: step=0"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
