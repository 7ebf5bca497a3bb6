"""Conv2D, Convolution2D and Conv1D: values against PyTorch, gradients, Keras defaults and names,
shape errors, configs."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conv_layers_support import gradcheck_layer, round_trip

from numkeras import activations, backend, constraints, regularizers
from numkeras.layers import Input
from numkeras.layers.conv import Conv1D, Conv2D, Convolution2D
from numkeras.ops import Variable

rng = np.random.default_rng(0)


# -- values --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"strides": 2, "padding": "same"},
        {"dilation_rate": 2, "padding": "same"},
        {"groups": 2, "kernel_size": (2, 3)},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_matches_torch(kwargs, data_format):
    kwargs = {"kernel_size": 3, **kwargs}
    layer = Conv2D(
        6, activation="relu", data_format=data_format, bias_initializer="random_normal", **kwargs
    )
    x = rng.standard_normal((2, 9, 8, 4) if data_format == "channels_last" else (2, 4, 9, 8))
    out = layer(x.astype(np.float32))
    kernel, bias = layer.get_weights()
    tx = torch.from_numpy(x if data_format == "channels_first" else x.transpose(0, 3, 1, 2))
    same = kwargs.get("padding") == "same"
    stride, dilation = kwargs.get("strides", 1), kwargs.get("dilation_rate", 1)
    if same and stride == 1:
        padding = "same"
    elif same:  # 9x8 input, 3x3 kernel, stride 2: TF pads (1, 1) rows and (0, 1) columns
        tx, padding = F.pad(tx, (0, 1, 1, 1)), 0
    else:
        padding = 0
    expected = torch.relu(
        F.conv2d(
            tx,
            torch.from_numpy(kernel.transpose(3, 2, 0, 1).astype(np.float64)),
            torch.from_numpy(bias.astype(np.float64)),
            stride,
            padding,
            dilation,
            kwargs.get("groups", 1),
        )
    ).numpy()
    if data_format == "channels_last":
        expected = expected.transpose(0, 2, 3, 1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-5)
    assert out.shape == layer.compute_output_shape(x.shape)


def test_conv1d_matches_torch():
    layer = Conv1D(5, 3, padding="causal", dilation_rate=2, bias_initializer="random_normal")
    x = rng.standard_normal((2, 10, 3)).astype(np.float32)
    out = layer(x).numpy()
    kernel, bias = layer.get_weights()
    expected = (
        F.conv1d(
            F.pad(torch.from_numpy(x.transpose(0, 2, 1)), (4, 0)),
            torch.from_numpy(kernel.transpose(2, 1, 0)),
            torch.from_numpy(bias),
            dilation=2,
        )
        .numpy()
        .transpose(0, 2, 1)
    )
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert out.shape == (2, 10, 5) == layer.compute_output_shape((2, 10, 3))


# -- gradients -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3},
        {"kernel_size": (2, 3), "strides": (2, 1), "padding": "same"},
        {"kernel_size": 2, "dilation_rate": 2, "padding": "same", "activation": "tanh"},
        {"kernel_size": 3, "groups": 2, "use_bias": False, "activation": "relu"},
        {"kernel_size": 2, "data_format": "channels_first", "strides": 2},
    ],
)
def test_conv2d_gradients(kwargs):
    shape = (2, 4, 5, 6) if kwargs.get("data_format") == "channels_first" else (2, 5, 6, 4)
    gradcheck_layer(
        lambda: Conv2D(4, bias_initializer="random_normal", **kwargs), rng.standard_normal(shape)
    )


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_gradients(padding):
    strides = 1 if padding == "causal" else 2
    x = rng.standard_normal((2, 7, 2))
    gradcheck_layer(
        lambda: Conv1D(3, 3, padding=padding, strides=strides, bias_initializer="random_normal"), x
    )


# -- Keras semantics -----------------------------------------------------------------------------
def test_conv2d_keras_defaults():
    layer = Conv2D(32, 3)
    config = layer.get_config()
    assert (config["strides"], config["padding"], config["data_format"]) == (
        [1, 1],
        "valid",
        "channels_last",
    )
    assert (config["dilation_rate"], config["groups"], config["use_bias"]) == ([1, 1], 1, True)
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["activation"] == "linear"
    layer(np.zeros((1, 28, 28, 1), np.float32))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 1, 32) and not bias.any()
    # Glorot uniform with Keras's fans of a conv kernel: 3·3·1 in, 3·3·32 out.
    limit = math.sqrt(6 / (9 * 1 + 9 * 32))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert layer.count_params() == 3 * 3 * 32 + 32


def test_conv2d_output_shape_on_symbolic_input():
    out = Conv2D(8, 5, strides=2, padding="same")(Input((28, 27, 3)))
    assert out.shape == (None, 14, 14, 8)
    assert Conv2D(8, 3)(Input((None, None, 3))).shape == (None, None, None, 8)
    assert Conv2D(8, 3, data_format="channels_first")(Input((3, 10, 10))).shape == (None, 8, 8, 8)
    assert Conv1D(4, 3, strides=2)(Input((11, 2))).shape == (None, 5, 4)


def test_conv2d_regularizers_and_constraints_reach_the_weights():
    layer = Conv2D(
        2,
        3,
        kernel_regularizer=regularizers.L2(0.1),
        bias_regularizer="l1",
        kernel_constraint="non_neg",
        bias_constraint=constraints.MaxNorm(1.0),
    )
    layer(np.ones((1, 5, 5, 1), np.float32))
    assert len(layer.losses) == 2
    np.testing.assert_allclose(
        layer.losses[0].numpy(), 0.1 * np.square(layer.kernel.data).sum(), rtol=1e-5
    )
    assert isinstance(layer.kernel.constraint, constraints.NonNeg)
    assert isinstance(layer.bias.constraint, constraints.MaxNorm)


def test_conv2d_fuses_relu_and_applies_other_activations():
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    relu, tanh = Conv2D(4, 3, activation="relu"), Conv2D(4, 3, activation=activations.tanh)
    linear = Conv2D(4, 3)
    linear(x)
    for layer, fn in ((relu, lambda z: np.maximum(z, 0)), (tanh, np.tanh)):
        layer(x)
        layer.set_weights(linear.get_weights())
        np.testing.assert_allclose(layer(x).numpy(), fn(linear(x).numpy()), rtol=1e-5, atol=1e-6)


def test_conv2d_keeps_float32_and_computes_in_float64_when_asked():
    layer = Conv2D(2, 3)
    x = Variable(rng.standard_normal((1, 5, 5, 1)).astype(np.float32))
    out = layer(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == layer.kernel.grad.dtype == np.float32
    with backend.floatx_scope("float64"):
        assert Conv2D(2, 3)(np.zeros((1, 5, 5, 1))).dtype == np.float64


# -- Keras 1 names -------------------------------------------------------------------------------
def test_convolution2d_takes_keras1_arguments():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        layer = Convolution2D(
            8,
            3,
            3,
            border_mode="same",
            subsample=(2, 2),
            dim_ordering="th",
            init="he_normal",
            W_regularizer=regularizers.L2(0.01),
            bias=False,
        )
    messages = " ".join(str(w.message) for w in record)
    for modern in (
        "kernel_size=(3, 3)",
        "padding=",
        "strides=",
        "data_format=",
        "kernel_initializer=",
        "kernel_regularizer=",
        "use_bias=",
    ):
        assert modern in messages, modern
    assert layer.kernel_size == (3, 3) and layer.padding == "same" and layer.strides == (2, 2)
    assert layer.data_format == "channels_first" and not layer.use_bias
    assert layer(np.zeros((1, 1, 28, 28), np.float32)).shape == (1, 8, 14, 14)
    assert isinstance(layer, Conv2D)


def test_convolution2d_keras2_spellings_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Convolution2D(4, (3, 2)).kernel_size == (3, 2)
        assert Convolution2D(4, 5).kernel_size == (5, 5)
        assert Convolution2D(4, kernel_size=2).kernel_size == (2, 2)
    with pytest.raises(ValueError, match="nb_row/nb_col and kernel_size"):
        Convolution2D(4, 3, 3, kernel_size=3)


def test_conv1d_keras1_names():
    with pytest.warns(UserWarning) as record:
        layer = Conv1D(nb_filter=4, kernel_size=3, border_mode="causal")
    assert {"filters=", "padding="} <= {
        m for w in record for m in ("filters=", "padding=") if m in str(w.message)
    }
    assert layer.filters == 4 and layer.padding == "causal"


# -- bad input -----------------------------------------------------------------------------------
def test_wrong_rank_names_the_layer_and_both_shapes():
    layer = Conv2D(4, 3, name="features")
    with pytest.raises(
        ValueError,
        match=r"'features' \(Conv2D\) must be 4-D, \(batch, height, "
        r"width, channels\). Received: input shape \(2, 28, 28\)",
    ):
        layer(np.zeros((2, 28, 28), np.float32))
    layer(np.zeros((2, 28, 28, 1), np.float32))
    with pytest.raises(
        ValueError,
        match=r"'features'.*expected ndim=4.*\(None, 28, 28, 1\).*"
        r"\(2, 28, 28\)",
    ):
        layer(np.zeros((2, 28, 28), np.float32))


def test_wrong_channel_count_names_the_layer_and_both_shapes():
    layer = Conv2D(4, 3, name="conv_a")
    layer(np.zeros((2, 8, 8, 1), np.float32))
    with pytest.raises(
        ValueError,
        match=r"'conv_a'.*axis -1.*value 1.*\(None, 8, 8, 1\).*"
        r"\(2, 8, 8, 3\)",
    ):
        layer(np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"'conv_b'.*groups=2.*\(2, 8, 8, 3\)"):
        Conv2D(4, 3, groups=2, name="conv_b")(np.zeros((2, 8, 8, 3), np.float32))


def test_kernel_larger_than_the_padded_input_names_the_layer_and_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"'big'.*kernel, of shape \(5, 5, 1, 4\).*larger than "
        r"the input with padding='valid'.*\(None, 4, 4, 1\)",
    ):
        Conv2D(4, 5, name="big")(Input((4, 4, 1)))
    layer = Conv2D(4, 3, name="small")
    layer(np.zeros((1, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match=r"'small'.*\(3, 3, 1, 4\).*\(1, 2, 2, 1\)"):
        layer(np.zeros((1, 2, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r"dilation_rate=\(3, 3\)"):
        Conv2D(4, 3, dilation_rate=3)(np.zeros((1, 6, 6, 1), np.float32))
    assert Conv2D(4, 5, padding="same")(np.zeros((1, 2, 2, 1), np.float32)).shape == (1, 2, 2, 4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"strides": 0}, "strides=0"),
        ({"strides": (1, -1)}, r"strides=\(1, -1\)"),
        ({"kernel_size": 0}, "kernel_size=0"),
        ({"kernel_size": (3, 3, 3)}, r"kernel_size=\(3, 3, 3\)"),
        ({"dilation_rate": 0}, "dilation_rate=0"),
        ({"filters": 0}, "filters=0"),
        ({"filters": 6, "groups": 4}, "filters=6, groups=4"),
        ({"groups": 0}, "groups=0"),
        ({"padding": "causal"}, "padding='causal'"),
        ({"data_format": "NCHW"}, "data_format='NCHW'"),
    ],
)
def test_bad_arguments_name_the_layer_and_the_value(kwargs, match):
    kwargs = {"filters": 4, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=match) as info:
        Conv2D(name="bad_conv", **kwargs)
    assert "Conv2D 'bad_conv'" in str(info.value)


# -- configs -------------------------------------------------------------------------------------
def test_config_round_trips():
    round_trip(
        Conv2D(
            8,
            (3, 2),
            strides=2,
            padding="same",
            dilation_rate=1,
            groups=1,
            activation="relu",
            use_bias=False,
            kernel_regularizer="l2",
            kernel_constraint="max_norm",
            data_format="channels_first",
        )
    )
    round_trip(Conv1D(4, 5, padding="causal", dilation_rate=2, groups=2))
    with pytest.warns(UserWarning, match="Keras 1 spelling"):
        layer = Convolution2D(8, 3, 3)
    rebuilt = round_trip(layer)
    assert type(rebuilt) is Convolution2D and rebuilt.kernel_size == (3, 3)


def test_default_names_are_kerass():
    assert Conv2D(1, 1).name.startswith("conv2d")
