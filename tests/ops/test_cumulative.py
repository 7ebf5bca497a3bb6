"""cumsum and cumprod: values and dtypes against Keras 3, gradients against finite differences
(exact where the input has zeros)."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops

from .keras_oracle import assert_like_keras

X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
WITH_ZEROS = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 0.5], [2.0, -0.5, 1.0, 4.0]])

CASES = [{}, {"axis": 0}, {"axis": 1}, {"axis": -1}]


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("kwargs", CASES)
def test_matches_keras(op, kwargs, keras):
    assert_like_keras(keras, op, X, **kwargs)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("kwargs", CASES)
@pytest.mark.parametrize("x", [X, WITH_ZEROS[None]], ids=["random", "zeros"])
def test_gradient(op, kwargs, x, gradcheck):
    gradcheck(lambda v: getattr(ops, op)(v, **kwargs), x)


def test_cumprod_gradient_at_a_zero_is_the_product_of_the_others():
    x = ops.Variable([2.0, 0.0, 3.0])
    ops.sum(ops.cumprod(x)).backward()
    # d/dx of x0 + x0·x1 + x0·x1·x2 at (2, 0, 3).
    np.testing.assert_allclose(x.grad, [1.0, 2.0 + 6.0, 0.0])


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize(
    ("x", "kwargs"),
    [
        (np.array([True, False, True]), {}),
        (np.array([1, 2, 3], np.int8), {}),
        (np.array([1, 2, 3], np.int32), {"dtype": "float32"}),
    ],
    ids=["bool gives int32", "int8 stays int8", "dtype"],
)
def test_dtypes_match_keras(op, x, kwargs, keras):
    assert_like_keras(keras, op, x, **kwargs)
