"""Vector and matrix norms: values and dtypes against Keras 3, gradients against finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops

from .keras_oracle import assert_like_keras

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
BATCH = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)

CASES = {
    "flattened 2-norm": (X, {}),
    "flattened 2-norm of rank 3": (BATCH, {}),
    "flattened, kept dims": (X, {"keepdims": True}),
    "vector 2-norm": (X, {"axis": 1}),
    "vector 1-norm": (X, {"ord": 1, "axis": 0}),
    "vector 3-norm": (X, {"ord": 3, "axis": -1}),
    "vector 0.5-norm": (X, {"ord": 0.5, "axis": -1}),
    "vector inf-norm": (X, {"ord": np.inf, "axis": 1}),
    "vector -inf-norm": (X, {"ord": -np.inf, "axis": 1}),
    "vector 0-norm": (X, {"ord": 0, "axis": 1}),
    "vector of a vector": (X[0], {"ord": 1}),
    "frobenius": (X, {"ord": "fro"}),
    "frobenius over axes": (BATCH, {"ord": "fro", "axis": (1, 2), "keepdims": True}),
    "matrix 1-norm": (X, {"ord": 1}),
    "matrix -1-norm": (X, {"ord": -1}),
    "matrix inf-norm": (X, {"ord": np.inf}),
    "matrix -inf-norm": (BATCH, {"ord": -np.inf, "axis": (2, 0)}),
    "spectral": (X, {"ord": 2}),
    "smallest singular value": (BATCH, {"ord": -2, "axis": (1, 2)}),
    "nuclear": (BATCH, {"ord": "nuc", "axis": (0, 2), "keepdims": True}),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_keras(name, keras):
    x, kwargs = CASES[name]
    assert_like_keras(keras, "norm", x, **kwargs)


@pytest.mark.parametrize("name", CASES)
def test_gradient(name, gradcheck):
    x, kwargs = CASES[name]
    gradcheck(lambda v: ops.norm(v, **kwargs), x)


def test_integers_give_floatx(keras):
    assert_like_keras(keras, "norm", np.array([[3, 4], [0, 1]], np.int32))
    assert_like_keras(keras, "norm", np.array([[3, 4], [0, 1]], np.int8), ord=1, axis=1)


def test_the_gradient_of_a_zero_norm_is_zero():
    """JAX (so Keras) gives NaN; numkeras takes the subgradient 0."""
    v = ops.Variable(np.zeros((2, 3)))
    ops.sum(ops.norm(v, axis=1)).backward()
    np.testing.assert_array_equal(v.grad, np.zeros((2, 3)))


def test_tied_extremes_share_the_gradient():
    v = ops.Variable([[1.0, -3.0, 3.0], [2.0, 2.0, 2.0]])
    ops.sum(ops.norm(v, ord=np.inf, axis=1)).backward()
    np.testing.assert_allclose(v.grad, [[0.0, -0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


@pytest.mark.parametrize(
    ("x", "kwargs", "message"),
    [
        (X, {"ord": "fro", "axis": 1}, "must be a number for a vector norm"),
        (X, {"ord": "nuclear"}, "ord must be one of"),
        (BATCH, {"ord": 2}, "one axis .* or two"),
        (BATCH, {"axis": (0, 1, 2)}, "one axis .* or two"),
        (X, {"axis": 2}, "axis must be in"),
    ],
)
def test_bad_arguments_are_named(x, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.norm(x, **kwargs)
