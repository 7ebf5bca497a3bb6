"""Reductions: every axis form and keepdims, against NumPy and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numkeras import backend, ops

REDUCTIONS = {
    "sum": (ops.sum, np.sum),
    "mean": (ops.mean, np.mean),
    "max": (ops.max, np.max),
    "min": (ops.min, np.min),
    "logsumexp": (
        ops.logsumexp,
        lambda x, axis, keepdims: torch.logsumexp(
            torch.from_numpy(x),
            dim=tuple(range(x.ndim)) if axis is None else axis,
            keepdim=keepdims,
        ).numpy(),
    ),
}
AXES = [None, 0, -1, (0, 2), (-1, -3), 1]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction(name, axis, keepdims, rng, gradcheck):
    op, reference = REDUCTIONS[name]
    x = rng.standard_normal((2, 3, 4))
    out = op(x, axis=axis, keepdims=keepdims)
    expected = reference(x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13)
    gradcheck(lambda v: op(v, axis=axis, keepdims=keepdims), x)


def test_logsumexp_reduces_the_last_axis_by_default_and_is_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    np.testing.assert_allclose(ops.logsumexp(x).data, [1000 + np.log(2), -1000 + np.log(2)])
    v = ops.Variable(x)
    ops.sum(ops.logsumexp(v)).backward()
    np.testing.assert_allclose(v.grad, np.full((2, 2), 0.5))


@pytest.mark.parametrize(("op", "row"), [(ops.max, [1.0, 3.0, 3.0]), (ops.min, [3.0, 1.0, 1.0])])
def test_tied_extremes_share_the_gradient(op, row):
    x = ops.Variable([row, [2.0, 2.0, 2.0]])
    ops.sum(op(x, axis=1)).backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_tensor_methods_are_the_reductions(rng):
    x = ops.Tensor(rng.standard_normal((3, 4)))
    np.testing.assert_allclose(x.sum(axis=0).data, x.data.sum(axis=0))
    np.testing.assert_allclose(x.mean(axis=1, keepdims=True).data, x.data.mean(1, keepdims=True))
    np.testing.assert_allclose(x.max().data, x.data.max())
    np.testing.assert_allclose(x.min(axis=-1).data, x.data.min(axis=-1))


@pytest.mark.parametrize("name", REDUCTIONS)
def test_float32_stays_float32(name, rng):
    with backend.floatx_scope("float32"):
        x = ops.Variable(rng.standard_normal((3, 4)).astype(np.float32))
        out = REDUCTIONS[name][0](x, axis=1)
        ops.sum(out).backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32
