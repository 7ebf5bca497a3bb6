"""Losses called directly, as a Keras user calls them (``np.asarray(loss(y_true, y_pred))``):
the per-sample functions and the reducing classes give Keras 3's values, and their gradients
with respect to ``y_pred`` (numkeras's ``GradientTape``, JAX's ``grad`` over Keras's) agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import numkeras

SAMPLES, WIDTH = 6, 4
TOLERANCE = 1e-5


def _rng() -> np.random.Generator:
    return np.random.default_rng(7)


def probabilities() -> np.ndarray:
    """Rows of a softmax, far from the clipping at epsilon."""
    z = _rng().normal(size=(SAMPLES, WIDTH))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype("float32")


def one_hot() -> np.ndarray:
    return np.eye(WIDTH, dtype="float32")[_rng().integers(0, WIDTH, SAMPLES)]


def labels() -> np.ndarray:
    return _rng().integers(0, WIDTH, SAMPLES).astype("int32")


def bits() -> np.ndarray:
    return _rng().integers(0, 2, (SAMPLES, WIDTH)).astype("float32")


def signs() -> np.ndarray:
    return 2 * bits() - 1


def positive() -> np.ndarray:
    return _rng().uniform(0.5, 2.0, (SAMPLES, WIDTH)).astype("float32")


def real() -> np.ndarray:
    return _rng().normal(size=(SAMPLES, WIDTH)).astype("float32")


def unit_interval() -> np.ndarray:
    return np.random.default_rng(8).uniform(0.05, 0.95, (SAMPLES, WIDTH)).astype("float32")


def other_real() -> np.ndarray:
    return np.random.default_rng(9).normal(size=(SAMPLES, WIDTH)).astype("float32")


def other_positive() -> np.ndarray:
    return np.random.default_rng(9).uniform(0.5, 2.0, (SAMPLES, WIDTH)).astype("float32")


#: Each per-sample loss function by its Keras 3 name, with makers of its (y_true, y_pred).
FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "mean_squared_error": (real, other_real),
    "mean_absolute_error": (real, other_real),
    "mean_absolute_percentage_error": (positive, other_positive),
    "mean_squared_logarithmic_error": (positive, other_positive),
    "log_cosh": (real, other_real),
    "huber": (real, other_real),
    "cosine_similarity": (real, other_real),
    "poisson": (positive, other_positive),
    "kl_divergence": (probabilities, unit_interval),
    "categorical_crossentropy": (one_hot, probabilities),
    "sparse_categorical_crossentropy": (labels, probabilities),
    "binary_crossentropy": (bits, unit_interval),
    "hinge": (signs, other_real),
    "squared_hinge": (signs, other_real),
    "categorical_hinge": (one_hot, other_real),
}

#: Loss objects with non-default arguments, reduced over the batch with sample weights.
OBJECTS: dict[str, tuple[Callable[[Any], Any], Callable, Callable]] = {
    "MeanSquaredError": (lambda L: L.MeanSquaredError(), real, other_real),
    "Huber(delta=0.5)": (lambda L: L.Huber(delta=0.5), real, other_real),
    "CategoricalCrossentropy(from_logits, label_smoothing)": (
        lambda L: L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        one_hot,
        other_real,
    ),
    "SparseCategoricalCrossentropy(from_logits)": (
        lambda L: L.SparseCategoricalCrossentropy(from_logits=True),
        labels,
        other_real,
    ),
    "BinaryCrossentropy(from_logits, label_smoothing)": (
        lambda L: L.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
        bits,
        other_real,
    ),
    "BinaryCrossentropy": (lambda L: L.BinaryCrossentropy(), bits, unit_interval),
    "CategoricalCrossentropy": (lambda L: L.CategoricalCrossentropy(), one_hot, probabilities),
    "KLDivergence": (lambda L: L.KLDivergence(), probabilities, unit_interval),
    "MeanAbsoluteError(reduction='sum')": (
        lambda L: L.MeanAbsoluteError(reduction="sum"),
        real,
        other_real,
    ),
}


def numkeras_value_and_gradient(loss: Callable, y_true: np.ndarray, y_pred: np.ndarray, **kw):
    """``loss`` and d(sum of loss)/d(y_pred), by numkeras's tape as a TensorFlow user asks."""
    prediction = numkeras.ops.convert_to_tensor(y_pred)
    with numkeras.GradientTape() as tape:
        tape.watch(prediction)
        value = loss(y_true, prediction, **kw)
    return np.asarray(value), np.asarray(tape.gradient(value, prediction))


def keras_value_and_gradient(loss: Callable, y_true: np.ndarray, y_pred: np.ndarray, **kw):
    """The same from Keras 3 on JAX, by ``jax.grad`` of the summed loss."""
    import jax

    def total(p):
        return loss(y_true, p, **kw).sum()

    return np.asarray(loss(y_true, y_pred, **kw)), np.asarray(jax.grad(total)(y_pred))


def assert_like_keras(ours: tuple, theirs: tuple) -> None:
    (value, gradient), (expected_value, expected_gradient) = ours, theirs
    assert value.shape == expected_value.shape
    np.testing.assert_allclose(value, expected_value, rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_loss_function_values_and_gradients_are_keras_s(keras, name):
    make_true, make_pred = FUNCTIONS[name]
    y_true, y_pred = make_true(), make_pred()
    assert_like_keras(
        numkeras_value_and_gradient(getattr(numkeras.losses, name), y_true, y_pred),
        keras_value_and_gradient(getattr(keras.losses, name), y_true, y_pred),
    )


@pytest.mark.parametrize("name", OBJECTS)
def test_loss_object_values_and_gradients_are_keras_s(keras, name):
    make_loss, make_true, make_pred = OBJECTS[name]
    y_true, y_pred = make_true(), make_pred()
    weights = np.linspace(0.0, 2.0, SAMPLES).astype("float32")
    assert_like_keras(
        numkeras_value_and_gradient(
            make_loss(numkeras.losses), y_true, y_pred, sample_weight=weights
        ),
        keras_value_and_gradient(make_loss(keras.losses), y_true, y_pred, sample_weight=weights),
    )
