"""Neural-network ops: matmul, activations, the fused dense layer and losses, dropout.

Values are checked against PyTorch (CPU) where the definitions coincide, gradients against
finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras import backend, ops
from numkeras.ops import nn


def _torch(fn, *arrays, **kwargs):
    return fn(*(torch.from_numpy(np.asarray(a)) for a in arrays), **kwargs).numpy()


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [
        ((3, 4), (4, 2)),
        ((4,), (4, 2)),
        ((3, 4), (4,)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((4,), (2, 4, 5)),
        ((2, 3, 4), (4,)),
    ],
)
def test_matmul(shape_a, shape_b, rng, gradcheck):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    np.testing.assert_allclose(ops.matmul(a, b).data, a @ b, rtol=1e-13)
    gradcheck(ops.matmul, a, b)


def test_matmul_of_two_vectors(rng, gradcheck):
    gradcheck(ops.matmul, rng.standard_normal(4), rng.standard_normal(4))


ACTIVATIONS = {
    "relu": (ops.relu, torch.relu),
    "sigmoid": (ops.sigmoid, torch.sigmoid),
    "tanh": (ops.tanh, torch.tanh),
    "softplus": (ops.softplus, F.softplus),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation(name, rng, gradcheck):
    op, reference = ACTIVATIONS[name]
    x = rng.standard_normal((3, 5))
    x[np.abs(x) < 0.1] = 0.5  # away from relu's kink
    np.testing.assert_allclose(op(x).data, _torch(reference, x), rtol=1e-12, atol=1e-15)
    gradcheck(op, x)


def test_activations_do_not_overflow():
    x = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(ops.sigmoid(x).data, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ops.softplus(x).data, [0.0, np.log(2.0), 1000.0])
    np.testing.assert_allclose(ops.tanh(x).data, [-1.0, 0.0, 1.0])


@pytest.mark.parametrize(
    ("op", "reference"), [(ops.softmax, F.softmax), (ops.log_softmax, F.log_softmax)]
)
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(op, reference, axis, rng, gradcheck):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(op(x, axis).data, _torch(reference, x, dim=axis), rtol=1e-12)
    gradcheck(lambda v: op(v, axis), x)


def test_softmax_is_stable():
    x = np.array([[1000.0, 1000.0, -1000.0]])
    np.testing.assert_allclose(ops.softmax(x).data, [[0.5, 0.5, 0.0]])
    log2 = np.log(2.0)
    np.testing.assert_allclose(ops.log_softmax(x).data, [[-log2, -log2, -2000 - log2]])


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3)])
def test_dense(activation, use_bias, x_shape, rng, gradcheck):
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal((3, 4))
    bias = rng.standard_normal(4)
    expected = x @ kernel + (bias if use_bias else 0.0)
    if activation == "relu":
        expected = np.maximum(expected, 0.0)
    args = (x, kernel, bias) if use_bias else (x, kernel)
    out = ops.dense(*args, activation=activation)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13)
    gradcheck(lambda *vs: ops.dense(*vs, activation=activation), *args)


def test_dense_skips_the_input_gradient_when_nothing_needs_it(rng):
    x = ops.Tensor(rng.standard_normal((5, 3)))
    kernel = ops.Variable(rng.standard_normal((3, 2)))
    ops.sum(ops.dense(x, kernel)).backward()
    assert x.grad is None
    np.testing.assert_allclose(kernel.grad, np.repeat(x.data.sum(0)[:, None], 2, axis=1))


def test_dense_rejects_other_activations():
    with pytest.raises(ValueError, match="activation='tanh'"):
        ops.dense(np.ones((1, 2)), np.ones((2, 2)), activation="tanh")


def test_softmax_cross_entropy_matches_torch(rng, gradcheck):
    logits = rng.standard_normal((6, 4)) * 3
    one_hot = np.eye(4)[rng.integers(0, 4, 6)]
    soft = rng.dirichlet(np.ones(4), 6)
    for target in (one_hot, soft):
        np.testing.assert_allclose(
            ops.softmax_cross_entropy(logits, target).data,
            _torch(F.cross_entropy, logits, target, reduction="none"),
            rtol=1e-12,
        )
        gradcheck(lambda z, t=target: ops.softmax_cross_entropy(z, t), logits)


def test_softmax_cross_entropy_along_another_axis(rng, gradcheck):
    logits, target = rng.standard_normal((2, 4, 3)), rng.dirichlet(np.ones(4), (2, 3))
    target = target.transpose(0, 2, 1)  # classes on axis 1, as torch wants them
    np.testing.assert_allclose(
        ops.softmax_cross_entropy(logits, target, axis=1).data,
        _torch(F.cross_entropy, logits, target, reduction="none"),
        rtol=1e-12,
    )
    # targets that do not sum to one exercise the Σy term of the gradient
    gradcheck(lambda z: ops.softmax_cross_entropy(z, 2 * target, axis=1), logits)


def test_softmax_cross_entropy_gradient_is_p_minus_y(rng):
    logits = ops.Variable(rng.standard_normal((3, 5)))
    target = np.eye(5)[[0, 3, 4]]
    ops.sum(ops.softmax_cross_entropy(logits, target)).backward()
    np.testing.assert_allclose(logits.grad, ops.softmax(logits.data).data - target, rtol=1e-12)


@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 4)])
def test_sparse_softmax_cross_entropy_matches_torch(shape, rng, gradcheck):
    logits, labels = rng.standard_normal(shape) * 3, rng.integers(0, shape[-1], shape[:-1])
    expected = F.cross_entropy(
        torch.from_numpy(np.moveaxis(logits, -1, 1)), torch.from_numpy(labels), reduction="none"
    ).numpy()
    np.testing.assert_allclose(
        ops.sparse_softmax_cross_entropy(logits, labels).data, expected, rtol=1e-12
    )
    gradcheck(lambda z: ops.sparse_softmax_cross_entropy(z, labels), logits)


def test_sparse_softmax_cross_entropy_takes_float_labels(rng):
    logits = rng.standard_normal((4, 3))
    labels = np.array([0, 2, 1, 2])
    np.testing.assert_allclose(
        ops.sparse_softmax_cross_entropy(logits, labels.astype(float)).data,
        ops.sparse_softmax_cross_entropy(logits, labels).data,
    )


def test_sigmoid_binary_cross_entropy_matches_torch(rng, gradcheck):
    logits, target = rng.standard_normal((5, 3)) * 4, rng.random((5, 3))
    np.testing.assert_allclose(
        ops.sigmoid_binary_cross_entropy(logits, target).data,
        _torch(F.binary_cross_entropy_with_logits, logits, target, reduction="none"),
        rtol=1e-12,
    )
    gradcheck(lambda z: ops.sigmoid_binary_cross_entropy(z, target), logits)


def test_fused_losses_are_finite_for_extreme_logits():
    logits = np.array([[1000.0, -1000.0]])
    assert np.isfinite(ops.softmax_cross_entropy(logits, np.array([[0.0, 1.0]])).data).all()
    assert np.isfinite(ops.sparse_softmax_cross_entropy(logits, np.array([1])).data).all()
    np.testing.assert_allclose(
        ops.sigmoid_binary_cross_entropy(logits, np.array([[0.0, 1.0]])).data, [[1000.0, 1000.0]]
    )


def _dropout_with_seed(x, rate, seed=7, **kwargs):
    backend.set_random_seed(seed)
    return ops.dropout(x, rate, **kwargs)


def test_dropout_gradient(rng, gradcheck):
    # Reseeding before each call fixes the mask, so finite differences see one function.
    gradcheck(lambda v: _dropout_with_seed(v, 0.4), rng.standard_normal((4, 5)))


def test_dropout_drops_a_fraction_rate_and_keeps_the_mean():
    with backend.floatx_scope("float32"):
        x = ops.Variable(np.ones((500, 400), np.float32))
        y = _dropout_with_seed(x, 0.3)
        ops.sum(y).backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    dropped = (y.data == 0).mean()
    assert dropped == pytest.approx(0.3, abs=0.005)
    assert y.data.mean() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(np.unique(y.data), [0.0, 1 / 0.7], rtol=1e-6)
    np.testing.assert_array_equal(x.grad, y.data)


def test_dropout_is_reproducible_and_new_at_every_call():
    x = np.ones((20, 30))
    first = _dropout_with_seed(x, 0.5).data
    np.testing.assert_array_equal(first, _dropout_with_seed(x, 0.5).data)
    assert not np.array_equal(ops.dropout(x, 0.5).data, ops.dropout(x, 0.5).data)


def test_dropout_with_its_own_generator_leaves_the_stream_alone():
    x = np.ones((20, 30))
    state = backend.get_rng_state()
    first = ops.dropout(x, 0.5, rng=np.random.default_rng(3)).data
    np.testing.assert_array_equal(first, ops.dropout(x, 0.5, rng=np.random.default_rng(3)).data)
    assert backend.get_rng_state() == state


def test_dropout_noise_shape_shares_the_mask():
    y = _dropout_with_seed(np.ones((8, 50)), 0.5, noise_shape=(1, 50)).data
    assert (y == y[0]).all() and 0 < (y[0] == 0).sum() < 50


def test_dropout_rate_zero_is_the_identity():
    x = ops.Variable(np.arange(3.0))
    assert ops.dropout(x, 0.0) is x


@pytest.mark.parametrize("rate", [1.0, 1.5])
def test_dropout_rejects_rates_of_one_or_more(rate):
    with pytest.raises(ValueError, match=f"rate={rate}"):
        ops.dropout(np.ones(3), rate)


def test_dropout_rejects_a_negative_rate():
    with pytest.raises(ValueError, match="rate"):
        ops.dropout(np.ones(3), -0.1)


@pytest.mark.parametrize("shape", [(1000, 10), (7, 3), (5, 40), (2, 3, 4)])
def test_max_keepdims_is_numpys_max_over_the_last_axis(shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x.reshape(-1)[3] = np.nan
    np.testing.assert_array_equal(nn.max_keepdims(x, -1), x.max(axis=-1, keepdims=True))


@pytest.mark.parametrize("sparse", [False, True])
def test_cross_entropy_gradient_of_a_confident_softmax_has_no_subnormals(sparse):
    # p of the wrong class is e^-95 (2e-42, subnormal in float32): its gradient must be 0.
    logits = ops.Variable(np.array([[95.0, 0.0, 1.0]], np.float32))
    if sparse:
        loss = ops.sparse_softmax_cross_entropy(logits, np.array([0]))
    else:
        loss = ops.softmax_cross_entropy(logits, np.array([[1.0, 0.0, 0.0]], np.float32))
    ops.sum(loss).backward()
    grad = logits.grad
    tiny = np.finfo(np.float32).tiny
    assert not np.any((grad != 0) & (np.abs(grad) < tiny))
    assert grad[0, 1] == 0.0 and grad[0, 2] == 0.0  # both below 1e-38


# -- the piecewise activations --------------------------------------------------------------------
def _leaky_relu(x, slope=0.2):
    return np.where(x >= 0, x, slope * x)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _selu(x):
    return nn.SELU_SCALE * _elu(x, nn.SELU_ALPHA)


@pytest.mark.parametrize(
    ("op", "reference"),
    [
        (ops.leaky_relu, _leaky_relu),
        (lambda x: ops.leaky_relu(x, negative_slope=0.01), lambda x: _leaky_relu(x, 0.01)),
        (lambda x: ops.leaky_relu(x, negative_slope=1.5), lambda x: _leaky_relu(x, 1.5)),
        (ops.elu, _elu),
        (lambda x: ops.elu(x, alpha=0.5), lambda x: _elu(x, 0.5)),
        (ops.selu, _selu),
    ],
)
def test_piecewise_activation(op, reference, rng, gradcheck):
    x = rng.standard_normal((4, 5)) * 3
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink, where the difference quotient straddles it
    np.testing.assert_allclose(op(x).data, reference(x), rtol=1e-13, atol=1e-15)
    gradcheck(op, x)


def test_selu_constants_are_keras():
    np.testing.assert_allclose(
        ops.selu(np.array([-1e3, 1.0])).data, [-1.7580993408473766, 1.0507009873554805], rtol=1e-15
    )
