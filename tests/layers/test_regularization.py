"""The regularization layers (SpatialDropout1D/2D, GaussianDropout, AlphaDropout, GaussianNoise,
ActivityRegularization): active in training only, statistics against their formulas, gradients,
seeding, configs, and the deterministic behaviour against Keras 3."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conv_layers_support import gradcheck_layer, round_trip
from keras_twin_support import assert_twins_agree

import numkeras
from numkeras import backend, layers
from numkeras.layers import Input
from numkeras.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
)
from numkeras.ops import Variable
from numkeras.utils.gradient_check import check_gradients

rng = np.random.default_rng(0)


@pytest.mark.parametrize(
    "data_format, spatial", [("channels_last", (1, 2)), ("channels_first", (2, 3))]
)
def test_spatial_dropout_drops_whole_feature_maps(data_format, spatial):
    shape = (200, 5, 6, 8) if data_format == "channels_last" else (200, 8, 5, 6)
    x = np.ones(shape, np.float32)
    layer = SpatialDropout2D(0.4, data_format=data_format)
    out = layer(x, training=True).numpy()
    assert out.dtype == np.float32
    per_map = out.max(axis=spatial)
    np.testing.assert_array_equal(out.min(axis=spatial), per_map)  # constant over each map
    assert set(np.unique(per_map)) <= {0.0, np.float32(1 / 0.6)}
    assert (per_map == 0).mean() == pytest.approx(0.4, abs=0.03)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


def test_spatial_dropout_gradient():
    with backend.floatx_scope("float64"):
        layer = SpatialDropout2D(0.5)
        xv = Variable(rng.standard_normal((3, 2, 2, 4)))

        def fn():
            backend.set_random_seed(3)  # the same mask at every call of the check
            return layer(xv, training=True)

        check_gradients(fn, xv)
    dropped = xv.grad == 0  # the check's gradient is r · mask for a random r
    np.testing.assert_array_equal(dropped.min(axis=(1, 2)), dropped.max(axis=(1, 2)))
    assert 0 < dropped.mean() < 1


def test_gaussian_noise_adds_noise_of_stddev_in_training_only():
    x = np.full((400, 300), 2.0, np.float32)
    layer = GaussianNoise(0.3)
    out = layer(x, training=True).numpy()
    assert out.dtype == np.float32
    assert out.mean() == pytest.approx(2.0, abs=0.005)
    assert out.std() == pytest.approx(0.3, rel=0.01)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert layer.compute_output_shape((None, 300)) == (None, 300)


def test_gaussian_noise_is_seeded():
    x = np.zeros((3, 4), np.float32)
    backend.set_random_seed(1)
    a = GaussianNoise(0.1)(x, training=True).numpy()
    backend.set_random_seed(1)
    b = GaussianNoise(0.1)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    own = GaussianNoise(0.1, seed=7)
    first, second = own(x, training=True).numpy(), own(x, training=True).numpy()
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(GaussianNoise(0.1, seed=7)(x, training=True).numpy(), first)


def test_gaussian_noise_gradient_is_the_identity():
    gradcheck_layer(lambda: GaussianNoise(0.5, seed=0), rng.standard_normal((3, 4)), training=False)
    x = Variable(rng.standard_normal((3, 4)).astype(np.float32))
    GaussianNoise(0.5)(x, training=True).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((3, 4), np.float32))


def test_bad_arguments():
    with pytest.raises(ValueError, match="stddev=1.5"):
        GaussianNoise(1.5)
    with pytest.raises(ValueError, match="rate=1"):
        SpatialDropout2D(1)
    with pytest.raises(ValueError, match="data_format='NHWC'"):
        SpatialDropout2D(0.1, data_format="NHWC")
    with pytest.raises(ValueError, match=r"'sd' \(SpatialDropout2D\) must be 4-D"):
        SpatialDropout2D(0.1, name="sd")(np.zeros((2, 3), np.float32))


def test_keras1_names():
    with pytest.warns(UserWarning, match="stddev="):
        assert GaussianNoise(sigma=0.2).stddev == 0.2
    with pytest.warns(UserWarning, match="rate="):
        assert SpatialDropout2D(p=0.2).rate == 0.2
    for cls in (SpatialDropout1D, GaussianDropout, AlphaDropout):
        with pytest.warns(UserWarning, match=rf"`{cls.__name__}\(p=...\)`.*rate="):
            assert cls(p=0.2).rate == 0.2


def test_config_round_trips():
    round_trip(SpatialDropout2D(0.3, data_format="channels_first", seed=2))
    round_trip(GaussianNoise(0.2, seed=5))
    round_trip(SpatialDropout1D(0.3, seed=2))
    round_trip(GaussianDropout(0.4, seed=1))
    round_trip(AlphaDropout(0.2, noise_shape=(None, 1, 3), seed=3))
    round_trip(ActivityRegularization(l1=0.1, l2=0.2, name="ar"))


def reseeded_gradient(make, x: np.ndarray) -> np.ndarray:
    """Check the training-mode gradient of the layer ``make()`` in float64 by finite
    differences, its random draws repeated at every call (the global stream reseeded); return
    the input's gradient of ``sum(output)`` with those draws."""
    with backend.floatx_scope("float64"):
        layer = make()
        xv = Variable(np.asarray(x, np.float64))

        def fn():
            backend.set_random_seed(3)
            return layer(xv, training=True)

        check_gradients(fn, xv)
        xv.grad = None
        fn().sum().backward()
    return xv.grad


# -- SpatialDropout1D ----------------------------------------------------------------------------
def test_spatial_dropout1d_drops_whole_channels():
    x = rng.uniform(1, 2, (300, 7, 10)).astype(np.float32)
    layer = SpatialDropout1D(0.3)
    out = layer(x, training=True).numpy()
    dropped = out == 0
    np.testing.assert_array_equal(dropped.min(axis=1), dropped.max(axis=1))  # whole channels
    assert dropped[:, 0].mean() == pytest.approx(0.3, abs=0.03)
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert SpatialDropout1D(0.3)(Input((None, 10))).shape == (None, None, 10)


def test_spatial_dropout1d_gradient_is_the_channel_mask():
    grad = reseeded_gradient(lambda: SpatialDropout1D(0.5), rng.standard_normal((4, 3, 6)))
    np.testing.assert_array_equal(grad.min(axis=1), grad.max(axis=1))
    assert set(np.unique(grad)) == {0.0, 2.0}


def test_spatial_dropout1d_needs_3d_inputs_and_a_rate():
    with pytest.raises(ValueError, match=r"'sd1' \(SpatialDropout1D\) must be 3-D"):
        SpatialDropout1D(0.1, name="sd1")(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="rate=1.5"):
        SpatialDropout1D(1.5)


# -- GaussianDropout -----------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_gaussian_dropout_multiplies_by_one_centred_noise(rate):
    x = rng.uniform(1, 2, (400, 300)).astype(np.float32)
    out = GaussianDropout(rate)(x, training=True).numpy()
    assert out.dtype == np.float32
    noise = out / x
    # 1.2 · 10^5 draws: the mean is within 0.01 · stddev of 1, the stddev within 1 %.
    stddev = math.sqrt(rate / (1 - rate))
    assert noise.mean() == pytest.approx(1.0, abs=0.01 * stddev)
    assert noise.std() == pytest.approx(stddev, rel=0.01)
    np.testing.assert_array_equal(GaussianDropout(rate)(x).numpy(), x)


def test_gaussian_dropout_gradient_is_the_noise():
    x = rng.uniform(1, 2, (4, 5))
    grad = reseeded_gradient(lambda: GaussianDropout(0.3), x)
    with backend.floatx_scope("float64"):
        backend.set_random_seed(3)
        noise = GaussianDropout(0.3)(x, training=True).numpy() / x
    np.testing.assert_allclose(grad, noise, rtol=1e-12)


def test_gaussian_dropout_follows_the_seeds():
    x = np.ones((3, 4), np.float32)
    backend.set_random_seed(1)
    first = GaussianDropout(0.4)(x, training=True).numpy()
    backend.set_random_seed(1)
    np.testing.assert_array_equal(GaussianDropout(0.4)(x, training=True).numpy(), first)
    own = GaussianDropout(0.4, seed=7)
    a, b = own(x, training=True).numpy(), own(x, training=True).numpy()
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(GaussianDropout(0.4, seed=7)(x, training=True).numpy(), a)


# -- AlphaDropout --------------------------------------------------------------------------------
ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def alpha_affine(rate: float) -> tuple[float, float]:
    """Keras 3's ``a`` and ``b`` of AlphaDropout."""
    a = ((1 - rate) * (1 + rate * ALPHA_P**2)) ** -0.5
    return a, -a * ALPHA_P * rate


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance(rate):
    x = rng.standard_normal((1000, 200)).astype(np.float32)
    out = AlphaDropout(rate)(x, training=True).numpy()
    assert out.dtype == np.float32
    a, b = alpha_affine(rate)
    dropped = np.isclose(out, a * ALPHA_P + b, rtol=0, atol=1e-6)
    assert dropped.mean() == pytest.approx(rate, abs=0.005)
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    # The affine correction restores the inputs' N(0, 1) statistics (2 · 10^5 values).
    assert out.mean() == pytest.approx(0.0, abs=0.01)
    assert out.var() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(AlphaDropout(rate)(x).numpy(), x)


def test_alpha_dropout_noise_shape_shares_the_mask():
    out = AlphaDropout(0.5, noise_shape=(None, 1))(np.zeros((400, 6), np.float32), training=True)
    out = out.numpy()
    np.testing.assert_array_equal(out.min(axis=1), out.max(axis=1))
    assert len(np.unique(out)) == 2


def test_alpha_dropout_gradient_is_a_times_the_mask():
    grad = reseeded_gradient(lambda: AlphaDropout(0.4), rng.standard_normal((5, 6)))
    a, _ = alpha_affine(0.4)
    assert set(np.round(np.unique(grad), 12)) == {0.0, round(a, 12)}


def test_alpha_dropout_follows_the_seeds():
    x = np.zeros((3, 4), np.float32)
    backend.set_random_seed(2)
    first = AlphaDropout(0.5)(x, training=True).numpy()
    backend.set_random_seed(2)
    np.testing.assert_array_equal(AlphaDropout(0.5)(x, training=True).numpy(), first)
    np.testing.assert_array_equal(
        AlphaDropout(0.5, seed=4)(x, training=True).numpy(),
        AlphaDropout(0.5, seed=4)(x, training=True).numpy(),
    )


# -- ActivityRegularization ----------------------------------------------------------------------
def test_activity_regularization_is_the_identity_plus_its_penalty():
    x = rng.standard_normal((4, 5)).astype(np.float32)
    layer = ActivityRegularization(l1=0.1, l2=0.02)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    (penalty,) = layer.losses
    # Divided by the batch size, as Keras 3 divides every activity penalty.
    expected = (0.1 * np.abs(x).sum() + 0.02 * (x**2).sum()) / len(x)
    assert penalty.item() == pytest.approx(expected, rel=1e-6)
    defaults = ActivityRegularization()
    assert (defaults.l1, defaults.l2) == (0.0, 0.0)
    defaults(x)
    assert [loss.item() for loss in defaults.losses] == [0.0]


def test_activity_regularization_penalty_gradient():
    with backend.floatx_scope("float64"):
        layer = ActivityRegularization(l1=0.3, l2=0.2)
        xv = Variable(rng.standard_normal((3, 4)))

        def fn():
            out = layer(xv, training=True)
            return out * 0.5 + layer.losses[0]

        check_gradients(fn, xv)


def test_activity_regularization_refuses_negative_factors():
    with pytest.raises(ValueError, match="l1=-0.1"):
        ActivityRegularization(l1=-0.1)
    with pytest.raises(ValueError, match="l2='big'"):
        ActivityRegularization(l2="big")


# -- all of them, against Keras 3 ----------------------------------------------------------------
NEW_LAYERS = [
    ("SpatialDropout1D", (0.3,), (6, 5)),
    ("GaussianDropout", (0.3,), (5,)),
    ("AlphaDropout", (0.3,), (5,)),
    ("ActivityRegularization", (0.0, 0.0), (5,)),
]


@pytest.mark.parametrize("name, args, shape", NEW_LAYERS)
def test_inference_and_shapes(name, args, shape):
    x = rng.standard_normal((3, *shape)).astype(np.float32)
    layer = getattr(layers, name)(*args)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert layer.compute_output_shape((None, *shape)) == (None, *shape)
    assert getattr(layers, name)(*args)(Input(shape)).shape == (None, *shape)
    gradcheck_layer(lambda: getattr(layers, name)(*args), x, training=False)


@pytest.mark.parametrize("name, args, shape", NEW_LAYERS)
def test_configs_match_keras(keras, name, args, shape):
    base = {"name", "dtype", "trainable"}
    ours = round_trip(getattr(layers, name)(*args)).get_config()
    theirs = getattr(keras.layers, name)(*args).get_config()
    assert {k: ours[k] for k in set(ours) - base} == {k: theirs[k] for k in set(theirs) - base}


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda lib: [lib.layers.Dense(3), lib.layers.GaussianDropout(0.0)], (5,)),
        (lambda lib: [lib.layers.Dense(3), lib.layers.AlphaDropout(0.0)], (5,)),
        (lambda lib: [lib.layers.Conv1D(3, 2), lib.layers.SpatialDropout1D(0.0)], (6, 5)),
        (lambda lib: [lib.layers.Dense(3), lib.layers.ActivityRegularization(0.01, 0.02)], (5,)),
    ],
)
def test_training_step_matches_keras(keras, make, shape):
    # A batch of 4: both divide an activity penalty by the batch size.
    assert_twins_agree(keras, make, rng.standard_normal((4, *shape)).astype(np.float32))


@pytest.mark.parametrize("name", ["GaussianDropout", "AlphaDropout", "SpatialDropout1D"])
def test_random_layers_predict_like_keras(keras, name):
    x = rng.standard_normal((4, 6, 5)).astype(np.float32)
    theirs = keras.Sequential([keras.Input((6, 5)), keras.layers.Dense(3)])
    theirs.add(getattr(keras.layers, name)(0.4))
    ours = numkeras.Sequential([numkeras.Input((6, 5)), numkeras.layers.Dense(3)])
    ours.add(getattr(numkeras.layers, name)(0.4))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs(x)), atol=1e-5)
