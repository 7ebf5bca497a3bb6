"""The reshaping layers (padding, cropping, up-sampling, RepeatVector, Permute): values,
gradients, shapes, errors, configs, and forward and training step against Keras 3."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conv_layers_support import gradcheck_layer, round_trip
from keras_twin_support import assert_twins_agree

from numkeras.layers import Input
from numkeras.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)

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
    with pytest.raises(ValueError, match=r"interpolation='bicubic'"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"'up' \(UpSampling2D\) must be 4-D.*\(2, 3, 4\)"):
        UpSampling2D(name="up")(np.zeros((2, 3, 4), np.float32))


def test_config_round_trips():
    round_trip(ZeroPadding2D(((1, 2), (3, 0)), data_format="channels_first"))
    round_trip(UpSampling2D((2, 3)))


# -- RepeatVector and Permute --------------------------------------------------------------------
def test_repeat_vector_repeats_each_sample_along_a_new_axis():
    x = rng.standard_normal((4, 5)).astype(np.float32)
    layer = RepeatVector(3)
    out = layer(x).numpy()
    np.testing.assert_array_equal(out, np.repeat(x[:, None, :], 3, axis=1))
    assert out.shape == layer.compute_output_shape(x.shape) == (4, 3, 5)
    assert RepeatVector(3)(Input((5,))).shape == (None, 3, 5)
    gradcheck_layer(lambda: RepeatVector(3), x)


@pytest.mark.parametrize("dims", [(2, 1), (1, 3, 2), (3, 1, 2)])
def test_permute_reorders_the_sample_axes(dims):
    x = rng.standard_normal((2, 3, 4, 5)[: len(dims) + 1]).astype(np.float32)
    layer = Permute(dims)
    out = layer(x).numpy()
    np.testing.assert_array_equal(out, x.transpose(0, *dims))
    assert out.shape == layer.compute_output_shape(x.shape)
    assert Permute(dims)(Input(x.shape[1:])).shape == (None, *out.shape[1:])
    gradcheck_layer(lambda: Permute(dims), x)


def test_permute_keeps_unknown_sizes_symbolic():
    assert Permute((2, 1))(Input((None, 7))).shape == (None, 7, None)


def test_repeat_vector_and_permute_match_keras(keras):
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    assert_twins_agree(
        keras,
        lambda lib: [lib.layers.Permute((2, 1)), lib.layers.Dense(4), lib.layers.Flatten()],
        x,
    )
    assert_twins_agree(
        keras,
        lambda lib: [lib.layers.Flatten(), lib.layers.RepeatVector(2), lib.layers.Dense(3)],
        x,
    )


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "3"])
def test_repeat_vector_refuses_a_bad_n(n):
    with pytest.raises(ValueError, match=f"n must be a positive integer. Received: n={n!r}"):
        RepeatVector(n)


@pytest.mark.parametrize("dims", [(1, 1), (0, 1), (2, 3), (), 2, ("a", 1), (True,)])
def test_permute_refuses_dims_that_are_not_a_permutation(dims):
    with pytest.raises(ValueError, match=r"dims must be a permutation.*Received: dims="):
        Permute(dims)


def test_repeat_vector_and_permute_check_the_input_rank():
    with pytest.raises(ValueError, match=r"'rv' \(RepeatVector\).*expected ndim=2, found ndim=3"):
        RepeatVector(2, name="rv")(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"'pm' \(Permute\).*expected ndim=3, found ndim=2"):
        Permute((2, 1), name="pm")(np.zeros((2, 3), np.float32))


def test_repeat_vector_and_permute_configs_match_keras(keras):
    assert round_trip(RepeatVector(3)).n == keras.layers.RepeatVector(3).get_config()["n"]
    keras_dims = keras.layers.Permute((2, 1)).get_config()["dims"]
    assert round_trip(Permute((2, 1))).get_config()["dims"] == list(keras_dims)


# -- the 1-D layers and Cropping2D ---------------------------------------------------------------
SEQ = rng.standard_normal((2, 6, 3)).astype(np.float32)


@pytest.mark.parametrize("padding, widths", [(2, (2, 2)), ((0, 3), (0, 3))])
def test_zero_padding1d(padding, widths):
    layer = ZeroPadding1D(padding)
    out = layer(SEQ).numpy()
    np.testing.assert_array_equal(out, np.pad(SEQ, ((0, 0), widths, (0, 0))))
    assert out.shape == layer.compute_output_shape(SEQ.shape)
    first = ZeroPadding1D(padding, data_format="channels_first")(SEQ.transpose(0, 2, 1))
    np.testing.assert_array_equal(first.numpy(), out.transpose(0, 2, 1))


@pytest.mark.parametrize("cropping, kept", [(1, slice(1, 5)), ((2, 0), slice(2, 6))])
def test_cropping1d(cropping, kept):
    layer = Cropping1D(cropping)
    out = layer(SEQ).numpy()
    np.testing.assert_array_equal(out, SEQ[:, kept])
    assert out.shape == layer.compute_output_shape(SEQ.shape)


@pytest.mark.parametrize(
    "cropping, rows, cols",
    [
        (1, slice(1, 2), slice(1, 3)),
        ((1, 0), slice(1, 2), slice(0, 4)),
        (((0, 2), (1, 1)), slice(0, 1), slice(1, 3)),
    ],
)
def test_cropping2d(cropping, rows, cols):
    layer = Cropping2D(cropping)
    out = layer(X).numpy()
    np.testing.assert_array_equal(out, X[:, rows, cols])
    assert out.shape == layer.compute_output_shape(X.shape)
    first = Cropping2D(cropping, data_format="channels_first")(X.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(first.numpy(), out.transpose(0, 3, 1, 2))


def test_upsampling1d_repeats_each_step():
    layer = UpSampling1D(3)
    out = layer(SEQ).numpy()
    np.testing.assert_array_equal(out, np.repeat(SEQ, 3, axis=1))
    assert out.shape == layer.compute_output_shape(SEQ.shape) == (2, 18, 3)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ZeroPadding1D((1, 2)),
        lambda: Cropping1D((0, 2)),
        lambda: UpSampling1D(2),
        lambda: Cropping2D(((1, 0), (0, 1))),
        lambda: Cropping2D(1, data_format="channels_first"),
    ],
)
def test_gradients_1d_and_cropping(make):
    x = rng.standard_normal((2, 4, 3) if make().rank == 1 else (2, 3, 3, 4))
    gradcheck_layer(make, x)


def test_1d_keras_defaults_and_symbolic_shapes():
    assert ZeroPadding1D().padding == (1, 1) and Cropping1D().cropping == (1, 1)
    assert Cropping2D().cropping == ((0, 0), (0, 0)) and UpSampling1D().size == 2
    assert ZeroPadding1D(2)(Input((10, 3))).shape == (None, 14, 3)
    assert Cropping1D((1, 2))(Input((None, 3))).shape == (None, None, 3)
    assert UpSampling1D(3)(Input((5, 2))).shape == (None, 15, 2)
    assert Cropping2D(((1, 2), (0, 3)))(Input((8, None, 2))).shape == (None, 5, None, 2)


def test_cropping_everything_is_refused():
    with pytest.raises(ValueError, match=r"'c1' \(Cropping1D\): cropping=\(3, 3\) leaves nothing"):
        Cropping1D(3, name="c1")(SEQ)
    with pytest.raises(ValueError, match=r"cropping=\(\(2, 2\), \(0, 0\)\) leaves nothing"):
        Cropping2D((2, 0))(Input((4, 5, 1)))


def test_1d_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"Cropping1D 'c'.*cropping=\(1, 2, 3\)"):
        Cropping1D((1, 2, 3), name="c")
    with pytest.raises(ValueError, match=r"ZeroPadding1D.*padding=-1"):
        ZeroPadding1D(-1)
    with pytest.raises(ValueError, match=r"Cropping2D.*cropping=\(\(0, 0\), \(1, -1\)\)"):
        Cropping2D(((0, 0), (1, -1)))
    with pytest.raises(ValueError, match=r"size must be a positive integer. Received: size=\(2,\)"):
        UpSampling1D((2,))
    with pytest.raises(ValueError, match=r"'up1' \(UpSampling1D\) must be 3-D"):
        UpSampling1D(name="up1")(np.zeros((2, 3), np.float32))


def test_new_configs_round_trip_and_match_keras(keras):
    pairs = [
        (ZeroPadding1D((1, 2)), keras.layers.ZeroPadding1D((1, 2))),
        (Cropping1D((0, 2)), keras.layers.Cropping1D((0, 2))),
        (Cropping2D(((1, 2), (0, 3))), keras.layers.Cropping2D(((1, 2), (0, 3)))),
        (UpSampling1D(3), keras.layers.UpSampling1D(3)),
    ]
    base = {"name", "dtype", "trainable"}
    for ours, theirs in pairs:
        mine = round_trip(ours).get_config()
        expected = json.loads(json.dumps(theirs.get_config()))  # Keras's tuples as lists
        assert {k: mine[k] for k in set(mine) - base} == {
            k: expected[k] for k in set(expected) - base
        }


def test_1d_layers_match_keras(keras):
    assert_twins_agree(
        keras,
        lambda lib: [
            lib.layers.ZeroPadding1D((1, 2)),
            lib.layers.Cropping1D((2, 0)),
            lib.layers.UpSampling1D(2),
            lib.layers.Conv1D(2, 3),
            lib.layers.Flatten(),
        ],
        SEQ,
    )


def test_cropping2d_matches_keras(keras):
    assert_twins_agree(
        keras,
        lambda lib: [lib.layers.Cropping2D(((1, 0), (0, 2))), lib.layers.Conv2D(2, 2)],
        rng.standard_normal((2, 5, 6, 3)).astype(np.float32),
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_bilinear_upsampling_matches_keras(keras, data_format):
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 2)).astype(np.float32)
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)

    def make(library):
        up = library.layers.UpSampling2D((2, 3), data_format, interpolation="bilinear")
        return [up, library.layers.Conv2D(2, 2, data_format=data_format)]

    assert_twins_agree(keras, make, x)


def test_bilinear_upsampling_gradient_and_config():
    x = np.random.default_rng(6).standard_normal((1, 3, 2, 2))
    gradcheck_layer(lambda: UpSampling2D(2, interpolation="bilinear"), x)
    layer = round_trip(UpSampling2D((2, 3), interpolation="bilinear"))
    assert layer.interpolation == "bilinear" and layer.size == (2, 3)
