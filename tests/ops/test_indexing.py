"""take, take_along_axis, argmax/argmin and one_hot: values and dtypes against Keras 3,
gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops

from .keras_oracle import assert_like_keras

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)

TAKE_CASES = {
    "take flattened": ("take", (np.array([0, 11, -1, 5]),), {}),
    "take rows": ("take", (np.array([2, 0, 2]),), {"axis": 0}),
    "take columns, 2-D indices": ("take", (np.array([[0, -1], [3, 3]]),), {"axis": 1}),
    "take a scalar index": ("take", (np.array(2),), {"axis": -1}),
    "take_along_axis flattened": ("take_along_axis", (np.array([0, 5, 11, 5]),), {}),
    "take_along_axis rows": ("take_along_axis", (np.array([[0, 3], [3, 1], [2, 2]]),), {"axis": 1}),
    "take_along_axis broadcast": ("take_along_axis", (np.array([[0, 3]]),), {"axis": 1}),
    "take_along_axis negative": ("take_along_axis", (np.array([[-1], [0], [1]]),), {"axis": 1}),
    "take_along_axis axis 0": ("take_along_axis", (np.array([[2, 0, 1, 1]]),), {"axis": 0}),
}


@pytest.mark.parametrize("name", TAKE_CASES)
def test_gathers_match_keras(name, keras):
    op, args, kwargs = TAKE_CASES[name]
    assert_like_keras(keras, op, X, *args, **kwargs)


@pytest.mark.parametrize("name", TAKE_CASES)
def test_gathers_gradient(name, gradcheck):
    op, args, kwargs = TAKE_CASES[name]
    gradcheck(lambda v: getattr(ops, op)(v, *args, **kwargs), X)


def test_take_along_axis_broadcasts_a_size_one_x(keras):
    assert_like_keras(keras, "take_along_axis", X[:1], np.array([[0], [3]]), axis=1)


def test_an_index_taken_twice_gets_both_gradients():
    x = ops.Variable([[1.0, 2.0], [3.0, 4.0]])
    ops.sum(ops.take(x, [1, 1, 0], axis=0)).backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [2.0, 2.0]])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ops.take(X, [0, 4], axis=1), IndexError, r"indices must lie in \[-4, 4\)"),
        (lambda: ops.take(X, [0.0, 1.0], axis=1), ValueError, "integer type"),
        (lambda: ops.take_along_axis(X, np.array([0, 1]), axis=1), ValueError, "rank of x"),
        (lambda: ops.take_along_axis(X, np.zeros((2, 1), int), 1), ValueError, "broadcast"),
        (lambda: ops.take(X, [0], axis=2), ValueError, "axis must be in"),
    ],
)
def test_bad_indices_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


POSITION_CASES = [
    ("argmax", {}),
    ("argmax", {"axis": 1}),
    ("argmax", {"axis": 0, "keepdims": True}),
    ("argmax", {"keepdims": True}),
    ("argmin", {}),
    ("argmin", {"axis": -1}),
    ("argmin", {"axis": 0, "keepdims": True}),
]


@pytest.mark.parametrize(("op", "kwargs"), POSITION_CASES)
def test_positions_match_keras_and_are_int32(op, kwargs, keras):
    assert_like_keras(keras, op, X, **kwargs)
    assert_like_keras(keras, op, np.array([[1, 3, 3], [2, 2, 0]], np.int32), **kwargs)


def test_positions_are_off_the_tape():
    x = ops.Variable(X.astype(np.float64))
    found = ops.argmax(x, axis=1)
    assert found.creator is None and not found.requires_grad
    assert found.dtype == np.int32


ONE_HOT_CASES = {
    "classes last": (np.array([0, 2, 1]), 3, {}),
    "classes first": (np.array([0, 2]), 3, {"axis": 0}),
    "classes in the middle": (np.array([[0, 2], [1, 1]]), 3, {"axis": 1}),
    "out of range and negative give zeros": (np.array([0, -1, 3, 5]), 4, {}),
    "int32 dtype": (np.array([1, 0]), 2, {"dtype": "int32"}),
}


@pytest.mark.parametrize("name", ONE_HOT_CASES)
def test_one_hot_matches_keras(name, keras):
    x, num_classes, kwargs = ONE_HOT_CASES[name]
    assert_like_keras(keras, "one_hot", x, num_classes, **kwargs)


def test_one_hot_takes_python_lists_and_floatx():
    out = ops.one_hot([2, 0], 3)
    np.testing.assert_array_equal(out.data, [[0, 0, 1], [1, 0, 0]])
    assert out.dtype == np.float64  # the op tests run with floatx float64


def test_one_hot_of_float_labels_marks_whole_numbers_only():
    """As Keras on JAX: a float label is compared with each class, so 2.5 matches none."""
    np.testing.assert_array_equal(
        ops.one_hot(np.array([0.0, 2.0, 2.5]), 3).data, [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"num_classes": 0}, "at least 1"), ({"num_classes": 3, "sparse": True}, "sparse=True")],
)
def test_one_hot_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.one_hot([0, 1], **kwargs)
