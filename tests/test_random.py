"""``numkeras.random``: Keras 3's functions and seeds, the distributions drawn, and gradients."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import numkeras
from numkeras import backend, ops, utils
from numkeras import random as nk_random
from numkeras.utils.gradient_check import check_gradients

#: Each function with arguments that draw from it.
DRAWS = {
    "normal": lambda seed: nk_random.normal((3, 4), seed=seed),
    "uniform": lambda seed: nk_random.uniform((3, 4), seed=seed),
    "truncated_normal": lambda seed: nk_random.truncated_normal((3, 4), seed=seed),
    "randint": lambda seed: nk_random.randint((3, 4), 0, 1000, seed=seed),
    "dropout": lambda seed: nk_random.dropout(np.ones((3, 4)), 0.5, seed=seed),
    "shuffle": lambda seed: nk_random.shuffle(np.arange(12.0), seed=seed),
    "categorical": lambda seed: nk_random.categorical(np.zeros((3, 4)), 5, seed=seed),
    "gamma": lambda seed: nk_random.gamma((3, 4), 2.0, seed=seed),
    "beta": lambda seed: nk_random.beta((3, 4), 2.0, 3.0, seed=seed),
    "binomial": lambda seed: nk_random.binomial((3, 4), 10, 0.5, seed=seed),
}


def test_names_and_arguments_are_keras_random(keras):
    assert set(nk_random.__all__) == set(DRAWS) | {"SeedGenerator"}
    for name in DRAWS:
        ours = inspect.signature(getattr(nk_random, name)).parameters.values()
        theirs = inspect.signature(getattr(keras.random, name)).parameters.values()
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs], name
    generator_arguments = inspect.signature(keras.random.SeedGenerator).parameters
    assert list(inspect.signature(nk_random.SeedGenerator).parameters) == [
        name for name in generator_arguments if name != "kwargs"
    ]
    assert numkeras.random is nk_random


@pytest.mark.parametrize("name", DRAWS)
def test_an_int_seed_is_a_fixed_draw(name):
    first, again, other = DRAWS[name](7), DRAWS[name](7), DRAWS[name](8)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.array_equal(first.numpy(), other.numpy())


@pytest.mark.parametrize("name", DRAWS)
def test_a_seed_generator_draws_a_new_value_each_time_and_its_seed_repeats_the_sequence(name):
    generator, twin = nk_random.SeedGenerator(3), nk_random.SeedGenerator(3)
    sequence = [DRAWS[name](generator).numpy() for _ in range(3)]
    np.testing.assert_array_equal(sequence[0], DRAWS[name](3).numpy())  # state [3, 0]
    assert not np.array_equal(sequence[0], sequence[1])
    assert not np.array_equal(sequence[1], sequence[2])
    for values in sequence:
        np.testing.assert_array_equal(values, DRAWS[name](twin).numpy())


@pytest.mark.parametrize("name", DRAWS)
def test_no_seed_draws_from_the_global_stream_that_set_random_seed_seeds(name):
    assert utils.set_random_seed is backend.set_random_seed
    utils.set_random_seed(42)
    first, second = DRAWS[name](None).numpy(), DRAWS[name](None).numpy()
    assert not np.array_equal(first, second)
    utils.set_random_seed(42)
    np.testing.assert_array_equal(DRAWS[name](None).numpy(), first)
    utils.set_random_seed(42)
    unseeded = nk_random.SeedGenerator()
    utils.set_random_seed(42)
    np.testing.assert_array_equal(
        DRAWS[name](unseeded).numpy(), DRAWS[name](nk_random.SeedGenerator()).numpy()
    )


def test_seed_generator_state_and_config():
    generator = nk_random.SeedGenerator(5, name="noise")
    assert generator.next().tolist() == [5, 0]
    assert generator.state.tolist() == [5, 1]
    assert generator.get_config() == {"seed": 5, "name": "noise"}
    copy = nk_random.SeedGenerator.from_config(generator.get_config())
    assert copy.state.tolist() == [5, 0] and copy.name == "noise"
    assert nk_random.SeedGenerator(2**32 + 5).state.tolist() == [5, 0]  # seeds are uint32


@pytest.mark.parametrize("seed", ["1", 1.5, True, [1]])
def test_a_seed_is_an_int_a_seed_generator_or_none(seed):
    with pytest.raises(ValueError, match=r"seed must be an int, a SeedGenerator or None. Received"):
        nk_random.normal((2,), seed=seed)


def test_results_are_tensors_of_floatx_without_gradient():
    values = nk_random.normal((2, 3), seed=1)
    assert isinstance(values, ops.Tensor) and not values.requires_grad
    assert values.dtype == np.float32 and np.asarray(values).shape == (2, 3)
    with backend.floatx_scope("float64"):
        assert nk_random.uniform((2,), seed=1).dtype == np.float64
    assert nk_random.normal((2,), dtype="float16", seed=1).dtype == np.float16
    assert nk_random.randint((2,), 0, 3, seed=1).dtype == np.int32
    assert nk_random.binomial((2,), 3, 0.5, dtype="int64", seed=1).dtype == np.int64
    assert nk_random.normal(4, seed=1).shape == (4,)


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: nk_random.normal((2,), dtype="int32"), "dtype must be a floating-point type"),
        (lambda: nk_random.randint((2,), 0, 3, dtype="float32"), "dtype must be an integer"),
        (lambda: nk_random.binomial((2,), 3, 0.5, dtype="bool"), "dtype must be a numeric"),
        (lambda: nk_random.uniform((2, -1)), r"shape must be an integer >= 0 or a tuple of 2"),
        (lambda: nk_random.randint((2,), 3, 3), "maxval must be greater than minval"),
        (lambda: nk_random.categorical(np.zeros(3), 2), r"\(batch, classes\). Received: logits"),
        (lambda: nk_random.categorical(np.zeros((1, 3)), -1), "num_samples must be a non-neg"),
        (lambda: nk_random.shuffle(np.zeros((2, 3)), axis=2), "axis must be an axis of x"),
        (lambda: nk_random.dropout(np.ones((2, 3)), 0.5, (2,)), "one entry per axis of inputs"),
        (lambda: nk_random.dropout(np.ones(3), 1.0), r"rate must be in \[0, 1\)"),
    ],
)
def test_bad_arguments_are_named(draw, message):
    with pytest.raises(ValueError, match=message):
        draw()


# -- distributions --------------------------------------------------------------------------------
SAMPLES = 40_000


def test_normal_and_uniform_have_their_moments():
    normal = nk_random.normal((SAMPLES,), mean=2.0, stddev=3.0, seed=1).numpy()
    assert abs(normal.mean() - 2.0) < 0.05 and abs(normal.std() - 3.0) < 0.05
    uniform = nk_random.uniform((SAMPLES,), minval=-1.0, maxval=3.0, seed=1).numpy()
    assert uniform.min() >= -1.0 and uniform.max() < 3.0
    assert abs(uniform.mean() - 1.0) < 0.03


def test_truncated_normal_lies_within_two_standard_deviations():
    values = nk_random.truncated_normal((SAMPLES,), mean=1.0, stddev=0.5, seed=1).numpy()
    assert np.all(np.abs(values - 1.0) <= 1.0)
    # the standard deviation of N(0, 1) truncated to [-2, 2]
    phi = math.exp(-2) / math.sqrt(2 * math.pi)
    expected = 0.5 * math.sqrt(1 - 4 * phi / math.erf(2 / math.sqrt(2)))
    assert abs(values.std() - expected) < 0.01


def test_randint_draws_every_integer_of_its_range():
    values = nk_random.randint((SAMPLES,), -2, 3, seed=1).numpy()
    assert sorted(np.unique(values)) == [-2, -1, 0, 1, 2]
    assert abs((values == 0).mean() - 0.2) < 0.01


def test_categorical_draws_classes_with_softmax_probabilities():
    probabilities = np.array([[0.1, 0.2, 0.7, 0.0], [0.25, 0.25, 0.25, 0.25]])
    with np.errstate(divide="ignore"):
        logits = np.log(probabilities)
    draws = nk_random.categorical(logits, SAMPLES, seed=1).numpy()
    assert draws.shape == (2, SAMPLES) and draws.dtype == np.int32
    for row, p in zip(draws, probabilities):
        np.testing.assert_allclose(np.bincount(row, minlength=4) / SAMPLES, p, atol=0.01)


def test_gamma_beta_and_binomial_have_their_means():
    assert abs(nk_random.gamma((SAMPLES,), 3.0, seed=1).numpy().mean() - 3.0) < 0.05
    assert abs(nk_random.beta((SAMPLES,), 2.0, 6.0, seed=1).numpy().mean() - 0.25) < 0.01
    binomial = nk_random.binomial((SAMPLES,), 10, 0.3, seed=1).numpy()
    assert binomial.dtype == np.float32 and abs(binomial.mean() - 3.0) < 0.05


def test_dropout_zeroes_a_fraction_and_scales_the_rest():
    values = nk_random.dropout(np.ones(SAMPLES, dtype="float32"), 0.25, seed=1).numpy()
    assert set(np.unique(values)) == {0.0, np.float32(1 / 0.75)}
    assert abs((values == 0).mean() - 0.25) < 0.01
    shared = nk_random.dropout(np.ones((4, 1000)), 0.5, noise_shape=(None, 1), seed=1).numpy()
    assert all(len(set(row)) == 1 for row in shared)  # one draw per row, as noise_shape says


def test_shuffle_permutes_along_its_axis():
    x = np.arange(12.0).reshape(3, 4)
    shuffled = nk_random.shuffle(x, axis=1, seed=3).numpy()
    np.testing.assert_array_equal(np.sort(shuffled, axis=1), x)
    assert len({tuple(np.argsort(row)) for row in shuffled}) == 1  # one order for every row
    assert not np.array_equal(shuffled, x)


@pytest.mark.parametrize(
    "draw",
    [
        lambda x: nk_random.dropout(x, 0.5, seed=4),
        lambda x: nk_random.shuffle(x, axis=1, seed=4),
        lambda x: nk_random.shuffle(x, axis=-2, seed=4),
    ],
)
def test_dropout_and_shuffle_pass_gradients_through(draw):
    x = ops.Variable(np.random.default_rng(0).standard_normal((3, 4)))
    check_gradients(lambda: draw(x), x)
