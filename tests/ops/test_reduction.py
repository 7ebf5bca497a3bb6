"""Reductions: every axis form and keepdims, against NumPy, torch and Keras 3, and finite
differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numkeras import backend, ops

from .keras_oracle import assert_like_keras

REDUCTIONS = {
    "sum": (ops.sum, np.sum),
    "mean": (ops.mean, np.mean),
    "max": (ops.max, np.max),
    "min": (ops.min, np.min),
    "prod": (ops.prod, np.prod),
    "var": (ops.var, np.var),
    "std": (ops.std, np.std),
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


def test_logsumexp_reduces_every_axis_by_default_as_keras_and_is_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    np.testing.assert_allclose(ops.logsumexp(x).data, 1000 + np.log(2))
    np.testing.assert_allclose(
        ops.logsumexp(x, axis=-1).data, [1000 + np.log(2), -1000 + np.log(2)]
    )
    v = ops.Variable(x)
    ops.sum(ops.logsumexp(v, axis=1)).backward()
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


X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)

#: name, keyword arguments: the calls compared with ``keras.ops``.
KERAS_CASES = [
    ("sum", {}),
    ("sum", {"axis": (0, 2), "keepdims": True}),
    ("mean", {"axis": -1}),
    ("max", {"axis": 1}),
    ("min", {"axis": (0, 1), "keepdims": True}),
    ("max", {"axis": 1, "initial": 0.5}),
    ("min", {"initial": -0.25}),
    ("prod", {}),
    ("prod", {"axis": 1, "keepdims": True}),
    ("prod", {"axis": -1, "dtype": "float32"}),
    ("var", {}),
    ("var", {"axis": 1, "keepdims": True}),
    ("std", {"axis": (0, 2)}),
    ("logsumexp", {}),
    ("logsumexp", {"axis": 1, "keepdims": True}),
]


@pytest.mark.parametrize(("name", "kwargs"), KERAS_CASES)
def test_matches_keras(name, kwargs, keras):
    assert_like_keras(keras, name, X, **kwargs)


@pytest.mark.parametrize(("op", "initial"), [(ops.max, 0.5), (ops.min, -0.25)])
def test_initial_bounds_the_result_and_takes_the_gradient_where_it_wins(op, initial, gradcheck):
    x = np.array([[0.1, 0.9, 0.3], [-0.5, 0.2, 0.0]])
    out = op(x, axis=1, initial=initial)
    reference = np.maximum if op is ops.max else np.minimum
    np.testing.assert_allclose(out.data, reference(getattr(x, op.__name__)(axis=1), initial))
    gradcheck(lambda v: op(v, axis=1, initial=initial), x)


def test_initial_is_the_extreme_of_an_empty_slice(keras):
    assert_like_keras(keras, "max", np.zeros((0, 3), np.float32), axis=0, initial=1.0)
    assert_like_keras(keras, "min", np.zeros((0, 3), np.float32), axis=0, initial=-2.0)


def test_prod_gradient_is_exact_at_zeros(gradcheck):
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.5, -2.0, 0.5]])
    v = ops.Variable(x)
    ops.sum(ops.prod(v, axis=1)).backward()
    np.testing.assert_allclose(v.grad, [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 0.75, -3.0]])
    gradcheck(lambda t: ops.prod(t, axis=(0, 1)), x)


def test_std_of_a_constant_slice_has_a_zero_gradient():
    """Keras's (JAX's) is NaN; numkeras takes the subgradient 0 so one flat row cannot
    poison a step."""
    v = ops.Variable([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    ops.sum(ops.std(v, axis=1)).backward()
    np.testing.assert_allclose(v.grad[0], 0.0)
    np.testing.assert_allclose(v.grad[1], np.array([-1.0, 0.0, 1.0]) / (3 * np.sqrt(2 / 3)))


@pytest.mark.parametrize("axis", [3, -4, (0, 0)])
def test_axis_out_of_range_or_repeated_is_refused(axis):
    """Before, axis=3 of a rank-3 tensor wrapped round to axis 0."""
    with pytest.raises(ValueError, match="axis"):
        ops.sum(X, axis=axis)
