"""Initializers: statistics of large draws, fans, orthogonality, seeding, names and configs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numkeras import backend, initializers, registry
from numkeras.initializers import compute_fans

DENSE = (400, 600)  # fan_in 400, fan_out 600
CONV = (3, 3, 32, 64)  # fan_in 288, fan_out 576


@pytest.mark.parametrize(
    ("shape", "fans"),
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((3, 4), (3, 4)),
        ((5, 8, 16), (40, 80)),
        ((3, 3, 16, 32), (144, 288)),
        ((2, 3, 3, 4, 5), (72, 90)),
    ],
)
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


# name -> (variance scale, fan mode, distribution)
FAMILY = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}


def _target_variance(shape, scale, mode):
    fan_in, fan_out = compute_fans(shape)
    return scale / {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def _check_statistics(w, variance, distribution):
    """A large draw has the variance asked for, mean 0 and the distribution's support."""
    std = math.sqrt(variance)
    assert abs(w.mean()) < 0.02 * std
    assert w.std() == pytest.approx(std, rel=0.02)
    if distribution == "uniform":
        limit = math.sqrt(3 * variance)
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    elif distribution == "truncated_normal":
        bound = 2 * std / 0.87962566103423978
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    else:
        assert np.abs(w).max() > 3.5 * std


@pytest.mark.parametrize("name", FAMILY)
@pytest.mark.parametrize("shape", [DENSE, CONV])
def test_variance_scaling_family_statistics(name, shape):
    scale, mode, distribution = FAMILY[name]
    w = initializers.get(name)(shape)
    assert w.shape == shape and w.dtype == np.float32
    _check_statistics(w.astype(np.float64), _target_variance(shape, scale, mode), distribution)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["uniform", "truncated_normal", "untruncated_normal"])
def test_variance_scaling(mode, distribution):
    init = initializers.VarianceScaling(scale=3.0, mode=mode, distribution=distribution, seed=1)
    w = init(CONV, dtype="float64")
    _check_statistics(w, _target_variance(CONV, 3.0, mode), distribution)


def test_the_family_is_variance_scaling():
    he = initializers.HeNormal(seed=3)
    assert isinstance(he, initializers.VarianceScaling)
    np.testing.assert_array_equal(
        he(DENSE), initializers.VarianceScaling(2.0, "fan_in", "truncated_normal", seed=3)(DENSE)
    )


def test_random_normal_uniform_and_truncated_normal():
    w = initializers.RandomNormal(mean=1.0, stddev=0.5)((500, 400), "float64")
    assert w.mean() == pytest.approx(1.0, abs=0.005) and w.std() == pytest.approx(0.5, rel=0.01)
    w = initializers.RandomUniform(minval=-1.0, maxval=3.0)((500, 400), "float64")
    assert w.min() >= -1.0 and w.max() < 3.0 and w.mean() == pytest.approx(1.0, abs=0.01)
    w = initializers.TruncatedNormal(mean=1.0, stddev=0.5)((500, 400), "float64")
    assert np.abs(w - 1.0).max() <= 1.0 and w.mean() == pytest.approx(1.0, abs=0.005)
    assert w.std() == pytest.approx(0.5 * 0.87962566103423978, rel=0.01)


def test_keras_defaults():
    normal = {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.RandomNormal().get_config() == normal
    assert initializers.TruncatedNormal().get_config() == normal
    assert initializers.RandomUniform().get_config() == {
        "minval": -0.05,
        "maxval": 0.05,
        "seed": None,
    }
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "seed": None,
    }
    assert initializers.Constant().get_config() == {"value": 0.0}
    assert initializers.Orthogonal().get_config() == {"gain": 1.0, "seed": None}
    assert initializers.Identity().get_config() == {"gain": 1.0}


def test_constants():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()((4,)), np.ones(4))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))


@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8), (3, 3, 4, 8)])
def test_orthogonal(shape):
    w = initializers.Orthogonal(gain=2.0)(shape, "float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1]) / 2.0
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"shape=\(4,\)"):
        initializers.Orthogonal()((4,))


def test_identity():
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((3, 3)), 3 * np.eye(3))
    np.testing.assert_array_equal(initializers.Identity()((2, 4)), np.eye(2, 4))
    with pytest.raises(ValueError, match=r"shape=\(2, 2, 2\)"):
        initializers.Identity()((2, 2, 2))


def test_dtype():
    init = initializers.GlorotUniform()
    assert init((3, 3)).dtype == np.float32
    assert init((3, 3), dtype="float64").dtype == np.float64
    assert init((3, 3), dtype=np.dtype("float64")).dtype == np.float64
    assert init((3, 3), dtype=np.float16).dtype == np.float16
    with backend.floatx_scope("float64"):
        assert initializers.TruncatedNormal()((3,)).dtype == np.float64
    with pytest.raises(ValueError, match="dtype=int32"):
        init((3, 3), dtype="int32")


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "random_normal", "orthogonal"])
def test_set_random_seed_reproduces_unseeded_draws(name):
    init = initializers.get(name)
    backend.set_random_seed(123)
    first, second = init((20, 30)), init((20, 30))
    assert not np.array_equal(first, second)
    backend.set_random_seed(123)
    np.testing.assert_array_equal(init((20, 30)), first)
    np.testing.assert_array_equal(init((20, 30)), second)


def test_a_seeded_initializer_repeats_itself_and_leaves_the_stream_alone():
    init = initializers.GlorotNormal(seed=5)
    state = backend.get_rng_state()
    np.testing.assert_array_equal(init((10, 10)), init((10, 10)))
    assert backend.get_rng_state() == state
    assert not np.array_equal(init((10, 10)), initializers.GlorotNormal(seed=6)((10, 10)))


CLASSES = [
    initializers.Zeros(),
    initializers.Ones(),
    initializers.Constant(1.5),
    initializers.RandomNormal(0.5, 2.0, seed=1),
    initializers.RandomUniform(-2, 2, seed=2),
    initializers.TruncatedNormal(0.0, 0.3, seed=3),
    initializers.VarianceScaling(0.5, "fan_out", "untruncated_normal", seed=4),
    initializers.GlorotUniform(seed=5),
    initializers.GlorotNormal(seed=6),
    initializers.HeUniform(seed=7),
    initializers.HeNormal(seed=8),
    initializers.LecunUniform(seed=9),
    initializers.LecunNormal(seed=10),
    initializers.Orthogonal(gain=0.5, seed=11),
    initializers.Identity(gain=2.0),
]


@pytest.mark.parametrize("init", CLASSES, ids=lambda i: type(i).__name__)
def test_config_round_trip(init):
    rebuilt = type(init).from_config(init.get_config())
    assert rebuilt.get_config() == init.get_config()
    np.testing.assert_array_equal(rebuilt((4, 4)), init((4, 4)))
    config = initializers.serialize(init)
    assert config["class_name"] == type(init).__name__
    again = initializers.deserialize(config)
    assert type(again) is type(init) and again.get_config() == init.get_config()
    assert registry.deserialize(config).get_config() == init.get_config()


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("glorot_uniform", initializers.GlorotUniform),
        ("Glorot_Uniform", initializers.GlorotUniform),
        ("GlorotUniform", initializers.GlorotUniform),
        ("he_normal", initializers.HeNormal),
        ("uniform", initializers.RandomUniform),
        ("normal", initializers.RandomNormal),
        ("zero", initializers.Zeros),
        ("zeros", initializers.Zeros),
        ("one", initializers.Ones),
        ("orthogonal", initializers.Orthogonal),
        ("Orthogonal", initializers.Orthogonal),
        ("identity", initializers.Identity),
        ("truncated_normal", initializers.TruncatedNormal),
        ("variance_scaling", initializers.VarianceScaling),
        ("lecun_uniform", initializers.LecunUniform),
    ],
)
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_passes_objects_through():
    init = initializers.HeUniform()
    assert initializers.get(init) is init
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    assert initializers.get({"class_name": "Constant", "config": {"value": 3.0}}).value == 3.0


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"initializer 'glorot'.*glorot_uniform.*he_normal"):
        initializers.get("glorot")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0.0}, "scale=0.0"),
        ({"mode": "fan_middle"}, "mode='fan_middle'"),
        ({"distribution": "cauchy"}, "distribution='cauchy'"),
        ({"seed": -1}, "seed=-1"),
        ({"seed": 1.5}, "seed=1.5"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initializers.VarianceScaling(**kwargs)


@pytest.mark.parametrize(
    "shape, cost", [((8, 4), 8 * 4 * 4), ((3, 3, 2, 5), 18 * 5 * 5), ((4, 16), 4 * 16 * 4)]
)
def test_orthogonal_cost_is_that_of_its_qr(shape, cost):
    assert initializers.OrthogonalInitializer().cost(shape) == cost


def test_other_initializers_cost_one_operation_per_value():
    assert initializers.GlorotUniform().cost((8, 4)) == 32
    assert initializers.Zeros().cost(()) == 1
