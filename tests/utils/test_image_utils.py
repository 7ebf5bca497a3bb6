"""load_img, img_to_array, array_to_img and save_img against Keras 3's."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import utils
from numkeras.preprocessing import image as keras2_image

RNG = np.random.default_rng(0)
PICTURE = RNG.integers(0, 256, (12, 18, 3)).astype("float32")


@pytest.fixture
def picture_file(tmp_path):
    path = tmp_path / "picture.png"
    utils.save_img(path, PICTURE, scale=False)
    return path


@pytest.mark.parametrize("color_mode", ["rgb", "grayscale", "rgba"])
@pytest.mark.parametrize(
    "target_size, interpolation, keep",
    [(None, "nearest", False), ((6, 9), "bilinear", False), ((8, 8), "bicubic", True)],
)
def test_load_img_and_img_to_array_match_keras(
    keras, picture_file, color_mode, target_size, interpolation, keep
):
    def load(library):
        img = library.utils.load_img(
            picture_file,
            color_mode=color_mode,
            target_size=target_size,
            interpolation=interpolation,
            keep_aspect_ratio=keep,
        )
        return library.utils.img_to_array(img)

    import numkeras

    ours, theirs = load(numkeras), load(keras)
    assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)


def test_a_png_keeps_the_pixels_and_channels_first_transposes(picture_file):
    array = utils.img_to_array(utils.load_img(picture_file))
    assert np.array_equal(array, PICTURE)
    first = utils.img_to_array(utils.load_img(picture_file), data_format="channels_first")
    assert first.shape == (3, 12, 18)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_array_to_img_scales_as_keras(keras, channels):
    x = RNG.random((5, 7, channels)).astype("float32")
    ours, theirs = utils.array_to_img(x), keras.utils.array_to_img(x)
    assert ours.mode == theirs.mode and np.array_equal(np.asarray(ours), np.asarray(theirs))


def test_keras2_path_and_bad_arguments(picture_file):
    assert keras2_image.load_img is utils.load_img
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(picture_file, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        utils.load_img(picture_file, target_size=(2, 2), interpolation="fancy")
    with pytest.raises(ValueError, match="rank-3"):
        utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channels"):
        utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="path"):
        utils.load_img(42)
