"""sort, argsort and top_k: values, orders and dtypes against Keras 3, gradients against finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops

from .keras_oracle import assert_like_keras

X = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
TIES = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [0.0, 0.0, 0.0, -1.0, 0.0]], np.float32)

CASES = [
    ("sort", {}),
    ("sort", {"axis": 0}),
    ("sort", {"axis": None}),
    ("argsort", {}),
    ("argsort", {"axis": 0}),
    ("argsort", {"axis": None}),
    ("top_k", {"k": 2}),
    ("top_k", {"k": 5}),
    ("top_k", {"k": 3, "sorted": False}),
]


@pytest.mark.parametrize(("op", "kwargs"), CASES)
@pytest.mark.parametrize("x", [X, TIES, TIES.astype(np.int32)], ids=["random", "ties", "ints"])
def test_matches_keras(op, kwargs, x, keras):
    assert_like_keras(keras, op, x, **kwargs)


@pytest.mark.parametrize(("op", "kwargs"), [c for c in CASES if c[0] != "argsort"])
def test_values_gradient(op, kwargs, gradcheck):
    def run(v):
        out = getattr(ops, op)(v, **kwargs)
        return out[0] if op == "top_k" else out

    gradcheck(run, X)


def test_indices_are_off_the_tape():
    x = ops.Variable(X.astype(np.float64))
    values, indices = ops.top_k(x, 2)
    assert values.requires_grad and not indices.requires_grad
    assert indices.dtype == ops.argsort(x).dtype == np.int32


def test_top_k_of_unsigned_and_bool_keeps_lowest_index_first():
    _, indices = ops.top_k(np.array([1, 3, 3, 0], np.uint8), 3)
    np.testing.assert_array_equal(indices.data, [1, 2, 0])
    _, indices = ops.top_k(np.array([False, True, True]), 2)
    np.testing.assert_array_equal(indices.data, [1, 2])


@pytest.mark.parametrize("k", [-1, 6, 2.0])
def test_top_k_checks_k(k):
    with pytest.raises(ValueError, match="k must be an integer in"):
        ops.top_k(X, k)
