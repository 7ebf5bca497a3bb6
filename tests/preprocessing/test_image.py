"""ImageDataGenerator and its flow() iterator: transforms, normalisation, batches, fit()."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from image_folders import write_image_folder
from numkeras import backend
from numkeras.layers import Activation, Dense, Flatten, Input
from numkeras.models import Sequential
from numkeras.preprocessing import DirectoryIterator, ImageDataGenerator, NumpyArrayIterator
from numkeras.utils import PyDataset, save_img, to_categorical

rng = np.random.default_rng(0)
X = rng.integers(0, 256, (10, 6, 6, 1)).astype(np.uint8)
Y = np.arange(10)
IMG = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
AUGMENTING = dict(
    rotation_range=20,
    width_shift_range=0.2,
    height_shift_range=0.1,
    shear_range=10,
    zoom_range=0.2,
    horizontal_flip=True,
    vertical_flip=True,
    channel_shift_range=5.0,
    brightness_range=(0.8, 1.2),
)


def batches(iterator: NumpyArrayIterator) -> list:
    return [iterator[i] for i in range(len(iterator))]


# -- single-image transforms (Keras's apply_transform conventions) -------------------------------
def test_theta_turns_clockwise_about_the_centre():
    out = ImageDataGenerator().apply_transform(IMG, {"theta": 90})
    np.testing.assert_allclose(out, np.rot90(IMG, -1), atol=1e-5)


def test_tx_moves_rows_and_ty_moves_columns_by_whole_pixels():
    generator = ImageDataGenerator(fill_mode="constant", cval=-1)
    up = generator.apply_transform(IMG, {"tx": 1})
    np.testing.assert_array_equal(up[:-1], IMG[1:])
    np.testing.assert_array_equal(up[-1], -1)
    left = generator.apply_transform(IMG, {"ty": 1})
    np.testing.assert_array_equal(left[:, :-1], IMG[:, 1:])
    np.testing.assert_array_equal(left[:, -1], -1)


def test_flips_and_neutral_parameters():
    generator = ImageDataGenerator()
    np.testing.assert_array_equal(
        generator.apply_transform(IMG, {"flip_horizontal": True}), IMG[:, ::-1]
    )
    np.testing.assert_array_equal(
        generator.apply_transform(IMG, {"flip_vertical": True}), IMG[::-1]
    )
    np.testing.assert_array_equal(generator.apply_transform(IMG, {"zx": 1, "zy": 1, "tx": 0}), IMG)


def test_zoom_and_shear_follow_keras_axes():
    generator = ImageDataGenerator(fill_mode="nearest")
    # zx scales rows: zoom out by 2 about the centre (1.5, 1.5): row r reads 1.5 + 2 (r - 1.5).
    out = generator.apply_transform(IMG, {"zx": 2.0})[:, 0, 0]
    np.testing.assert_allclose(out, [0, 2, 10, 12])  # rows -1.5, 0.5, 2.5, 4.5 -> clamped
    # Shear by 30 degrees: (r, c) reads row r - sin·(c - 1.5), column 1.5 + cos·(c - 1.5); the
    # image 4·row + col is linear, so bilinear sampling is exact inside it.
    sheared = generator.apply_transform(IMG, {"shear": 30})[1:3, 1:3, 0]
    r, c = np.mgrid[1:3, 1:3]
    rows, cols = r - 0.5 * (c - 1.5), 1.5 + np.cos(np.pi / 6) * (c - 1.5)
    np.testing.assert_allclose(sheared, 4 * rows + cols, rtol=1e-5)


def test_unknown_transform_parameter_is_named():
    with pytest.raises(ValueError, match="Unknown transform parameter.*'rotation'"):
        ImageDataGenerator().apply_transform(IMG, {"rotation": 3})


def test_channel_shift_and_brightness():
    image = np.stack([IMG[..., 0], 2 * IMG[..., 0]], axis=-1)
    out = ImageDataGenerator().apply_transform(image, {"channel_shift_intensity": 5.0})
    np.testing.assert_allclose(out, np.clip(image + 5, 0, 30))
    out = ImageDataGenerator().apply_transform(image, {"brightness": 0.5})
    np.testing.assert_allclose(out, image * 0.5)


def test_random_transform_is_reproducible_with_a_seed():
    generator = ImageDataGenerator(**AUGMENTING)
    params = generator.get_random_transform((6, 6, 1), seed=3)
    assert params == generator.get_random_transform((6, 6, 1), seed=3)
    assert set(params) == {
        "theta",
        "tx",
        "ty",
        "shear",
        "zx",
        "zy",
        "flip_horizontal",
        "flip_vertical",
        "channel_shift_intensity",
        "brightness",
    }
    assert abs(params["theta"]) <= 20 and abs(params["tx"]) <= 0.1 * 6
    assert abs(params["ty"]) <= 0.2 * 6 and 0.8 <= params["zx"] <= 1.2
    np.testing.assert_array_equal(
        generator.random_transform(X[0], seed=4), generator.random_transform(X[0], seed=4)
    )


def test_shift_ranges_in_pixels_and_from_values():
    draws = [
        ImageDataGenerator(width_shift_range=2).get_random_transform((8, 8, 1), seed=s)["ty"]
        for s in range(60)
    ]
    assert set(draws) == {-1.0, 0.0, 1.0}
    draws = [
        ImageDataGenerator(height_shift_range=[0.25]).get_random_transform((8, 8, 1), seed=s)["tx"]
        for s in range(20)
    ]
    assert set(draws) == {-2.0, 2.0}  # a quarter of 8 pixels, either sign
    draws = [
        ImageDataGenerator(height_shift_range=3.0).get_random_transform((8, 8, 1), seed=s)["tx"]
        for s in range(50)
    ]
    assert max(map(abs, draws)) <= 3 and len(set(draws)) == 50  # pixels, not a fraction


def test_interpolation_order_zero_keeps_pixel_values():
    generator = ImageDataGenerator(rotation_range=30, interpolation_order=0)
    out = generator.flow(X, batch_size=10, shuffle=False, seed=0)[0]
    assert set(np.unique(out)) <= set(np.unique(X.astype(np.float32)))


# -- normalisation -------------------------------------------------------------------------------
def test_rescale_only_returns_the_rescaled_data():
    batch = ImageDataGenerator(rescale=1 / 255).flow(X, Y, batch_size=10, shuffle=False)[0]
    np.testing.assert_allclose(batch[0], X / np.float32(255), rtol=1e-6)
    np.testing.assert_array_equal(batch[1], Y)
    assert batch[0].dtype == np.float32


def test_cval_is_in_the_raw_scale_before_rescale():
    generator = ImageDataGenerator(fill_mode="constant", cval=255, rescale=1 / 255)
    out = generator.apply_transform(np.zeros((4, 4, 1), np.float32), {"tx": 2})
    assert out.max() == 255  # apply_transform does not rescale
    batch = generator.standardize(out[None])
    assert batch.max() == pytest.approx(1.0)


def test_featurewise_center_and_std_normalization_with_fit():
    data = rng.normal(3.0, 2.0, (200, 5, 5, 3)).astype(np.float32) * [1, 10, 100]
    generator = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    generator.fit(data)
    assert generator.mean.shape == generator.std.shape == (1, 1, 3)
    np.testing.assert_allclose(generator.mean.ravel(), data.mean(axis=(0, 1, 2)), rtol=1e-5)
    out = np.concatenate(batches(generator.flow(data, batch_size=64, shuffle=False)))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, rtol=1e-4)


def test_featurewise_without_fit_warns():
    generator = ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match="hasn't been fit"):
        generator.standardize(X[0])


def test_std_normalization_implies_centering_with_a_warning():
    with pytest.warns(UserWarning, match="overrides setting of `featurewise_center`"):
        generator = ImageDataGenerator(featurewise_std_normalization=True)
    assert generator.featurewise_center


def test_samplewise_center_and_std():
    generator = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    out = generator.standardize(X)
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1, rtol=1e-4)
    np.testing.assert_allclose(generator.standardize(X[3]), out[3], rtol=1e-6)
    assert X.dtype == np.uint8  # the input is not modified


def test_zca_whitening_decorrelates():
    base = rng.normal(size=(500, 2, 2, 1))
    data = (base.reshape(500, 4) @ rng.normal(size=(4, 4))).reshape(500, 2, 2, 1)
    generator = ImageDataGenerator(featurewise_center=True, zca_whitening=True, zca_epsilon=1e-9)
    generator.fit(data)
    flat = generator.standardize(data).reshape(500, 4).astype(np.float64)
    np.testing.assert_allclose(flat.T @ flat / 500, np.eye(4), atol=1e-3)


def test_fit_rescales_and_with_augment_takes_statistics_of_transformed_copies():
    ones = np.ones((10, 6, 6, 1), np.float32)
    generator = ImageDataGenerator(
        featurewise_center=True, rescale=0.5, width_shift_range=3.0, fill_mode="constant"
    )
    generator.fit(ones)
    assert generator.mean.shape == (1, 1, 1) and generator.mean.item() == 0.5
    generator.fit(ones, augment=True, rounds=2, seed=0)
    assert generator.mean.item() < 0.5  # shifted copies bring in zeros
    with pytest.raises(ValueError, match="should have rank 4"):
        generator.fit(X[0])


def test_preprocessing_function_runs_on_each_image_after_the_transforms():
    seen = []

    def record(image: np.ndarray) -> np.ndarray:
        seen.append(image.shape)
        return image + 1

    out = ImageDataGenerator(preprocessing_function=record).flow(X, batch_size=4, shuffle=False)[0]
    assert seen == [(6, 6, 1)] * 4
    np.testing.assert_array_equal(out, X[:4] + 1.0)


# -- flow ----------------------------------------------------------------------------------------
def test_flow_batches_and_length():
    iterator = ImageDataGenerator().flow(X, Y, batch_size=4, shuffle=False)
    assert len(iterator) == 3
    got = batches(iterator)
    assert [len(b[1]) for b in got] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in got]), Y)
    with pytest.raises(
        ValueError, match="Asked to retrieve element 3, but the Sequence has length 3"
    ):
        iterator[3]


def test_flow_shuffles_every_epoch_and_covers_all_samples():
    iterator = ImageDataGenerator().flow(X, Y, batch_size=3, seed=0)
    first = np.concatenate([b[1] for b in batches(iterator)])
    iterator.on_epoch_end()
    second = np.concatenate([b[1] for b in batches(iterator)])
    assert sorted(first) == sorted(second) == list(Y)
    assert not np.array_equal(first, second)
    x, y = iterator[0]
    np.testing.assert_array_equal(x, X[np.searchsorted(Y, y)].astype(np.float32))


def test_flow_next_runs_endlessly_and_reshuffles_each_pass():
    iterator = ImageDataGenerator().flow(X, Y, batch_size=4, seed=1)
    labels = [next(iterator)[1] for _ in range(6)]
    assert [len(y) for y in labels] == [4, 4, 2, 4, 4, 2]
    assert sorted(np.concatenate(labels[:3])) == sorted(np.concatenate(labels[3:])) == list(Y)
    assert iter(iterator) is iterator


def test_flow_seed_reproduces_and_set_random_seed_reproduces_unseeded():
    generator = ImageDataGenerator(**AUGMENTING)

    def run(**kwargs):
        return batches(generator.flow(X, Y, batch_size=4, **kwargs))

    for a, b in zip(run(seed=5), run(seed=5)):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(run(seed=5)[0][0], run(seed=6)[0][0])
    backend.set_random_seed(9)
    first = run()
    backend.set_random_seed(9)
    for a, b in zip(first, run()):
        np.testing.assert_array_equal(a[0], b[0])


def test_every_request_is_a_new_random_variation():
    iterator = ImageDataGenerator(rotation_range=40).flow(X, batch_size=10, shuffle=False)
    assert not np.array_equal(iterator[0], iterator[0])


def test_flow_with_sample_weight_and_without_y():
    weights = np.linspace(0, 1, 10)
    x, y, w = ImageDataGenerator().flow(X, Y, batch_size=5, shuffle=False, sample_weight=weights)[1]
    np.testing.assert_array_equal(y, Y[5:])
    np.testing.assert_array_equal(w, weights[5:])
    assert isinstance(ImageDataGenerator().flow(X, batch_size=5)[0], np.ndarray)


def test_validation_subset_is_the_first_fraction():
    generator = ImageDataGenerator(validation_split=0.3)
    labels = np.tile([0, 1], 5)
    val = generator.flow(X, labels, batch_size=10, shuffle=False, subset="validation")
    train = generator.flow(X, labels, batch_size=10, shuffle=False, subset="training")
    np.testing.assert_array_equal(val[0][0], X[:3].astype(np.float32))
    np.testing.assert_array_equal(train[0][0], X[3:].astype(np.float32))
    with pytest.raises(ValueError, match="different number of classes"):
        generator.flow(X, np.sort(labels), subset="validation")
    generator.flow(X, np.sort(labels), subset="validation", ignore_class_split=True)


def test_channels_first_matches_channels_last():
    last = ImageDataGenerator(**AUGMENTING).flow(X, batch_size=10, seed=2)[0]
    first = ImageDataGenerator(**AUGMENTING, data_format="channels_first").flow(
        np.moveaxis(X, -1, 1), batch_size=10, seed=2
    )[0]
    np.testing.assert_allclose(np.moveaxis(first, 1, -1), last, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(zoom_range=(0.5, 1, 2)), "zoom_range must be a tuple or list of two floats"),
        (dict(fill_mode="mirror"), "fill_mode must be one of"),
        (dict(interpolation_order=3), "interpolation_order must be 0"),
        (dict(width_shift_range="wide"), "width_shift_range must be a float"),
        (dict(rotation_range=-5), "rotation_range must be a non-negative number"),
        (dict(validation_split=1.5), "validation_split must be strictly between 0 and 1"),
        (dict(data_format="NHWC"), "data_format must be"),
        (dict(brightness_range=0.5), "brightness_range must be a tuple"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImageDataGenerator(**kwargs)


def test_flow_rejects_bad_data():
    generator = ImageDataGenerator()
    with pytest.raises(ValueError, match="should have rank 4"):
        generator.flow(X[..., 0], Y)
    with pytest.raises(ValueError, match="should have the same length"):
        generator.flow(X, Y[:5])
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        generator.flow(X, Y, batch_size=0)
    with pytest.raises(ValueError, match="subset must be"):
        generator.flow(X, Y, subset="test")
    with pytest.warns(UserWarning, match="1, 3 or 4 channels"):
        generator.flow(np.zeros((2, 1, 6, 6)), batch_size=1)


# -- model.fit on flow() -------------------------------------------------------------------------
def stripes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """8x8 images of a horizontal (class 0) or vertical (class 1) bar at a random place."""
    r = np.random.default_rng(seed)
    labels = r.integers(0, 2, n)
    images = np.zeros((n, 8, 8, 1), np.float32)
    where = r.integers(1, 7, n)
    images[labels == 0, where[labels == 0], 1:7] = 1.0
    images[labels == 1, 1:7, where[labels == 1]] = 1.0
    return images, to_categorical(labels, 2)


def bar_model() -> Sequential:
    model = Sequential(
        [Input((8, 8, 1)), Flatten(), Dense(16, activation="relu"), Dense(2), Activation("softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("steps_per_epoch", [None, 4])
def test_fit_on_flow_learns(steps_per_epoch):
    x, y = stripes(160, seed=0)
    x_test, y_test = stripes(200, seed=1)
    model = bar_model()
    before = model.evaluate(x_test, y_test, verbose=0)[1]
    flow = ImageDataGenerator(width_shift_range=1, height_shift_range=1).flow(
        x, y, batch_size=32, seed=0
    )
    history = model.fit(flow, epochs=12, steps_per_epoch=steps_per_epoch, verbose=0)
    after = model.evaluate(x_test, y_test, verbose=0)[1]
    assert len(history.history["loss"]) == 12
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert after > max(before, 0.9)


def test_fit_on_the_flow_as_an_endless_generator():
    x, y = stripes(64, seed=2)
    model = bar_model()
    history = model.fit(
        iter(ImageDataGenerator().flow(x, y, batch_size=16, seed=0)),
        steps_per_epoch=4,
        epochs=3,
        verbose=0,
    )
    assert len(history.history["loss"]) == 3


# -- flow_from_directory -------------------------------------------------------------------------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_image_folder(tmp_path / "photos", {"cats": 5, "dogs": 4, ".cache": 2})


@pytest.mark.parametrize("subset", [None, "training", "validation"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"color_mode": "grayscale", "interpolation": "bilinear"},
        {"color_mode": "rgba", "keep_aspect_ratio": True},
    ],
)
def test_flow_from_directory_reads_what_keras_2_reads(folder, keras, subset, options):
    from keras.src.legacy.preprocessing.image import ImageDataGenerator as KerasGenerator

    kwargs = dict(target_size=(7, 5), shuffle=False, batch_size=64, subset=subset, **options)
    expected = KerasGenerator(validation_split=0.4, rescale=1 / 255).flow_from_directory(
        str(folder), **kwargs
    )
    flow = ImageDataGenerator(validation_split=0.4, rescale=1 / 255).flow_from_directory(
        folder, **kwargs
    )
    assert flow.filenames == expected.filenames
    assert flow.filepaths == expected.filepaths
    assert flow.class_indices == expected.class_indices == {".cache": 0, "cats": 1, "dogs": 2}
    np.testing.assert_array_equal(flow.classes, expected.classes)
    assert (flow.samples, len(flow), flow.image_shape) == (
        expected.samples,
        len(expected),
        expected.image_shape,
    )
    (x, y), (x_keras, y_keras) = flow[0], expected[0]
    np.testing.assert_allclose(x, x_keras, rtol=1e-6)
    np.testing.assert_array_equal(y, y_keras)


def test_class_modes_and_chosen_classes(folder):
    def first_batch(**kwargs):
        generator = ImageDataGenerator()
        return generator.flow_from_directory(
            folder, target_size=(4, 4), shuffle=False, classes=["dogs", "cats"], **kwargs
        )[0]

    x, one_hot = first_batch()
    assert x.shape == (9, 4, 4, 3)
    np.testing.assert_array_equal(one_hot, np.eye(2)[[0] * 4 + [1] * 5])
    for mode in ("sparse", "binary"):
        np.testing.assert_array_equal(first_batch(class_mode=mode)[1], [0] * 4 + [1] * 5)
    x, same = first_batch(class_mode="input")
    np.testing.assert_array_equal(x, same)
    assert isinstance(first_batch(class_mode=None), np.ndarray)


def test_flow_from_directory_augments_each_image(folder):
    plain = ImageDataGenerator().flow_from_directory(folder, target_size=(6, 6), shuffle=False)
    flipping = ImageDataGenerator(horizontal_flip=True).flow_from_directory(
        folder, target_size=(6, 6), shuffle=False, seed=0
    )
    x, flipped = plain[0][0], flipping[0][0]
    mirrored = [np.array_equal(f, i[:, ::-1]) for f, i in zip(flipped, x)]
    kept = [np.array_equal(f, i) for f, i in zip(flipped, x)]
    assert all(m or k for m, k in zip(mirrored, kept)) and any(mirrored) and any(kept)


def test_flow_from_directory_is_a_py_dataset_and_an_endless_iterator(folder):
    flow = ImageDataGenerator().flow_from_directory(
        folder, target_size=(4, 4), batch_size=4, seed=3
    )
    assert isinstance(flow, (DirectoryIterator, PyDataset)) and len(flow) == 3
    sizes = [len(next(flow)[0]) for _ in range(4)]
    assert sizes == [4, 4, 3, 4]


def test_save_to_dir_writes_every_augmented_image(folder, tmp_path):
    out = tmp_path / "augmented"
    out.mkdir()
    flow = ImageDataGenerator(rotation_range=30).flow_from_directory(
        folder, target_size=(5, 5), batch_size=4, save_to_dir=out, save_prefix="aug", seed=0
    )
    flow[0]
    saved = sorted(p.name for p in out.iterdir())
    assert len(saved) == 4 and all(n.startswith("aug_") and n.endswith(".png") for n in saved)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"class_mode": "raw"}, "class_mode must be one of"),
        ({"color_mode": "cmyk"}, "color_mode must be one of"),
        ({"subset": "test"}, "subset must be"),
        ({"target_size": (0, 4)}, "target_size must be"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_flow_from_directory_names_bad_arguments(folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImageDataGenerator().flow_from_directory(folder, **kwargs)


def test_fit_on_flow_from_directory_learns(tmp_path):
    for name, seed in (("train", 0), ("test", 1)):
        images, labels = stripes(160, seed=seed)
        for i, (image, label) in enumerate(zip(images, labels.argmax(1))):
            (tmp_path / name / str(label)).mkdir(parents=True, exist_ok=True)
            save_img(tmp_path / name / str(label) / f"{i:03d}.png", image * 255, scale=False)
    generator = ImageDataGenerator(rescale=1 / 255, validation_split=0.25)
    read = dict(target_size=(8, 8), color_mode="grayscale", batch_size=16, seed=0)
    training = generator.flow_from_directory(tmp_path / "train", subset="training", **read)
    validation = generator.flow_from_directory(tmp_path / "train", subset="validation", **read)
    test = generator.flow_from_directory(tmp_path / "test", shuffle=False, **read)
    model = bar_model()
    history = model.fit(training, validation_data=validation, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(test, verbose=0)[1] > 0.9
