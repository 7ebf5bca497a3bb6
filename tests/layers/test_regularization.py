"""SpatialDropout2D and GaussianNoise: active in training only, statistics, gradients, seeding,
configs."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import gradcheck_layer, round_trip

from numkeras import backend
from numkeras.layers.regularization import GaussianNoise, SpatialDropout2D
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


def test_config_round_trips():
    round_trip(SpatialDropout2D(0.3, data_format="channels_first", seed=2))
    round_trip(GaussianNoise(0.2, seed=5))
