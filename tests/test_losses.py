"""Losses: values against NumPy formulas and PyTorch, gradients, fusion, weights and lookup."""

from __future__ import annotations

import doctest
import json
import warnings

import numpy as np
import pytest

from numkeras import backend, losses, ops
from numkeras.ops.nn import Sigmoid, Softmax
from numkeras.utils.gradient_check import check_gradients

EPS = 1e-7
RNG = np.random.default_rng(1234)
N, C = 4, 3


# --------------------------------------------------------------------------------------------
# Reference formulas in float64 NumPy, written from Keras's docstrings
# --------------------------------------------------------------------------------------------
def _np_hinge_targets(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _np_unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


def _np_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean(-1)


def _np_cce(t, p):
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(q)).sum(-1)


def _np_bce(t, p):
    q = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(q) + (1 - t) * np.log(1 - q)).mean(-1)


def _np_categorical_hinge(t, p):
    return np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)


REFERENCE = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(t - p).mean(-1),
    "mean_absolute_percentage_error": lambda t, p: (
        100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)
    ),
    "mean_squared_logarithmic_error": lambda t, p: (
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2
    ).mean(-1),
    "huber": _np_huber,
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "cosine_similarity": lambda t, p: -(_np_unit(t) * _np_unit(p)).sum(-1),
    "categorical_crossentropy": _np_cce,
    "binary_crossentropy": _np_bce,
    "kl_divergence": lambda t, p: (
        np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))
    ).sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "hinge": lambda t, p: np.maximum(1 - _np_hinge_targets(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - _np_hinge_targets(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge": _np_categorical_hinge,
    "sparse_categorical_crossentropy": lambda t, p: _np_cce(np.eye(C)[t.astype(int)], p),
}


def _away_from(x, points, margin=0.1):
    """``x`` with every value within ``margin`` of a kink moved off it (finite differences)."""
    for point in points:
        close = np.abs(x - point) < margin
        x = np.where(close, point + np.sign(x - point + 1e-12) * 2 * margin, x)
    return x


def _probabilities(shape):
    p = RNG.uniform(0.05, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _data(name):
    """(y_true, y_pred) in float64 that suit loss ``name`` and keep away from its kinks."""
    one_hot = np.eye(C)[RNG.integers(0, C, N)]
    if name in ("categorical_crossentropy", "kl_divergence"):
        return (_probabilities((N, C)) if name == "kl_divergence" else one_hot), _probabilities(
            (N, C)
        )
    if name == "sparse_categorical_crossentropy":
        return RNG.integers(0, C, N), _probabilities((N, C))
    if name == "binary_crossentropy":
        return RNG.integers(0, 2, (N, C)).astype(float), RNG.uniform(0.05, 0.95, (N, C))
    if name == "poisson":
        return RNG.integers(0, 4, (N, C)).astype(float), RNG.uniform(0.2, 3.0, (N, C))
    if name == "mean_squared_logarithmic_error":
        return RNG.uniform(0.0, 3.0, (N, C)), RNG.uniform(0.1, 3.0, (N, C))
    if name in ("hinge", "squared_hinge"):
        return RNG.integers(0, 2, (N, C)).astype(float), _away_from(
            RNG.uniform(-2, 2, (N, C)), (-1.0, 1.0)
        )
    if name == "categorical_hinge":
        return one_hot, RNG.uniform(-1, 1, (N, C))
    t = RNG.standard_normal((N, C))
    errors = _away_from(RNG.uniform(-2, 2, (N, C)), (-1.0, -0.5, 0.0, 0.5, 1.0))  # off kinks
    return t, t + errors


LOSS_NAMES = sorted(REFERENCE)


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_value_matches_numpy_formula(name):
    y_true, y_pred = _data(name)
    fn = losses.get(name)
    got = fn(y_true, y_pred)
    assert got.shape == (N,)
    np.testing.assert_allclose(got.numpy(), REFERENCE[name](y_true, y_pred), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_float32_predictions_keep_float32_whatever_the_targets(name):
    y_true, y_pred = _data(name)
    got = losses.get(name)(y_true, ops.Variable(y_pred.astype(np.float32)))  # float64 targets
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), REFERENCE[name](y_true, y_pred), rtol=2e-4, atol=2e-5)


def test_sparse_categorical_crossentropy_matches_the_one_hot_formula():
    labels = RNG.integers(0, C, N)
    p = _probabilities((N, C))
    expected = _np_cce(np.eye(C)[labels], p)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, p).numpy(), expected)
    column = labels[:, None]  # (n, 1) labels are accepted as well
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(column, p).numpy(), expected)


def test_keras_docstring_examples():
    # Numbers printed in Keras 3's own docstrings.
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(
        losses.categorical_crossentropy(y, p).numpy(), [0.0513, 2.303], atol=1e-3
    )
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy([1, 2], p).numpy(), [0.0513, 2.303], atol=1e-3
    )
    y, p = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(losses.binary_crossentropy(y, p).numpy(), [0.916, 0.714], atol=1e-3)
    assert losses.Huber()(y, p).item() == pytest.approx(0.155)
    assert losses.LogCosh()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]).item() == (
        pytest.approx(0.108, abs=1e-3)
    )
    cosine = losses.cosine_similarity(
        [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]
    )
    np.testing.assert_allclose(cosine.numpy(), [0.0, -1.0, 1.0], atol=1e-6)


def test_docstring_examples_run():
    assert doctest.testmod(losses).failed == 0


def test_hinge_keeps_minus_one_one_labels_and_converts_zero_one_labels():
    p = np.array([[0.3, -0.8]])
    minus_one_one = losses.hinge([[1.0, -1.0]], p).numpy()
    np.testing.assert_allclose(losses.hinge([[1, 0]], p).numpy(), minus_one_one)
    np.testing.assert_allclose(losses.hinge([[1.0, -1.0]], p).numpy(), [(0.7 + 0.2) / 2])


def test_targets_of_shape_n_meet_outputs_of_shape_n_1():
    y = np.array([0.0, 1.0, 1.0])
    p = np.array([[0.2], [0.7], [0.4]])
    np.testing.assert_allclose(losses.binary_crossentropy(y, p).numpy(), _np_bce(y[:, None], p))
    np.testing.assert_allclose(losses.mean_squared_error(y, p).numpy(), (y - p[:, 0]) ** 2)


# --------------------------------------------------------------------------------------------
# PyTorch, where the definitions coincide
# --------------------------------------------------------------------------------------------
torch = pytest.importorskip("torch")
F = torch.nn.functional


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))


TORCH = {
    "mean_squared_error": lambda t, p: F.mse_loss(p, t, reduction="none").mean(-1),
    "mean_absolute_error": lambda t, p: F.l1_loss(p, t, reduction="none").mean(-1),
    "huber": lambda t, p: F.huber_loss(p, t, reduction="none", delta=1.0).mean(-1),
    "cosine_similarity": lambda t, p: -F.cosine_similarity(p, t, dim=-1),
    # Keras clips probabilities to [1e-7, 1 - 1e-7] where torch clamps log at -100; the test
    # data stay inside the clip range, where the two definitions coincide.
    "binary_crossentropy": lambda t, p: F.binary_cross_entropy(p, t, reduction="none").mean(-1),
    "categorical_crossentropy": lambda t, p: F.cross_entropy(torch.log(p), t, reduction="none"),
    "kl_divergence": lambda t, p: F.kl_div(torch.log(p), t, reduction="none").sum(-1),
    "poisson": lambda t, p: F.poisson_nll_loss(
        p, t, log_input=False, full=False, eps=EPS, reduction="none"
    ).mean(-1),
}
# Not compared with torch: mape, msle and log_cosh have no torch function; torch's
# hinge_embedding_loss and multi_margin_loss define hinge losses differently from Keras.


@pytest.mark.parametrize("name", sorted(TORCH))
def test_value_matches_torch(name):
    y_true, y_pred = _data(name)
    expected = TORCH[name](_t(y_true), _t(y_pred)).numpy()
    np.testing.assert_allclose(losses.get(name)(y_true, y_pred).numpy(), expected, rtol=1e-6)


def test_crossentropies_from_logits_match_torch():
    z = RNG.standard_normal((N, C)) * 3
    labels = RNG.integers(0, C, N)
    one_hot = np.eye(C)[labels]
    expected = F.cross_entropy(_t(z), torch.tensor(labels), reduction="none").numpy()
    np.testing.assert_allclose(
        losses.categorical_crossentropy(one_hot, z, from_logits=True).numpy(), expected
    )
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels, z, from_logits=True).numpy(), expected
    )
    y = RNG.integers(0, 2, (N, C)).astype(float)
    np.testing.assert_allclose(
        losses.binary_crossentropy(y, z, from_logits=True).numpy(),
        F.binary_cross_entropy_with_logits(_t(z), _t(y), reduction="none").mean(-1).numpy(),
    )


def test_label_smoothing_matches_torch_and_the_formula():
    z = RNG.standard_normal((N, C))
    labels = RNG.integers(0, C, N)
    expected = F.cross_entropy(_t(z), torch.tensor(labels), label_smoothing=0.2).item()
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    got = loss(np.eye(C)[labels], z)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    y = RNG.integers(0, 2, (N, C)).astype(float)
    p = RNG.uniform(0.05, 0.95, (N, C))
    smoothed = y * 0.8 + 0.1  # y·(1 - ls) + ls/2
    np.testing.assert_allclose(
        losses.binary_crossentropy(y, p, label_smoothing=0.2).numpy(), _np_bce(smoothed, p)
    )


def test_mean_reduction_matches_torch_gradients():
    z = RNG.standard_normal((N, C))
    labels = RNG.integers(0, C, N)
    zt = _t(z).requires_grad_()
    F.cross_entropy(zt, torch.tensor(labels)).backward()
    logits = ops.Variable(z)
    losses.SparseCategoricalCrossentropy()(labels, ops.softmax(logits)).backward()
    np.testing.assert_allclose(logits.grad, zt.grad.numpy(), rtol=1e-6, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_gradient_matches_finite_differences(name):
    y_true, y_pred = _data(name)
    with backend.floatx_scope("float64"):
        p = ops.Variable(y_pred)
        check_gradients(lambda: losses.get(name)(y_true, p), p)


@pytest.mark.parametrize(
    "make",
    [
        lambda: losses.CategoricalCrossentropy(label_smoothing=0.1),
        lambda: losses.BinaryCrossentropy(label_smoothing=0.1),
        lambda: losses.Huber(delta=0.5),
        lambda: losses.CosineSimilarity(axis=0),
    ],
)
def test_gradient_of_configured_classes(make):
    name = make().fn.__name__
    y_true, y_pred = _data(name)
    with backend.floatx_scope("float64"):
        p = ops.Variable(y_pred)
        check_gradients(lambda: make()(y_true, p), p)


@pytest.mark.parametrize(
    "loss, activation, target",
    [
        (losses.categorical_crossentropy, ops.softmax, lambda: np.eye(C)[RNG.integers(0, C, N)]),
        (losses.sparse_categorical_crossentropy, ops.softmax, lambda: RNG.integers(0, C, N)),
        (losses.binary_crossentropy, ops.sigmoid, lambda: RNG.integers(0, 2, (N, C)) * 1.0),
    ],
)
def test_fused_path_gradient_matches_finite_differences(loss, activation, target):
    y = target()
    with backend.floatx_scope("float64"):
        z = ops.Variable(RNG.standard_normal((N, C)))
        check_gradients(lambda: loss(y, activation(z)), z)
        check_gradients(lambda: loss(y, z, from_logits=True), z)


# --------------------------------------------------------------------------------------------
# Fusion of softmax / sigmoid with the cross-entropies
# --------------------------------------------------------------------------------------------
def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_fused_gradient_is_softmax_minus_target_over_batch():
    z = RNG.standard_normal((N, C))
    y = np.eye(C)[RNG.integers(0, C, N)]
    logits = ops.Variable(z)
    probs = ops.softmax(logits)
    assert isinstance(probs.creator, Softmax)
    losses.CategoricalCrossentropy()(y, probs).backward()
    np.testing.assert_allclose(logits.grad, (_softmax(z) - y) / N, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "loss, activation, y",
    [
        (losses.CategoricalCrossentropy(), "softmax", np.array([[0.0, 1.0, 0.0]])),
        (losses.SparseCategoricalCrossentropy(), "softmax", np.array([1])),
        (losses.BinaryCrossentropy(), "sigmoid", np.array([[0.0, 1.0, 1.0]])),
    ],
)
def test_fused_path_stays_exact_where_clipping_would_stop_the_gradient(loss, activation, y):
    # The true class has probability ~e^-100, far below the 1e-7 clip: the clipped formula
    # would pass no gradient, the fused op still gives p - y (and the loss keeps growing).
    # (The activation is named, not passed: importing numkeras.layers wraps the ops functions.)
    softmax = activation == "softmax"
    z = np.array([[100.0, -100.0, 0.0]]) if softmax else np.array([[3.0, -100.0, 0.5]])
    logits = ops.Variable(z)
    value = loss(y, getattr(ops, activation)(logits))
    assert value.item() > 30
    value.backward()
    if softmax:
        expected = _softmax(z) - (y if y.ndim == 2 else np.eye(C)[y])
    else:
        expected = (1 / (1 + np.exp(-z)) - y) / C
    np.testing.assert_allclose(logits.grad, expected, atol=1e-12)


@pytest.mark.parametrize(
    "loss, activation, target",
    [
        (losses.categorical_crossentropy, ops.softmax, lambda: np.eye(C)[RNG.integers(0, C, N)]),
        (losses.sparse_categorical_crossentropy, ops.softmax, lambda: RNG.integers(0, C, N)),
        (losses.binary_crossentropy, ops.sigmoid, lambda: RNG.integers(0, 2, (N, C)) * 1.0),
    ],
)
def test_fused_and_clipped_paths_agree(loss, activation, target):
    y = target()
    logits = ops.Variable(RNG.standard_normal((N, C)).astype(np.float32))
    fused = loss(y, activation(logits))
    with ops.no_grad():  # as in evaluate: no tape, so no creator: the clipped formula
        probs = activation(logits)
        assert probs.creator is None
        clipped = loss(y, probs)
    from_logits = loss(y, logits, from_logits=True)
    np.testing.assert_allclose(fused.numpy(), clipped.numpy(), rtol=1e-5)
    np.testing.assert_allclose(fused.numpy(), from_logits.numpy(), rtol=1e-6)


def test_fusion_only_for_a_softmax_over_the_loss_axis():
    z = RNG.standard_normal((N, C))
    y = np.eye(C)[RNG.integers(0, C, N)]
    probs = ops.softmax(ops.Variable(z), axis=0)  # normalised over the batch, not the classes
    np.testing.assert_allclose(
        losses.categorical_crossentropy(y, probs).numpy(), _np_cce(y, _softmax(z.T).T)
    )


def test_label_smoothing_applies_before_the_fused_op():
    z = RNG.standard_normal((N, C))
    y = np.eye(C)[RNG.integers(0, C, N)]
    smoothed = y * 0.7 + 0.1
    fused = losses.categorical_crossentropy(y, ops.softmax(ops.Variable(z)), label_smoothing=0.3)
    np.testing.assert_allclose(fused.numpy(), _np_cce(smoothed, _softmax(z)))
    sig = losses.binary_crossentropy(y, ops.sigmoid(ops.Variable(z)), label_smoothing=0.3)
    assert isinstance(ops.sigmoid(ops.Variable(z)).creator, Sigmoid)
    np.testing.assert_allclose(sig.numpy(), _np_bce(y * 0.7 + 0.15, 1 / (1 + np.exp(-z))))


@pytest.mark.parametrize(
    "name",
    [
        "categorical_crossentropy",
        "binary_crossentropy",
        "kl_divergence",
        "poisson",
        "mean_squared_logarithmic_error",
        "sparse_categorical_crossentropy",
    ],
)
def test_probabilities_of_exactly_zero_and_one_give_finite_values_and_gradients(name):
    p = ops.Variable(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32))
    y = (
        np.array([1, 0])
        if name.startswith("sparse")
        else np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    )
    loss = losses.get(name)(y, p)
    assert np.isfinite(loss.numpy()).all()
    ops.mean(loss).backward()
    assert np.isfinite(p.grad).all()
    if name == "categorical_crossentropy":  # the wrong class is charged -log(1e-7)
        assert loss.numpy()[0] == pytest.approx(-np.log(EPS), rel=1e-3)


# --------------------------------------------------------------------------------------------
# Loss objects: sample weights and reductions
# --------------------------------------------------------------------------------------------
def test_mean_squared_error_reductions_keras_example():
    y, p = [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]
    assert losses.MeanSquaredError()(y, p).item() == pytest.approx(0.5)
    assert losses.MeanSquaredError()(y, p, sample_weight=[0.7, 0.3]).item() == pytest.approx(0.25)
    assert losses.MeanSquaredError(reduction="sum")(y, p).item() == pytest.approx(1.0)
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="none")(y, p).numpy(), [0.5, 0.5])


@pytest.mark.parametrize("weights_shape", [(N,), (N, 1)])
def test_every_reduction_with_sample_weights(weights_shape):
    y, p = _data("mean_absolute_error")
    w = RNG.uniform(0, 2, N)
    per_sample = REFERENCE["mean_absolute_error"](y, p)
    expected = {
        "sum_over_batch_size": (per_sample * w).sum() / N,
        "mean": (per_sample * w).sum() / N,
        "sum": (per_sample * w).sum(),
        "mean_with_sample_weight": (per_sample * w).sum() / w.sum(),
    }
    for reduction, value in expected.items():
        got = losses.MeanAbsoluteError(reduction=reduction)(y, p, w.reshape(weights_shape))
        assert got.item() == pytest.approx(value), reduction
    for reduction in ("none", None):
        got = losses.MeanAbsoluteError(reduction=reduction)(y, p, w.reshape(weights_shape))
        np.testing.assert_allclose(got.numpy(), per_sample * w)


def test_sample_weight_gradient():
    y, p = _data("mean_squared_error")
    w = RNG.uniform(0, 2, N)
    with backend.floatx_scope("float64"):
        v = ops.Variable(p)
        check_gradients(lambda: losses.MeanSquaredError()(y, v, sample_weight=w), v)


def test_per_sample_weights_apply_to_every_step_of_temporal_losses():
    y, p = RNG.standard_normal((N, 5, C)), RNG.standard_normal((N, 5, C))
    w = RNG.uniform(0, 2, N)
    per_step = ((y - p) ** 2).mean(-1)  # (N, 5)
    got = losses.MeanSquaredError()(y, p, w)
    assert got.item() == pytest.approx((per_step * w[:, None]).sum() / per_step.size)


def test_bad_sample_weight_and_reduction_are_rejected():
    y, p = _data("mean_squared_error")
    with pytest.raises(ValueError, match=r"sample_weight.*Received: sample_weight.shape=\(3,\)"):
        losses.MeanSquaredError()(y, p, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="reduction must be one of.*Received: reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_a_users_plain_function_works_through_get():
    def my_loss(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    def targets_first(y_true, y_pred):  # ndarray - Tensor must defer to the Tensor
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    assert losses.get(my_loss) is my_loss
    y, p = _data("mean_squared_error")
    for fn in (my_loss, targets_first):
        loss = losses.as_loss(fn)
        assert isinstance(loss, losses.Loss) and loss.name == fn.__name__
        v = ops.Variable(p.astype(np.float32))
        value = loss(y, v)
        assert value.dtype == np.float32
        assert value.item() == pytest.approx(REFERENCE["mean_squared_error"](y, p).mean(), 1e-6)
        value.backward()
        np.testing.assert_allclose(v.grad, 2 * (p - y) / p.size, rtol=1e-5)


def test_subclassing_loss_with_call():
    class Cubed(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.abs(y_pred - y_true) ** 3.0, axis=-1)

    loss = Cubed()
    assert loss.name == "cubed"
    y, p = _data("mean_absolute_error")
    assert loss(y, p).item() == pytest.approx((np.abs(p - y) ** 3).mean())
    assert losses.as_loss(loss) is loss
    assert losses.function_of(loss) is None


# --------------------------------------------------------------------------------------------
# Lookup, names and configs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "identifier, expected",
    [
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error),
        ("mape", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error),
        ("kld", losses.kl_divergence),
        ("kullback_leibler_divergence", losses.kl_divergence),
        ("logcosh", losses.log_cosh),
        ("bce", losses.binary_crossentropy),
        ("cce", losses.categorical_crossentropy),
        ("scce", losses.sparse_categorical_crossentropy),
        ("huber", losses.huber),
        ("Categorical_Crossentropy", losses.categorical_crossentropy),
    ],
)
def test_get_names_and_aliases(identifier, expected):
    assert losses.get(identifier) is expected


def test_get_classes_instances_configs_and_none():
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(instance) is instance
    rebuilt = losses.get({"class_name": "Huber", "config": {"delta": 2.0}})
    assert isinstance(rebuilt, losses.Huber) and rebuilt.fn_kwargs == {"delta": 2.0}
    assert losses.get(None) is None and losses.as_loss(None) is None
    assert isinstance(losses.as_loss("mse"), losses.LossFunctionWrapper)
    assert losses.as_loss("mse").name == "mse"


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown loss 'mean_square_error'.*mean_squared_error"):
        losses.get("mean_square_error")
    with pytest.raises(ValueError, match="Could not interpret loss"):
        losses.get(3)


@pytest.mark.parametrize(
    "loss",
    [
        losses.MeanSquaredError(reduction="sum", name="my_mse"),
        losses.MeanAbsoluteError(),
        losses.MeanAbsolutePercentageError(),
        losses.MeanSquaredLogarithmicError(),
        losses.Huber(delta=2.5, reduction="none"),
        losses.LogCosh(),
        losses.CosineSimilarity(axis=0),
        losses.KLDivergence(),
        losses.Poisson(),
        losses.Hinge(),
        losses.SquaredHinge(),
        losses.CategoricalHinge(),
        losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=1),
        losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum"),
        losses.BinaryCrossentropy(label_smoothing=0.2, name="bce"),
        losses.LossFunctionWrapper(losses.poisson, reduction="sum"),
    ],
    ids=lambda loss: type(loss).__name__,
)
def test_config_round_trip(loss):
    config = json.loads(json.dumps(losses.serialize(loss)))
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss)
    assert rebuilt.get_config() == loss.get_config()
    y, p = _data(loss.fn.__name__)
    np.testing.assert_allclose(rebuilt(y, p).numpy(), loss(y, p).numpy())


def test_loss_classes_win_over_metric_classes_of_the_same_name():
    import numkeras.metrics  # noqa: F401  (registers metrics.MeanSquaredError too)

    rebuilt = losses.deserialize({"class_name": "MeanSquaredError", "config": {}})
    assert isinstance(rebuilt, losses.MeanSquaredError)


def test_functions_serialize_by_name_and_custom_functions_need_custom_objects():
    assert losses.serialize(losses.mean_squared_error) == "mean_squared_error"
    assert losses.deserialize("mean_squared_error") is losses.mean_squared_error

    def my_loss(y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true), axis=-1)

    config = losses.serialize(losses.LossFunctionWrapper(my_loss))
    with pytest.raises(ValueError, match=r"custom_objects=\{'my_loss': my_loss\}"):
        losses.deserialize(config)
    rebuilt = losses.deserialize(config, custom_objects={"my_loss": my_loss})
    assert rebuilt.fn is my_loss and rebuilt.name == "my_loss"


def test_class_defaults_follow_keras():
    assert losses.Huber().get_config() == {
        "name": "huber_loss",
        "reduction": "sum_over_batch_size",
        "delta": 1.0,
    }
    assert losses.CategoricalCrossentropy().get_config() == {
        "name": "categorical_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": False,
        "label_smoothing": 0.0,
        "axis": -1,
    }
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.MeanSquaredError().name == "mean_squared_error"


# --------------------------------------------------------------------------------------------
# Target shapes
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("y_shape", [(60000,), (60000, 1)])
def test_integer_labels_with_categorical_crossentropy_get_the_fix(y_shape):
    with pytest.raises(ValueError) as info:
        losses.check_target_shape("categorical_crossentropy", y_shape, (None, 10))
    message = str(info.value)
    assert "numkeras.utils.to_categorical(y, 10)" in message
    assert "loss='sparse_categorical_crossentropy'" in message
    assert f"Received: y.shape={y_shape}, output.shape=(None, 10)" in message


def test_one_hot_targets_with_sparse_categorical_crossentropy_get_the_fix():
    fix = r"use loss='categorical_crossentropy'.*y.shape=\(60000, 10\)"
    with pytest.raises(ValueError, match=fix):
        losses.check_target_shape(losses.SparseCategoricalCrossentropy(), (60000, 10), (None, 10))


@pytest.mark.parametrize(
    "loss, y_shape, out_shape",
    [
        ("categorical_crossentropy", (100, 10), (None, 10)),
        ("sparse_categorical_crossentropy", (100,), (None, 10)),
        ("sparse_categorical_crossentropy", (100, 1), (None, 10)),
        ("binary_crossentropy", (100,), (None, 1)),
        ("binary_crossentropy", (100, 1), (None, 1)),
        ("mse", (100, 3), (None, 3)),
    ],
)
def test_matching_target_shapes_pass(loss, y_shape, out_shape):
    losses.check_target_shape(loss, y_shape, out_shape)


def test_other_mismatches_name_both_shapes_and_custom_losses_are_not_checked():
    both = r"loss='mse'.*y.shape=\(100, 3\), output.shape=\(None, 10\)"
    with pytest.raises(ValueError, match=both):
        losses.check_target_shape("mse", (100, 3), (None, 10))
    losses.check_target_shape(lambda y_true, y_pred: y_pred, (100, 3), (None, 10))


def test_categorical_crossentropy_on_one_unit_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses.check_target_shape("categorical_crossentropy", (100, 1), (None, 1))
    assert any("binary_crossentropy" in str(w.message) for w in caught)


def test_the_functions_check_shapes_and_labels_too():
    p = _probabilities((5, 10))
    with pytest.raises(ValueError, match=r"to_categorical\(y_true, 10\)"):
        losses.categorical_crossentropy(np.arange(5) % 10, p)
    with pytest.raises(ValueError, match=r"labels in \[0, 10\).*Received: labels from 1 to 10"):
        losses.sparse_categorical_crossentropy(np.array([1, 2, 3, 4, 10]), p)


# --------------------------------------------------------------------------------------------
# Keras 2's short names, and where numkeras differs from Keras on purpose
# --------------------------------------------------------------------------------------------
KERAS2_ALIASES = {
    "mse": losses.mean_squared_error,
    "mae": losses.mean_absolute_error,
    "mape": losses.mean_absolute_percentage_error,
    "msle": losses.mean_squared_logarithmic_error,
    "kld": losses.kl_divergence,
}


@pytest.mark.parametrize("alias", sorted(KERAS2_ALIASES))
def test_keras2_short_names_are_the_functions_in_both_spellings(alias):
    function = KERAS2_ALIASES[alias]
    for spelling in (alias, alias.upper()):
        assert getattr(losses, spelling) is function
        assert losses.get(spelling) is function
    assert losses.kullback_leibler_divergence is losses.kl_divergence
    assert losses.logcosh is losses.log_cosh


@pytest.mark.parametrize("alias", sorted(KERAS2_ALIASES))
def test_short_names_called_on_arrays_give_keras_per_sample_values(alias, keras):
    y_true = RNG.uniform(0.1, 1.0, (5, 3)).astype(np.float32)
    y_pred = RNG.uniform(0.1, 1.0, (5, 3)).astype(np.float32)
    ours = np.asarray(getattr(losses, alias)(y_true, y_pred))
    theirs = np.asarray(keras.losses.get(alias.upper())(y_true, y_pred))
    assert ours.shape == (5,) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


@pytest.mark.parametrize("loss", ["mse", "MSE", losses.mse])
def test_compile_takes_the_short_names(loss):
    from numkeras.layers import Dense
    from numkeras.models import Sequential

    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss=loss)
    x, y = RNG.uniform(size=(6, 3)).astype(np.float32), RNG.uniform(size=(6, 2))
    expected = np.mean((model.predict(x, verbose=0) - y) ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_softmax_crossentropy_trains_from_the_logits_where_keras_clips(keras):
    # docs/keras-differences.md's first example: logits [50, 0, 0], the true class 2.
    import jax

    y = np.array([[0.0, 0.0, 1.0]], np.float32)
    z = np.array([[50.0, 0.0, 0.0]], np.float32)
    logits = ops.Variable(z)
    loss = losses.CategoricalCrossentropy()(y, ops.softmax(logits))
    loss.backward()
    assert loss.item() == pytest.approx(50.0)
    np.testing.assert_allclose(logits.grad, [[1.0, 0.0, -1.0]], atol=1e-6)
    with ops.no_grad():  # as evaluate: no tape, so the clipped probabilities, as in Keras
        assert losses.CategoricalCrossentropy()(y, ops.softmax(logits)).item() == pytest.approx(
            -np.log(EPS), rel=1e-5
        )

    def keras_loss(z):
        return keras.losses.categorical_crossentropy(y, keras.activations.softmax(z))[0]

    value, gradient = jax.value_and_grad(keras_loss)(z)
    assert float(value) == pytest.approx(-np.log(EPS), rel=1e-5)  # 16.1
    np.testing.assert_array_equal(np.asarray(gradient), 0.0)
