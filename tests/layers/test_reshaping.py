"""ZeroPadding2D and UpSampling2D: values, gradients, shapes, errors, configs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conv_layers_support import gradcheck_layer, round_trip

from numkeras.layers import Input
from numkeras.layers.reshaping import UpSampling2D, ZeroPadding2D

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)


@pytest.mark.parametrize(
    "padding, widths",
    [
        (1, ((1, 1), (1, 1))),
        ((2, 0), ((2, 2), (0, 0))),
        (((1, 2), (3, 0)), ((1, 2), (3, 0))),
    ],
)
def test_zero_padding2d(padding, widths):
    layer = ZeroPadding2D(padding)
    out = layer(X)
    np.testing.assert_array_equal(out.numpy(), np.pad(X, ((0, 0), *widths, (0, 0))))
    assert out.shape == layer.compute_output_shape(X.shape)
    first = ZeroPadding2D(padding, data_format="channels_first")(X.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(first.numpy(), out.numpy().transpose(0, 3, 1, 2))


def test_upsampling2d_matches_torch():
    layer = UpSampling2D((2, 3))
    out = layer(X)
    expected = (
        F.interpolate(
            torch.from_numpy(X.transpose(0, 3, 1, 2)), scale_factor=(2, 3), mode="nearest"
        )
        .numpy()
        .transpose(0, 2, 3, 1)
    )
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out.shape == layer.compute_output_shape(X.shape) == (2, 6, 12, 2)
    first = UpSampling2D(2, data_format="channels_first")(X.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(first.numpy(), UpSampling2D(2)(X).numpy().transpose(0, 3, 1, 2))


@pytest.mark.parametrize(
    "make",
    [
        lambda: ZeroPadding2D(((1, 0), (2, 1))),
        lambda: UpSampling2D((2, 1)),
        lambda: UpSampling2D(2, data_format="channels_first"),
    ],
)
def test_gradients(make):
    gradcheck_layer(make, rng.standard_normal((2, 3, 3, 2)))


def test_keras_defaults_and_symbolic_shapes():
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert UpSampling2D().size == (2, 2) and UpSampling2D().interpolation == "nearest"
    assert ZeroPadding2D(2)(Input((28, 28, 1))).shape == (None, 32, 32, 1)
    assert UpSampling2D(2)(Input((None, 7, 3))).shape == (None, None, 14, 3)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'zp'.*padding=\(1, 2, 3\)"):
        ZeroPadding2D((1, 2, 3), name="zp")
    with pytest.raises(ValueError, match=r"padding=-1"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match=r"size=0"):
        UpSampling2D(0)
    with pytest.raises(ValueError, match=r"interpolation='bilinear'"):
        UpSampling2D(interpolation="bilinear")
    with pytest.raises(ValueError, match=r"'up' \(UpSampling2D\) must be 4-D.*\(2, 3, 4\)"):
        UpSampling2D(name="up")(np.zeros((2, 3, 4), np.float32))


def test_config_round_trips():
    round_trip(ZeroPadding2D(((1, 2), (3, 0)), data_format="channels_first"))
    round_trip(UpSampling2D((2, 3)))
