"""Rescaling, Normalization (with adapt), CenterCrop and Resizing: formulas and outputs against
Keras 3, streaming statistics, gradients, symbolic shapes, saving, errors, configs; and the
augmentation layers inside a saved model."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import gradcheck_layer, round_trip

from numkeras import backend
from numkeras.layers import Dense, Flatten, Input
from numkeras.layers.augmentation import (
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from numkeras.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from numkeras.models import Model, Sequential, load_model

rng = np.random.default_rng(0)


def _symbolic_shape(layer, shape):
    """The output shape of ``layer`` in a functional model on an ``Input`` of ``shape``."""
    inputs = Input(shape)
    outputs = layer(inputs)
    Model(inputs, outputs)
    return tuple(outputs.shape)


# -- Rescaling ---------------------------------------------------------------------------------
def test_rescaling_formula_and_dtype():
    pixels = rng.integers(0, 256, (2, 3, 3, 3)).astype(np.uint8)
    out = Rescaling(1 / 127.5, offset=-1)(pixels).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, pixels / 127.5 - 1, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs", [{"scale": 0.5}, {"scale": [1.0, 2.0, 3.0], "offset": [0.0, 0.5, -1.0]}]
)
def test_rescaling_matches_keras(keras, kwargs):
    x = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    theirs = np.asarray(keras.layers.Rescaling(**kwargs)(x))
    np.testing.assert_allclose(Rescaling(**kwargs)(x).numpy(), theirs, atol=1e-6)


def test_rescaling_per_channel_under_channels_first():
    backend.set_image_data_format("channels_first")
    try:
        out = Rescaling([1.0, 10.0])(np.ones((1, 2, 3, 3), np.float32)).numpy()
    finally:
        backend.set_image_data_format("channels_last")
    np.testing.assert_array_equal(out[0, :, 0, 0], [1.0, 10.0])


def test_rescaling_rejects_a_non_number():
    with pytest.raises(ValueError, match="scale='big'"):
        Rescaling("big")


# -- Normalization -----------------------------------------------------------------------------
def test_normalization_adapt_on_an_array_learns_the_moments():
    x = rng.normal(3.0, 2.0, (200, 4)).astype(np.float32)
    layer = Normalization()
    layer.adapt(x)
    mean, variance, count = layer.get_weights()
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(variance, x.var(0), rtol=1e-5)
    assert count == 200 and [w.name.split("/")[-1] for w in layer.weights] == [
        "mean",
        "variance",
        "count",
    ]
    assert layer.trainable_weights == []
    out = layer(x).numpy()
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1, atol=1e-5)


@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
def test_normalization_streaming_adapt_equals_one_pass(axis):
    x = rng.normal(5.0, 3.0, (50, 3, 4))
    whole, streamed = Normalization(axis=axis), Normalization(axis=axis)
    whole.adapt(x)
    # Uneven batches of (x, y) tuples from a generator, as a data set yields them.
    streamed.adapt((x[i : i + 7], None) for i in range(0, 50, 7))
    for a, b in zip(whole.get_weights(), streamed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_normalization_adapt_is_numerically_sound_far_from_zero():
    # E[x²] - E[x]² in float32 would lose every digit of a variance of 1 at a mean of 1e4.
    x = 1e4 + rng.standard_normal((1000, 2))
    layer = Normalization()
    layer.adapt(list(np.split(x, 10)))
    np.testing.assert_allclose(layer.get_weights()[1], x.var(0), rtol=1e-4)


class _Batches:
    """A data set indexed by batch, as Keras's ``PyDataset``: ``__len__`` and ``__getitem__``."""

    def __init__(self, x: np.ndarray):
        self.x = x

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.x[index * 25 : (index + 1) * 25], np.zeros(25)


def test_normalization_adapt_on_a_data_set_indexed_by_batch():
    x = rng.normal(1.0, 2.0, (100, 3))
    layer = Normalization()
    layer.adapt(_Batches(x))
    np.testing.assert_allclose(layer.get_weights()[0], x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], x.var(0), rtol=1e-5)


def test_normalization_adapt_batch_size_and_steps():
    x = rng.standard_normal((100, 3))
    layer = Normalization()
    layer.adapt(x, batch_size=30, steps=2)  # the first 60 samples only
    np.testing.assert_allclose(layer.get_weights()[0], x[:60].mean(0), rtol=1e-5)
    assert layer.get_weights()[2] == 60


def test_normalization_matches_keras_after_adapt(keras):
    x = rng.normal(2.0, 4.0, (64, 3, 5)).astype(np.float32)
    ours, theirs = Normalization(axis=(1, 2)), keras.layers.Normalization(axis=(1, 2))
    ours.adapt(x)
    theirs.adapt(x)
    # mean and variance; Keras 3 leaves its third weight, count, at 0.
    for a, b in zip(ours.get_weights()[:2], theirs.get_weights()[:2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.0]},
        {"axis": None, "mean": 2.0, "variance": 9.0},
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0], "invert": True},
    ],
)
def test_normalization_with_given_statistics_matches_keras(keras, kwargs):
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    theirs = np.asarray(keras.layers.Normalization(**kwargs)(x))
    layer = Normalization(**kwargs)
    np.testing.assert_allclose(layer(x).numpy(), theirs, atol=1e-5)
    assert layer.weights == []


def test_normalization_gradient():
    gradcheck_layer(
        lambda: Normalization(mean=[1.0, -2.0], variance=[4.0, 0.5]), rng.standard_normal((3, 2))
    )


def test_normalization_statistics_are_saved_with_the_model(tmp_path):
    x = rng.normal(10.0, 3.0, (40, 3)).astype(np.float32)
    norm = Normalization()
    norm.adapt(x)
    model = Sequential([Input((3,)), norm, Dense(2)])
    model.save(tmp_path / "m.numkeras")
    loaded = load_model(tmp_path / "m.numkeras")
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Normalization(mean=1.0), ValueError, "both mean and variance"),
        (lambda: Normalization(axis="x"), ValueError, "axis='x'"),
        (lambda: Normalization(mean=[[1.0]], variance=[[1.0]]), ValueError, "at most 1 axes"),
        (lambda: Normalization().adapt([]), ValueError, "no data"),
        (lambda: Normalization().adapt(3), TypeError, "data of type int"),
        (
            lambda: Normalization(mean=0.0, variance=1.0).adapt(np.ones((2, 2))),
            ValueError,
            "learns them only when both are None",
        ),
        (
            lambda: Normalization().adapt([np.ones((2, 3)), np.ones((2, 4))]),
            ValueError,
            r"batch of shape \(2, 4\)",
        ),
    ],
)
def test_normalization_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


# -- CenterCrop and Resizing -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size_in", "size_out"),
    [((7, 9), (3, 4)), ((6, 6), (6, 6)), ((4, 8), (6, 5)), ((5, 5), (2, 7))],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_center_crop_matches_keras(keras, size_in, size_out, data_format):
    shape = (2, *size_in, 3) if data_format == "channels_last" else (2, 3, *size_in)
    x = rng.standard_normal(shape).astype(np.float32)
    layer = CenterCrop(*size_out, data_format=data_format)
    theirs = np.asarray(keras.layers.CenterCrop(*size_out, data_format=data_format)(x))
    np.testing.assert_allclose(layer(x).numpy(), theirs, atol=2e-6)
    assert _symbolic_shape(layer, shape[1:]) == (None, *theirs.shape[1:])


def test_center_crop_takes_the_middle_window():
    image = np.arange(50.0).reshape(1, 5, 10, 1)
    expected = image[0, 1:4, 3:7, 0]
    np.testing.assert_array_equal(CenterCrop(3, 4)(image).numpy()[0, ..., 0], expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"interpolation": "nearest"},
        {"crop_to_aspect_ratio": True},
        {"interpolation": "nearest", "crop_to_aspect_ratio": True},
        {"pad_to_aspect_ratio": True, "fill_value": 0.5},
        {"data_format": "channels_first"},
    ],
)
@pytest.mark.parametrize(("size_in", "size_out"), [((7, 9), (4, 3)), ((4, 5), (8, 6))])
def test_resizing_matches_keras(keras, kwargs, size_in, size_out):
    first = kwargs.get("data_format") == "channels_first"
    shape = (2, 3, *size_in) if first else (2, *size_in, 3)
    x = rng.standard_normal(shape).astype(np.float32)
    layer = Resizing(*size_out, **kwargs)
    theirs = np.asarray(keras.layers.Resizing(*size_out, **kwargs)(x))
    np.testing.assert_allclose(layer(x).numpy(), theirs, atol=2e-6)
    assert _symbolic_shape(layer, shape[1:]) == (None, *theirs.shape[1:])


def test_resizing_one_image():
    image = rng.random((5, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(
        Resizing(3, 3)(image).numpy(), Resizing(3, 3)(image[None]).numpy()[0]
    )


@pytest.mark.parametrize(
    "kwargs", [{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True}]
)
def test_resizing_bilinear_gradient(kwargs):
    gradcheck_layer(lambda: Resizing(3, 5, **kwargs), rng.random((2, 4, 7, 2)))


def test_resizing_keras_defaults():
    layer = Resizing(2, 3)
    assert (layer.interpolation, layer.crop_to_aspect_ratio, layer.antialias) == (
        "bilinear",
        False,
        False,
    )
    assert (layer.pad_to_aspect_ratio, layer.fill_mode, layer.fill_value) == (
        False,
        "constant",
        0.0,
    )
    assert layer.data_format == "channels_last"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Resizing(0, 3), r"size must be \(height, width\)"),
        (lambda: Resizing(2, 3, interpolation="bicubic"), "interpolation='bicubic'"),
        (lambda: Resizing(2, 3, antialias=True), "antialias=False only"),
        (lambda: Resizing(2, 3, fill_mode="reflect"), "fill_mode='reflect'"),
        (
            lambda: Resizing(2, 3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
            "not both",
        ),
        (lambda: CenterCrop(2, 3, data_format="nhwc"), "data_format"),
        (lambda: CenterCrop(2, 3, name="cc")(np.ones((2, 3))), r"'cc'.*Received: 2-D input"),
    ],
)
def test_image_sizing_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# -- configs and saved models ------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer",
    [
        Rescaling(1 / 255),
        Rescaling([1.0, 2.0], offset=[0.0, 1.0]),
        Normalization(),
        Normalization(axis=None, mean=1.0, variance=2.0, invert=True),
        Normalization(axis=(1, 2), mean=[[1.0, 2.0]], variance=[[3.0, 4.0]]),
        CenterCrop(3, 4, data_format="channels_first"),
        Resizing(3, 4, interpolation="nearest", crop_to_aspect_ratio=True),
        Resizing(3, 4, pad_to_aspect_ratio=True, fill_value=1.0, data_format="channels_first"),
    ],
)
def test_configs_round_trip(layer):
    round_trip(layer)


def test_preprocessing_and_augmentation_layers_in_a_saved_model(tmp_path):
    x = rng.integers(0, 256, (6, 10, 12, 3)).astype(np.float32)
    norm = Normalization()
    norm.adapt(x / 255)
    model = Sequential(
        [
            Input((10, 12, 3)),
            Resizing(8, 8, crop_to_aspect_ratio=True),
            CenterCrop(6, 6),
            Rescaling(1 / 255),
            norm,
            RandomFlip(seed=1),
            RandomRotation(0.1, seed=2),
            RandomTranslation(0.1, 0.1, seed=3),
            RandomZoom(0.1, seed=4),
            RandomContrast(0.2, seed=5),
            Flatten(),
            Dense(2),
        ]
    )
    model.compile("sgd", "mse")
    model.fit(x, rng.standard_normal((6, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "augmented.numkeras")
    loaded = load_model(tmp_path / "augmented.numkeras")
    assert [layer.get_config() for layer in loaded.layers] == [
        layer.get_config() for layer in model.layers
    ]
    # Augmentation is off at inference, so the loaded model predicts exactly as the saved one.
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, rng.standard_normal((6, 2)), epochs=1, verbose=0)
