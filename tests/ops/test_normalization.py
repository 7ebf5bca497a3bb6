"""Batch normalization, against PyTorch and by finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras import ops
from numkeras.ops import normalization

from .nhwc_support import backprop, nchw, nhwc


# -- batch normalization --------------------------------------------------------------------------
@pytest.mark.parametrize(("shape", "axis"), [((4, 3, 3, 5), -1), ((4, 5, 3, 3), 1), ((6, 5), -1)])
def test_batch_norm_training_matches_torch(shape, axis, rng):
    x = rng.standard_normal(shape) * 2 + 1
    c = shape[axis]
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)

    def fn(*v):
        return normalization.batch_norm(*v, axis=axis, epsilon=1e-3)

    y, r, grads = backprop(fn, x, gamma, beta)

    def move(a):
        return np.moveaxis(a, axis, 1)

    tx = torch.from_numpy(move(x).copy()).requires_grad_()
    tg, tb = torch.from_numpy(gamma).requires_grad_(), torch.from_numpy(beta).requires_grad_()
    ty = F.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-3)
    (ty * torch.from_numpy(move(r).copy())).sum().backward()
    np.testing.assert_allclose(y, np.moveaxis(ty.detach().numpy(), 1, axis), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        grads[0], np.moveaxis(tx.grad.numpy(), 1, axis), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(grads[1], tg.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(grads[2], tb.grad.numpy(), rtol=1e-10)


def test_batch_norm_inference_matches_torch(rng):
    x = rng.standard_normal((4, 3, 3, 5))
    mean, var = rng.standard_normal(5), rng.random(5) + 0.5
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    y = normalization.batch_norm(x, gamma, beta, mean=mean, variance=var).data
    ty = F.batch_norm(
        nchw(x),
        torch.from_numpy(mean),
        torch.from_numpy(var),
        torch.from_numpy(gamma),
        torch.from_numpy(beta),
        training=False,
        eps=1e-3,
    )
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)


@pytest.mark.parametrize(
    ("center", "scale"), [(True, True), (False, True), (True, False), (False, False)]
)
def test_batch_norm_gradient(center, scale, rng, gradcheck):
    x = rng.standard_normal((3, 2, 2, 3))
    params = [
        p for p, on in ((rng.standard_normal(3), scale), (rng.standard_normal(3), center)) if on
    ]

    def split(vs):
        rest = list(vs)
        return (rest.pop(0) if scale else None), (rest.pop(0) if center else None)

    gradcheck(lambda v, *ps: normalization.batch_norm(v, *split(ps), axis=-1), x, *params)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    gradcheck(
        lambda v, m, s, *ps: normalization.batch_norm(v, *split(ps), mean=m, variance=s),
        x,
        mean,
        var,
        *params,
    )


def test_batch_norm_op_leaves_the_batch_statistics(rng):
    x = rng.standard_normal((50, 4)) * 3 + 2
    op = normalization.BatchNorm(axis=-1, epsilon=1e-3, center=False, scale=False)
    y = op(x).data
    np.testing.assert_allclose(op.mean, x.mean(0))
    np.testing.assert_allclose(op.variance, x.var(0))  # biased, as Keras uses it
    np.testing.assert_allclose(y.mean(0), 0.0, atol=1e-12)


# -- keras.ops.batch_normalization ----------------------------------------------------------------
def test_batch_normalization_is_keras(rng, gradcheck):
    x = rng.standard_normal((4, 3, 5))
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    offset, scale = rng.standard_normal(3), rng.standard_normal(3)
    y = ops.batch_normalization(x, mean, var, axis=1, offset=offset, scale=scale)

    def column(a):
        return a[:, None]

    expected = column(scale) * (x - column(mean)) / np.sqrt(column(var) + 1e-3) + column(offset)
    np.testing.assert_allclose(y.data, expected, rtol=1e-13)
    plain = ops.batch_normalization(x, mean, var, 1, epsilon=0.1).data
    np.testing.assert_allclose(plain, (x - column(mean)) / np.sqrt(column(var) + 0.1), rtol=1e-13)
    gradcheck(
        lambda *v: ops.batch_normalization(v[0], v[1], v[2], 1, v[3], v[4]),
        x,
        mean,
        var,
        offset,
        scale,
    )


def test_batch_normalization_without_statistics_uses_the_batchs(rng, gradcheck):
    x = rng.standard_normal((50, 4)) * 3 + 2
    y = ops.batch_normalization(x, None, None, axis=-1)
    np.testing.assert_allclose(y.data, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-12)
    gradcheck(lambda v: ops.batch_normalization(v, None, None, -1), x[:6])
    with pytest.raises(ValueError, match="both mean and variance, or neither"):
        ops.batch_normalization(x, x.mean(0), None, axis=-1)
