"""MaxPooling2D, AveragePooling2D, the 1-D poolings and the global poolings: values against
PyTorch and real Keras 3, gradients, Keras defaults, Keras 1 names, shape errors, configs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conv_layers_support import gradcheck_layer, round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING, assert_twins_agree

from numkeras.layers import Input, pooling
from numkeras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
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
        (lambda: AveragePooling1D(3, 2, "same"), (2, 6, 2)),
        (lambda: GlobalAveragePooling1D(keepdims=True), (2, 4, 3)),
        (lambda: GlobalMaxPooling1D(data_format="channels_first"), (2, 3, 4)),
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
    round_trip(AveragePooling1D(3, 1, "same", "channels_first"))
    round_trip(GlobalAveragePooling1D(keepdims=True))
    round_trip(GlobalMaxPooling1D(data_format="channels_first"))


def test_kerass_short_names():
    assert pooling.MaxPool2D is MaxPooling2D and pooling.AvgPool2D is AveragePooling2D
    assert pooling.MaxPool1D is MaxPooling1D
    assert pooling.GlobalAvgPool2D is GlobalAveragePooling2D
    assert pooling.GlobalMaxPool2D is GlobalMaxPooling2D
    assert pooling.AvgPool1D is AveragePooling1D
    assert pooling.GlobalAvgPool1D is GlobalAveragePooling1D
    assert pooling.GlobalMaxPool1D is GlobalMaxPooling1D


SEQ = rng.standard_normal((2, 9, 3)).astype(np.float32)
TSEQ = torch.from_numpy(SEQ.transpose(0, 2, 1))


@pytest.mark.parametrize(
    "layer, expected",
    [
        (AveragePooling1D(), F.avg_pool1d(TSEQ, 2)),
        (AveragePooling1D(3, 1, "same"), F.avg_pool1d(TSEQ, 3, 1, 1, count_include_pad=False)),
        (GlobalAveragePooling1D(), TSEQ.mean(dim=2, keepdim=True)),
        (GlobalMaxPooling1D(keepdims=True), TSEQ.amax(dim=2, keepdim=True)),
    ],
)
def test_1d_values_match_torch(layer, expected):
    expected = expected.numpy().transpose(0, 2, 1)
    out = layer(SEQ)
    np.testing.assert_allclose(out.numpy().reshape(expected.shape), expected, rtol=1e-6)
    assert out.shape == layer.compute_output_shape(SEQ.shape)
    first = layer.from_config({**layer.get_config(), "data_format": "channels_first"})
    np.testing.assert_allclose(
        first(SEQ.transpose(0, 2, 1)).numpy(), out.numpy().swapaxes(1, -1), rtol=1e-6
    )


def test_1d_keras_defaults_and_symbolic_shapes():
    layer = AveragePooling1D()
    assert (layer.pool_size, layer.strides, layer.padding) == ((2,), (2,), "valid")
    assert AveragePooling1D(3)(Input((10, 4))).shape == (None, 3, 4)
    assert AveragePooling1D(3, padding="same")(Input((10, 4))).shape == (None, 4, 4)
    assert GlobalAveragePooling1D()(Input((10, 4))).shape == (None, 4)
    assert GlobalMaxPooling1D(keepdims=True)(Input((10, 4))).shape == (None, 1, 4)
    assert GlobalAveragePooling1D(data_format="channels_first")(Input((4, 10))).shape == (None, 4)
    assert (GlobalAveragePooling1D().keepdims, GlobalMaxPooling1D().data_format) == (
        False,
        "channels_last",
    )


@pytest.mark.parametrize("cls", [MaxPooling1D, AveragePooling1D])
def test_keras1_pool_length_and_stride(cls):
    with pytest.warns(UserWarning, match="pool_size="), pytest.warns(UserWarning, match="strides="):
        layer = cls(pool_length=3, stride=1)
    assert (layer.pool_size, layer.strides) == ((3,), (1,))
    with pytest.raises(ValueError, match="both the Keras 1 argument `pool_length`"):
        cls(pool_length=3, pool_size=3)


def test_global_average_pooling1d_mask_averages_the_kept_steps(keras):
    mask = np.ones((2, 9), bool)
    mask[0, 4:] = False
    out = GlobalAveragePooling1D()(SEQ, mask=mask).numpy()
    np.testing.assert_allclose(out, [SEQ[0, :4].mean(0), SEQ[1].mean(0)], rtol=1e-6)
    expected = keras.layers.GlobalAveragePooling1D(keepdims=True)(SEQ, mask=mask)
    got = GlobalAveragePooling1D(keepdims=True)(SEQ, mask=mask).numpy()
    np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-6)


def test_1d_bad_input_names_the_layer():
    with pytest.raises(ValueError, match=r"'gap1' \(GlobalAveragePooling1D\) must be 3-D"):
        GlobalAveragePooling1D(name="gap1")(X)
    with pytest.raises(ValueError, match=r"'ap'.*pool_size=\(5,\).*\(2, 3, 1\)"):
        AveragePooling1D(5, name="ap")(np.zeros((2, 3, 1), np.float32))


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(
    "make",
    [
        lambda lib: [lib.layers.Conv1D(2, 2), lib.layers.AveragePooling1D(2, 1, padding="same")],
        lambda lib: [lib.layers.Conv1D(2, 2), lib.layers.MaxPooling1D(3, 2)],
        lambda lib: [lib.layers.Conv1D(2, 2), lib.layers.GlobalAveragePooling1D()],
        lambda lib: [lib.layers.Conv1D(2, 2), lib.layers.GlobalMaxPooling1D(keepdims=True)],
    ],
)
def test_1d_forward_and_sgd_step_match_keras(keras, make):
    assert_twins_agree(keras, make, SEQ)
