"""MaxPooling2D, AveragePooling2D, MaxPooling1D and the global poolings: values against PyTorch,
gradients, Keras defaults, shape errors, configs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conv_layers_support import gradcheck_layer, round_trip

from numkeras.layers import Input, pooling
from numkeras.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
TX = torch.from_numpy(X.transpose(0, 3, 1, 2))


def _nhwc(t: torch.Tensor) -> np.ndarray:
    return t.numpy().transpose(0, 2, 3, 1)


@pytest.mark.parametrize(
    "layer, expected",
    [
        (MaxPooling2D(), _nhwc(F.max_pool2d(TX, 2))),
        (MaxPooling2D(3, strides=(2, 1)), _nhwc(F.max_pool2d(TX, 3, (2, 1)))),
        (MaxPooling2D(3, 1, "same"), _nhwc(F.max_pool2d(TX, 3, 1, padding=1))),
        (AveragePooling2D(), _nhwc(F.avg_pool2d(TX, 2))),
        (AveragePooling2D((2, 3), strides=1), _nhwc(F.avg_pool2d(TX, (2, 3), 1))),
        (
            AveragePooling2D(3, 1, "same"),
            _nhwc(F.avg_pool2d(TX, 3, 1, padding=1, count_include_pad=False)),
        ),
        (GlobalAveragePooling2D(), TX.mean(dim=(2, 3)).numpy()),
        (GlobalMaxPooling2D(), TX.amax(dim=(2, 3)).numpy()),
    ],
)
def test_values_match_torch(layer, expected):
    out = layer(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert out.shape == layer.compute_output_shape(X.shape)


def test_channels_first():
    first = X.transpose(0, 3, 1, 2)
    for cls in (MaxPooling2D, AveragePooling2D):
        np.testing.assert_allclose(
            cls(3, 2, "same", data_format="channels_first")(first).numpy(),
            cls(3, 2, "same")(X).numpy().transpose(0, 3, 1, 2),
        )
    for cls in (GlobalAveragePooling2D, GlobalMaxPooling2D):
        np.testing.assert_allclose(
            cls(data_format="channels_first")(first).numpy(), cls()(X).numpy(), rtol=1e-6
        )


def test_max_pooling1d_matches_torch():
    x = rng.standard_normal((2, 9, 3)).astype(np.float32)
    expected = F.max_pool1d(torch.from_numpy(x.transpose(0, 2, 1)), 3, 2).numpy()
    np.testing.assert_allclose(MaxPooling1D(3, 2)(x).numpy(), expected.transpose(0, 2, 1))
    assert MaxPooling1D()(Input((9, 3))).shape == (None, 4, 3)
    assert MaxPooling1D(padding="same")(Input((9, 3))).shape == (None, 5, 3)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: MaxPooling2D(), (2, 4, 6, 2)),
        (lambda: MaxPooling2D(3, 2, "same"), (1, 5, 5, 2)),
        (lambda: AveragePooling2D((2, 3), (1, 2), "same"), (1, 5, 5, 2)),
        (lambda: MaxPooling1D(2, 1), (2, 5, 2)),
        (lambda: GlobalAveragePooling2D(keepdims=True), (2, 3, 3, 2)),
        (lambda: GlobalMaxPooling2D(), (2, 3, 3, 2)),
    ],
)
def test_gradients(make, shape):
    gradcheck_layer(make, rng.standard_normal(shape))


def test_keras_defaults_and_shapes():
    layer = MaxPooling2D()
    assert (layer.pool_size, layer.strides, layer.padding, layer.data_format) == (
        (2, 2),
        (2, 2),
        "valid",
        "channels_last",
    )
    assert AveragePooling2D(3).strides == (3, 3)
    assert MaxPooling2D()(Input((24, 24, 64))).shape == (None, 12, 12, 64)
    assert MaxPooling2D()(Input((25, 25, 64))).shape == (None, 12, 12, 64)
    assert MaxPooling2D(padding="same")(Input((25, 25, 64))).shape == (None, 13, 13, 64)
    assert GlobalAveragePooling2D()(Input((7, 7, 32))).shape == (None, 32)
    assert GlobalMaxPooling2D(keepdims=True)(Input((7, 7, 32))).shape == (None, 1, 1, 32)
    layer(X)
    assert layer.count_params() == 0 and layer.weights == []


def test_keras1_border_mode():
    with pytest.warns(UserWarning, match="padding="):
        layer = MaxPooling2D(pool_size=(2, 2), border_mode="same")
    assert layer.padding == "same"


def test_bad_input_names_the_layer_and_both_shapes():
    with pytest.raises(ValueError, match=r"'pool' \(MaxPooling2D\) must be 4-D.*\(2, 6, 6\)"):
        MaxPooling2D(name="pool")(np.zeros((2, 6, 6), np.float32))
    with pytest.raises(ValueError, match=r"'pool3'.*pool_size=\(3, 3\).*\(1, 2, 2, 1\)"):
        MaxPooling2D(3, name="pool3")(np.zeros((1, 2, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r"'gap' \(GlobalAveragePooling2D\) must be 4-D"):
        GlobalAveragePooling2D(name="gap")(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p0': pool_size must.*pool_size=0"):
        MaxPooling2D(0, name="p0")
    with pytest.raises(ValueError, match=r"strides=0"):
        AveragePooling2D(2, strides=0)
    with pytest.raises(ValueError, match=r"padding='full'"):
        MaxPooling1D(padding="full")


def test_config_round_trips():
    round_trip(MaxPooling2D((3, 2), strides=1, padding="same", data_format="channels_first"))
    round_trip(AveragePooling2D())
    round_trip(MaxPooling1D(3))
    round_trip(GlobalAveragePooling2D(keepdims=True))
    round_trip(GlobalMaxPooling2D(data_format="channels_first"))


def test_kerass_short_names():
    assert pooling.MaxPool2D is MaxPooling2D and pooling.AvgPool2D is AveragePooling2D
    assert pooling.MaxPool1D is MaxPooling1D
    assert pooling.GlobalAvgPool2D is GlobalAveragePooling2D
    assert pooling.GlobalMaxPool2D is GlobalMaxPooling2D
