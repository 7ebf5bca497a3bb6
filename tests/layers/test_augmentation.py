"""The augmentation layers: RandomTranslation, RandomRotation, RandomZoom, RandomFlip and
RandomContrast."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numkeras import backend, registry
from numkeras.layers import Dense, Flatten, Input
from numkeras.layers.augmentation import (
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from numkeras.models import Sequential
from numkeras.ops import Variable
from numkeras.utils.gradient_check import check_gradients

rng = np.random.default_rng(0)
IMAGES = rng.random((8, 5, 5, 2)).astype(np.float32)


def every_layer(seed: int | None = None) -> list:
    return [
        RandomTranslation(0.2, 0.3, seed=seed),
        RandomRotation(0.1, seed=seed),
        RandomZoom(0.3, seed=seed),
        RandomFlip(seed=seed),
        RandomContrast(0.5, seed=seed),
    ]


LAYER_NAMES = [type(layer).__name__ for layer in every_layer()]


@pytest.fixture(params=range(len(LAYER_NAMES)), ids=LAYER_NAMES)
def layer(request):
    return every_layer()[request.param]


# -- training switch -----------------------------------------------------------------------------
def test_inputs_pass_through_unchanged_at_inference(layer):
    np.testing.assert_array_equal(layer(IMAGES, training=False).data, IMAGES)


def test_training_and_a_plain_call_augment(layer):
    # As in Keras 3, a call without `training` augments (so a layer can be tried on images).
    assert not np.array_equal(layer(IMAGES, training=True).data, IMAGES)
    out = layer(IMAGES)
    assert out.shape == IMAGES.shape and out.dtype == np.float32
    assert not np.array_equal(out.data, IMAGES)


def test_one_unbatched_image(layer):
    out = layer(IMAGES[0], training=True)
    assert out.shape == IMAGES[0].shape


def test_rank_two_inputs_are_refused(layer):
    with pytest.raises(ValueError, match=r"expects images .* Received: inputs.shape=\(5, 5\)"):
        layer(IMAGES[0, ..., 0], training=True)


def test_in_a_model_predict_is_the_identity_and_fit_augments(layer):
    model = Sequential([Input((5, 5, 2)), layer, Flatten(), Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    reference = Sequential([Input((5, 5, 2)), Flatten(), Dense(3)])
    reference.set_weights(model.get_weights())
    np.testing.assert_allclose(
        model.predict(IMAGES, verbose=0), reference.predict(IMAGES, verbose=0), rtol=1e-6
    )
    history = model.fit(IMAGES, np.zeros((8, 3), np.float32), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


# -- seeds ---------------------------------------------------------------------------------------
def test_a_seed_gives_the_layer_its_own_reproducible_stream(layer):
    config = layer.get_config()
    config.pop("name")
    first, second = (type(layer)(**{**config, "seed": 7}) for _ in range(2))
    np.testing.assert_array_equal(first(IMAGES).data, second(IMAGES).data)


def test_set_random_seed_reproduces_unseeded_layers():
    outputs = []
    for _ in range(2):
        backend.set_random_seed(3)
        outputs.append([layer(IMAGES).data for layer in every_layer()])
    for a, b in zip(*outputs):
        np.testing.assert_array_equal(a, b)


# -- geometry ------------------------------------------------------------------------------------
def test_translation_by_a_fixed_fraction_moves_whole_pixels():
    image = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    down = RandomTranslation((0.25, 0.25), 0.0, fill_mode="constant", fill_value=-1)(image)
    np.testing.assert_array_equal(down.data[0, 1:], image[0, :-1])
    np.testing.assert_array_equal(down.data[0, 0], -1)
    left = RandomTranslation(0.0, (-0.5, -0.5), fill_mode="wrap")(image)
    np.testing.assert_array_equal(left.data, np.roll(image, -2, axis=2))


def test_rotation_by_a_quarter_turn_is_rot90_counter_clockwise():
    out = RandomRotation((0.25, 0.25))(IMAGES)
    np.testing.assert_allclose(out.data, np.rot90(IMAGES, 1, axes=(1, 2)), atol=1e-5)


def test_rotation_angles_stay_within_the_factor():
    # A point at distance 2 from the centre of a 5x5 image moves by 2·2·sin(θ/2) at most.
    image = np.zeros((64, 5, 5, 1), np.float32)
    image[:, 2, 4] = 1.0  # right of the centre
    out = RandomRotation(0.05, interpolation="nearest", fill_mode="constant")(image).data
    lit = set(map(tuple, np.argwhere(out[..., 0] == 1)[:, 1:].tolist()))
    assert lit <= {(2, 4), (1, 4), (3, 4)}


def test_zoom_factor_zero_is_the_identity_and_width_follows_height():
    np.testing.assert_array_equal(RandomZoom(0.0)(IMAGES).data, IMAGES)
    image = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    zoomed_in = RandomZoom((-0.5, -0.5))(image).data[0, ..., 0]
    r, c = np.mgrid[0:5, 0:5]
    np.testing.assert_allclose(zoomed_in, 5 * (2 + (r - 2) / 2) + (2 + (c - 2) / 2))
    only_height = RandomZoom((-0.5, -0.5), width_factor=0.0)(image).data[0, ..., 0]
    np.testing.assert_allclose(only_height, 5 * (2 + (r - 2) / 2) + c)


@pytest.mark.parametrize(
    "mode, variants",
    [
        ("horizontal", lambda x: [x, x[:, ::-1]]),
        ("vertical", lambda x: [x, x[::-1]]),
        ("horizontal_and_vertical", lambda x: [x, x[:, ::-1], x[::-1], x[::-1, ::-1]]),
    ],
)
def test_flips_give_each_variant(mode, variants):
    images = rng.random((64, 3, 4, 1)).astype(np.float32)
    out = RandomFlip(mode)(images).data
    seen = set()
    for image, result in zip(images, out):
        matches = [k for k, v in enumerate(variants(image)) if np.array_equal(result, v)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert seen == set(range(len(variants(images[0]))))


def test_contrast_scales_about_each_channel_mean_and_clips():
    images = rng.uniform(50, 200, (16, 4, 4, 3)).astype(np.float32)
    out = RandomContrast(0.5)(images).data
    mean = images.mean(axis=(1, 2), keepdims=True)
    factor = (out - mean) / (images - mean)  # one factor per image, shared by its channels
    np.testing.assert_allclose(factor, factor[:, :1, :1, :1] * np.ones_like(factor), rtol=1e-3)
    assert ((factor[:, 0, 0, 0] >= 0.5) & (factor[:, 0, 0, 0] <= 1.5)).all()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), mean[:, 0, 0], rtol=1e-5)
    clipped = RandomContrast((1.0, 1.0), value_range=(0, 1))(rng.random((4, 4, 4, 1))).data
    assert clipped.min() >= 0 and clipped.max() <= 1


# -- gradients -----------------------------------------------------------------------------------
@pytest.mark.parametrize("index", range(len(LAYER_NAMES)), ids=LAYER_NAMES)
def test_gradient_with_respect_to_the_input(index):
    with backend.floatx_scope("float64"):
        layer = every_layer(seed=0)[index]
        x = Variable(np.random.default_rng(1).uniform(0.1, 0.9, (3, 4, 5, 2)))

        def forward():
            layer._rng = np.random.default_rng(0)  # the same random draw at every evaluation
            return layer(x, training=True)

        check_gradients(forward, x)


# -- configuration and arguments -----------------------------------------------------------------
def test_config_round_trip(layer):
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = registry.deserialize({"class_name": type(layer).__name__, "config": config})
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == config


def test_pairs_are_kept_in_the_config():
    config = RandomTranslation((-0.1, 0.2), (0.0, 0.3), fill_mode="constant").get_config()
    assert config["height_factor"] == [-0.1, 0.2] and config["fill_mode"] == "constant"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: RandomTranslation(1.5, 0.1), r"height_factor must lie in \[-1.0, 1.0\]"),
        (lambda: RandomTranslation(0.1, "wide"), "width_factor must be a number or a tuple"),
        (lambda: RandomRotation((0.1, 0.2, 0.3)), "factor must be a number or a tuple"),
        (lambda: RandomRotation(0.1, fill_mode="mirror"), "fill_mode must be one of"),
        (lambda: RandomZoom(0.1, interpolation="bicubic"), "interpolation must be one of"),
        (lambda: RandomZoom((-1.5, 0.2)), "height_factor must have values larger than -1"),
        (lambda: RandomFlip("diagonal"), "mode must be one of"),
        (lambda: RandomContrast(1.5), r"factor must be a number or a pair of numbers in \[0, 1\]"),
        (lambda: RandomContrast(0.2, value_range=(1, 0)), "value_range must be a pair"),
    ],
)
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()
