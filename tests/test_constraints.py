"""Constraints: Keras 3 formulas on arrays, dtypes, names and configs."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, constraints

# Columns of norms 1, 3 and 5.
W = np.array([[1.0, 0.0, 3.0], [0.0, 3.0, 4.0]])
EPS = backend.epsilon()


def test_max_norm_caps_the_column_norms():
    out = constraints.MaxNorm(2.0)(W)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [1.0, 2.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(out[:, 2], W[:, 2] * 2 / (EPS + 5), rtol=1e-15)
    np.testing.assert_allclose(out[:, 0], W[:, 0] / (EPS + 1), rtol=1e-15)


def test_max_norm_along_other_axes():
    rows = constraints.MaxNorm(1.0, axis=1)(W)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), [1.0, 1.0], rtol=1e-6)
    kernel = np.random.default_rng(0).standard_normal((3, 3, 4, 5)) * 3
    out = constraints.MaxNorm(1.0, axis=[0, 1, 2])(kernel)
    np.testing.assert_allclose(np.sqrt((out**2).sum(axis=(0, 1, 2))), np.ones(5), rtol=1e-6)


def test_non_neg():
    np.testing.assert_array_equal(constraints.NonNeg()(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])


def test_unit_norm():
    out = constraints.UnitNorm()(W)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), np.ones(3), rtol=1e-6)


@pytest.mark.parametrize("rate", [1.0, 0.5, 0.0])
def test_min_max_norm(rate):
    out = constraints.MinMaxNorm(min_value=2.0, max_value=4.0, rate=rate)(W)
    norms = np.array([1.0, 3.0, 5.0])
    desired = rate * np.clip(norms, 2.0, 4.0) + (1 - rate) * norms
    np.testing.assert_allclose(out, W * desired / (EPS + norms), rtol=1e-14)


@pytest.mark.parametrize(
    "constraint",
    [
        constraints.MaxNorm(),
        constraints.NonNeg(),
        constraints.UnitNorm(),
        constraints.MinMaxNorm(rate=0.5),
    ],
)
def test_float32_stays_float32_and_the_input_is_left_alone(constraint):
    w = W.astype(np.float32)
    kept = w.copy()
    assert constraint(w).dtype == np.float32
    np.testing.assert_array_equal(w, kept)


def test_keras_3_defaults():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.MinMaxNorm().get_config() == {
        "min_value": 0.0,
        "max_value": 1.0,
        "rate": 1.0,
        "axis": 0,
    }


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("max_norm", constraints.MaxNorm),
        ("non_neg", constraints.NonNeg),
        ("unit_norm", constraints.UnitNorm),
        ("min_max_norm", constraints.MinMaxNorm),
        ("maxnorm", constraints.MaxNorm),
        ("MaxNorm", constraints.MaxNorm),
        ("nonneg", constraints.NonNeg),
    ],
)
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


def test_get_passes_objects_through():
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    assert constraints.get(None) is None
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 4}}).max_value == 4


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown constraint 'min_norm'.*max_norm"):
        constraints.get("min_norm")


@pytest.mark.parametrize(
    "constraint",
    [
        constraints.MaxNorm(3, axis=[0, 1]),
        constraints.NonNeg(),
        constraints.UnitNorm(axis=1),
        constraints.MinMaxNorm(0.5, 2.0, 0.3, axis=-1),
    ],
    ids=lambda c: type(c).__name__,
)
def test_config_round_trip(constraint):
    rebuilt = constraints.deserialize(constraints.serialize(constraint))
    assert type(rebuilt) is type(constraint)
    assert rebuilt.get_config() == constraint.get_config()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_value": 2.0, "max_value": 1.0}, "min_value=2.0, max_value=1.0"),
        ({"min_value": -1.0}, "min_value=-1.0"),
        ({"rate": 1.5}, "rate=1.5"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        constraints.MinMaxNorm(**kwargs)
