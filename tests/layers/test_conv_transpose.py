"""Conv2DTranspose and Conv1DTranspose: Keras 3's defaults, kernel layout, output sizes
(symbolic too), gradients, configs, bad arguments, and forward and one SGD step against real
Keras 3 on the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import gradcheck_layer, round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING, assert_twins_agree

from numkeras import backend
from numkeras.layers import Input, conv_transpose
from numkeras.layers.conv_transpose import Conv1DTranspose, Conv2DTranspose

rng = np.random.default_rng(0)


def test_keras_defaults_and_kernel_layout():
    backend.clear_session()  # the default name is the first of a fresh session
    layer = Conv2DTranspose(8, 3)
    assert (layer.strides, layer.padding, layer.output_padding, layer.dilation_rate) == (
        (1, 1),
        "valid",
        None,
        (1, 1),
    )
    assert (layer.data_format, layer.use_bias, layer.name) == (
        "channels_last",
        True,
        "conv2d_transpose",
    )
    layer(np.zeros((1, 5, 5, 4), np.float32))
    assert layer.kernel.shape == (3, 3, 8, 4) and layer.bias.shape == (8,)
    one = Conv1DTranspose(2, 3)
    one(np.zeros((1, 5, 4), np.float32))
    assert one.kernel.shape == (3, 2, 4) and one.strides == (1,)


@pytest.mark.parametrize(
    "make, input_shape, expected",
    [
        (lambda: Conv2DTranspose(4, 3), (7, 7, 2), (None, 9, 9, 4)),
        (lambda: Conv2DTranspose(4, 3, 2, "same"), (7, 7, 2), (None, 14, 14, 4)),
        (lambda: Conv2DTranspose(4, 2, 3), (7, 6, 2), (None, 21, 18, 4)),
        (lambda: Conv2DTranspose(4, 3, 2, output_padding=1), (7, 7, 2), (None, 16, 16, 4)),
        (lambda: Conv2DTranspose(4, 3, data_format="channels_first"), (2, 7, 5), (None, 4, 9, 7)),
        (lambda: Conv1DTranspose(4, 5, 2, dilation_rate=1), (10, 2), (None, 23, 4)),
        (lambda: Conv1DTranspose(4, 3, 1, "same", dilation_rate=2), (10, 2), (None, 10, 4)),
    ],
)
def test_output_shapes_symbolic_and_eager(make, input_shape, expected):
    assert make()(Input(input_shape)).shape == expected
    layer = make()
    assert layer(np.zeros((1, *input_shape), np.float32)).shape == (1, *expected[1:])
    assert layer.compute_output_shape((1, *input_shape)) == (1, *expected[1:])


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: Conv2DTranspose(2, 3, 2, "same", activation="tanh"), (2, 3, 2, 2)),
        (lambda: Conv2DTranspose(2, (2, 3), output_padding=(0, 0), dilation_rate=2), (1, 3, 3, 2)),
        (lambda: Conv1DTranspose(3, 2, 2, "valid", output_padding=1), (2, 4, 2)),
    ],
)
def test_gradients(make, shape):
    gradcheck_layer(make, rng.standard_normal(shape))


def test_config_round_trips():
    round_trip(Conv2DTranspose(4, (3, 2), 2, "same", (1, 0), "channels_first", activation="relu"))
    round_trip(Conv1DTranspose(2, 3, use_bias=False, kernel_regularizer="l2"))
    assert conv_transpose.Convolution2DTranspose is Conv2DTranspose
    assert conv_transpose.Convolution1DTranspose is Conv1DTranspose


def test_bad_arguments_name_the_argument_and_value():
    with pytest.raises(ValueError, match=r"'up'.*output_padding must be smaller than strides"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2, name="up")
    with pytest.raises(ValueError, match=r"padding='causal'"):
        Conv1DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"filters=0"):
        Conv2DTranspose(0, 3)
    with pytest.raises(ValueError, match=r"must be 4-D.*\(2, 5, 3\)"):
        Conv2DTranspose(2, 3)(np.zeros((2, 5, 3), np.float32))


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(
    "make, shape",
    [
        (
            lambda lib: [lib.layers.Conv2DTranspose(3, 3, 2, "same", activation="relu")],
            (2, 4, 3, 2),
        ),
        (
            lambda lib: [lib.layers.Conv2DTranspose(2, (3, 2), 3, output_padding=(1, 2))],
            (2, 3, 3, 2),
        ),
        (
            lambda lib: [lib.layers.Conv2DTranspose(2, 3, dilation_rate=2, use_bias=False)],
            (2, 3, 4, 2),
        ),
        (
            lambda lib: [lib.layers.Conv2DTranspose(2, 3, 2, data_format="channels_first")],
            (2, 2, 3, 4),
        ),
        (lambda lib: [lib.layers.Conv1DTranspose(3, 4, 2, "same", activation="tanh")], (2, 5, 2)),
    ],
)
def test_forward_and_sgd_step_match_keras(keras, make, shape):
    assert_twins_agree(keras, make, rng.standard_normal(shape).astype(np.float32))
