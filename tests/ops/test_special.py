"""The error function that NumPy lacks: accuracy against math.erf, dtype, gradient."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numkeras import backend, ops
from numkeras.ops.special import erf, erf_array


@pytest.mark.parametrize(("dtype", "tolerance"), [("float64", 4e-15), ("float32", 3e-7)])
def test_erf_matches_math_erf_on_the_whole_line(dtype, tolerance):
    x = np.concatenate([np.linspace(-9, 9, 20001), [0.0, 1e-30, 2.0, -2.0, 6.0, 5.999]])
    x = x.astype(dtype)
    expected = np.array([math.erf(v) for v in x.astype(float)])
    out = erf_array(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=0, atol=tolerance)


def test_erf_is_odd_and_saturates():
    x = np.array([0.3, 1.7, 2.5, 4.0, 7.0, np.inf])
    np.testing.assert_array_equal(erf_array(-x), -erf_array(x))
    np.testing.assert_array_equal(erf_array(np.array([6.5, np.inf])), [1.0, 1.0])
    assert np.isnan(erf_array(np.array([np.nan])))[0]


def test_erf_of_tiny_inputs_is_relatively_accurate():
    x = np.array([1e-12, 1e-200])
    np.testing.assert_allclose(erf_array(x), 2 / math.sqrt(math.pi) * x, rtol=1e-14)


def test_erf_gradient(rng, gradcheck):
    x = rng.uniform(-4, 4, (3, 7))
    np.testing.assert_allclose(erf(x).data, erf_array(x))
    gradcheck(erf, x)


def test_erf_keeps_float32():
    with backend.floatx_scope("float32"):
        x = ops.Variable(np.linspace(-3, 3, 7, dtype=np.float32))
        y = erf(x)
        ops.sum(y).backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
