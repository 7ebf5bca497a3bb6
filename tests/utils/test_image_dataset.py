"""image_dataset_from_directory: file order, labels, split and pixels as Keras 3; fit on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from image_folders import write_image_folder
from numkeras.layers import Dense, Flatten, Input
from numkeras.models import Sequential
from numkeras.utils import PyDataset, image_dataset_from_directory

COUNTS = {"cats": 5, "dogs": 4, ".cache": 2}  # Keras 3 skips the hidden folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_image_folder(tmp_path / "photos", COUNTS)


def read(folder: Path, **kwargs) -> PyDataset:
    kwargs = {"image_size": (4, 6), "batch_size": 100, "verbose": False, **kwargs}
    return image_dataset_from_directory(folder, **kwargs)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("subset", ["training", "validation"])
def test_files_labels_and_split_are_keras_s(folder, keras, shuffle, subset):
    from keras.src.utils import dataset_utils, image_dataset_utils

    paths, labels, class_names = dataset_utils.index_directory(
        str(folder), "inferred", image_dataset_utils.ALLOWLIST_FORMATS, shuffle=shuffle, seed=7
    )
    paths, labels = dataset_utils.get_training_or_validation_split(paths, labels, 0.3, subset)
    dataset = read(folder, shuffle=shuffle, seed=7, validation_split=0.3, subset=subset)
    assert dataset.class_names == class_names == ["cats", "dogs"]
    assert dataset.file_paths == paths
    np.testing.assert_array_equal(dataset.labels, labels)
    if not shuffle:  # unshuffled batches come in the listing's order
        np.testing.assert_array_equal(dataset[0][1], labels)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"color_mode": "grayscale", "interpolation": "nearest"},
        {"color_mode": "rgba", "crop_to_aspect_ratio": True},
        {"pad_to_aspect_ratio": True, "image_size": (9, 3)},
    ],
)
def test_pixels_are_those_of_keras_s_pillow_loader(folder, keras, options):
    from keras.src.utils.image_dataset_utils import _load_image_grain

    dataset = read(folder, shuffle=False, **options)
    images, _ = dataset[0]
    expected = [
        _load_image_grain(
            path,
            dataset.image_size,
            {"grayscale": 1, "rgb": 3, "rgba": 4}[options.get("color_mode", "rgb")],
            options.get("interpolation", "bilinear"),
            "channels_last",
            options.get("crop_to_aspect_ratio", False),
            options.get("pad_to_aspect_ratio", False),
        )
        for path in dataset.file_paths
    ]
    assert images.dtype == np.float32
    # Equal up to float32 rounding of the blend (pixels are 0-255).
    np.testing.assert_allclose(images, np.stack([np.asarray(e) for e in expected]), rtol=1e-5)


def test_channels_first_moves_the_channels(folder):
    last = read(folder, shuffle=False)[0][0]
    first = read(folder, shuffle=False, data_format="channels_first")[0][0]
    np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))


def test_label_modes(folder):
    int_labels = read(folder, shuffle=False)[0][1]
    assert int_labels.dtype == np.int32 and int_labels.tolist() == [0] * 5 + [1] * 4
    one_hot = read(folder, shuffle=False, label_mode="categorical")[0][1]
    np.testing.assert_array_equal(one_hot, np.eye(2, dtype=np.float32)[int_labels])
    binary = read(folder, shuffle=False, label_mode="binary")[0][1]
    assert binary.dtype == np.float32 and binary.shape == (9, 1)
    # Without labels Keras reads the whole tree, the hidden folder's 2 images included.
    images = read(folder, shuffle=False, label_mode=None)[0]
    assert isinstance(images, np.ndarray) and images.shape == (11, 4, 6, 3)


def test_class_names_pick_and_order_the_classes(folder):
    dataset = read(folder, shuffle=False, class_names=["dogs", "cats"])
    assert dataset.class_names == ["dogs", "cats"]
    assert dataset[0][1].tolist() == [0] * 4 + [1] * 5
    assert all("/dogs/" in p for p in dataset.file_paths[:4])


def test_labels_given_as_a_list_and_no_labels(folder):
    labels = [3, 1, 3, 1, 1, 3, 1, 1, 3, 3, 1]  # one per file, hidden folder included
    dataset = read(folder, labels=labels, shuffle=False)
    assert dataset.class_names == ["1", "3"]
    assert dataset[0][1].tolist() == labels
    unlabelled = read(folder, labels=None, shuffle=False)
    assert unlabelled.class_names is None and len(unlabelled.file_paths) == 11


def test_subset_both_splits_without_overlap(folder, capsys):
    training, validation = read(folder, seed=1, validation_split=0.25, subset="both", verbose=True)
    assert "Found 9 files belonging to 2 classes." in capsys.readouterr().out
    assert len(training.file_paths) == 7 and len(validation.file_paths) == 2
    assert not set(training.file_paths) & set(validation.file_paths)
    assert training.shuffle and not validation.shuffle  # Keras reshuffles training only


def test_batches_and_a_new_order_every_epoch(folder):
    dataset = read(folder, batch_size=4, seed=0)
    assert len(dataset) == 3 and [len(dataset[i][1]) for i in range(3)] == [4, 4, 1]
    first = np.concatenate([dataset[i][0] for i in range(3)])
    dataset.on_epoch_end()
    second = np.concatenate([dataset[i][0] for i in range(3)])
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.sort(first, axis=None), np.sort(second, axis=None))
    single = read(folder, batch_size=None, shuffle=False)
    assert len(single) == 9 and single[0][0].shape == (4, 6, 3) and single[0][1] == 0


def test_fit_evaluate_and_predict_read_it(folder):
    training, validation = read(
        folder, batch_size=4, seed=2, validation_split=0.3, subset="both", label_mode="binary"
    )
    model = Sequential([Input((4, 6, 3)), Flatten(), Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    history = model.fit(training, validation_data=validation, epochs=2, verbose=0)
    assert np.isfinite(history.history["val_loss"]).all()
    assert np.isfinite(model.evaluate(validation, verbose=0))
    assert model.predict(validation, verbose=0).shape == (2, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label_mode": "sparse"}, "label_mode must be one of"),
        ({"labels": "folders"}, "labels must be 'inferred'"),
        ({"labels": [0] * 11, "class_names": ["a"]}, "class_names can only be given"),
        ({"validation_split": 0.2, "subset": "training"}, "needs a seed"),
        ({"validation_split": 0.2}, "give both or neither"),
        ({"validation_split": 1.5, "subset": "training", "seed": 1}, "between 0 and 1"),
        ({"subset": "test", "validation_split": 0.2, "seed": 1}, "subset must be one of"),
        ({"interpolation": "bicubic"}, "interpolation must be one of"),
        ({"color_mode": "cmyk"}, "color_mode must be one of"),
        ({"label_mode": None, "class_names": ["cats"]}, "class_names can only be given"),
        ({"image_size": (4,)}, "size must be"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"class_names": ["cats", "birds"]}, "class_names must name subfolders"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "Only one of"),
    ],
)
def test_bad_arguments_are_named(folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        read(folder, **kwargs)


def test_binary_needs_two_classes_and_a_folder_needs_images(tmp_path):
    three = write_image_folder(tmp_path / "three", {"a": 1, "b": 1, "c": 1})
    with pytest.raises(ValueError, match="exactly 2 classes"):
        read(three, label_mode="binary")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images found"):
        read(tmp_path / "empty")
    with pytest.raises(ValueError, match="directory must be an existing folder"):
        read(tmp_path / "missing")
