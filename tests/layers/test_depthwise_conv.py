"""DepthwiseConv2D/1D and SeparableConv2D/1D: Keras 3's defaults, weight names and layouts,
output shapes (symbolic too), gradients, configs, bad arguments, and forward and one SGD step
against real Keras 3 on the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import gradcheck_layer, round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING, assert_twins_agree

from numkeras.layers import Input, depthwise_conv
from numkeras.layers.depthwise_conv import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)

rng = np.random.default_rng(0)


def test_keras_defaults_weight_names_and_layouts():
    layer = DepthwiseConv2D(3)
    assert (layer.strides, layer.padding, layer.depth_multiplier, layer.dilation_rate) == (
        (1, 1),
        "valid",
        1,
        (1, 1),
    )
    assert (layer.data_format, layer.use_bias, layer.name) == (
        "channels_last",
        True,
        "depthwise_conv2d",
    )
    DepthwiseConv2D(3, depth_multiplier=2, name="d")(np.zeros((1, 5, 5, 4), np.float32))
    separable = SeparableConv2D(8, 3, depth_multiplier=2, name="s")
    separable(np.zeros((1, 5, 5, 4), np.float32))
    assert [(w.name, w.shape) for w in separable.weights] == [
        ("s/depthwise_kernel", (3, 3, 4, 2)),
        ("s/pointwise_kernel", (1, 1, 8, 8)),
        ("s/bias", (8,)),
    ]
    one = DepthwiseConv1D(3, depth_multiplier=2, name="d1")
    one(np.zeros((1, 5, 4), np.float32))
    assert [(w.name, w.shape) for w in one.weights] == [("d1/kernel", (3, 4, 2)), ("d1/bias", (8,))]


@pytest.mark.parametrize(
    "make, input_shape, expected",
    [
        (lambda: DepthwiseConv2D(3, depth_multiplier=2), (7, 7, 3), (None, 5, 5, 6)),
        (lambda: DepthwiseConv2D(3, 2, "same"), (7, 7, 3), (None, 4, 4, 3)),
        (lambda: DepthwiseConv2D(3, data_format="channels_first"), (3, 7, 6), (None, 3, 5, 4)),
        (lambda: SeparableConv2D(5, 3, dilation_rate=2), (7, 7, 3), (None, 3, 3, 5)),
        (lambda: SeparableConv1D(5, 3, 2, "same"), (9, 3), (None, 5, 5)),
        (lambda: DepthwiseConv1D(2, depth_multiplier=3), (9, 3), (None, 8, 9)),
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
        (lambda: DepthwiseConv2D(2, depth_multiplier=2, activation="tanh"), (2, 4, 3, 2)),
        (lambda: SeparableConv2D(3, 2, 2, "same", depth_multiplier=2), (2, 3, 4, 2)),
        (lambda: SeparableConv1D(2, 3, use_bias=False), (2, 5, 2)),
        (lambda: DepthwiseConv1D(3, padding="same", data_format="channels_first"), (2, 2, 4)),
    ],
)
def test_gradients(make, shape):
    gradcheck_layer(make, rng.standard_normal(shape))


def test_config_round_trips():
    round_trip(DepthwiseConv2D((3, 2), 2, "same", 3, "channels_first", activation="relu"))
    round_trip(DepthwiseConv1D(3, depthwise_regularizer="l2", bias_constraint="non_neg"))
    round_trip(SeparableConv2D(4, 3, depth_multiplier=2, pointwise_initializer="he_normal"))
    round_trip(SeparableConv1D(4, 3, use_bias=False, pointwise_regularizer="l1"))
    assert depthwise_conv.SeparableConvolution2D is SeparableConv2D
    assert depthwise_conv.SeparableConvolution1D is SeparableConv1D


def test_bad_arguments_name_the_argument_and_value():
    with pytest.raises(ValueError, match=r"'dw'.*depth_multiplier=0"):
        DepthwiseConv2D(3, depth_multiplier=0, name="dw")
    with pytest.raises(ValueError, match=r"SeparableConv2D.*filters=-1"):
        SeparableConv2D(-1, 3)
    with pytest.raises(ValueError, match=r"padding='causal'"):
        SeparableConv1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"'dw3' \(DepthwiseConv2D\).*larger than the input"):
        DepthwiseConv2D(5, name="dw3")(np.zeros((1, 3, 3, 2), np.float32))


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(
    "make, shape",
    [
        (
            lambda lib: [lib.layers.DepthwiseConv2D(3, 2, "same", 2, activation="relu")],
            (2, 5, 6, 3),
        ),
        (lambda lib: [lib.layers.DepthwiseConv2D(2, dilation_rate=2)], (2, 5, 5, 2)),
        (lambda lib: [lib.layers.SeparableConv2D(4, 3, depth_multiplier=2)], (2, 5, 5, 3)),
        (
            lambda lib: [lib.layers.SeparableConv2D(3, 2, 2, "same", data_format="channels_first")],
            (2, 2, 5, 4),
        ),
        (lambda lib: [lib.layers.DepthwiseConv1D(3, depth_multiplier=2)], (2, 6, 3)),
        (
            lambda lib: [lib.layers.SeparableConv1D(4, 3, padding="same", activation="tanh")],
            (2, 6, 3),
        ),
    ],
)
def test_forward_and_sgd_step_match_keras(keras, make, shape):
    assert_twins_agree(keras, make, rng.standard_normal(shape).astype(np.float32))
