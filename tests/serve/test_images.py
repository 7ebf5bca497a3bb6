"""Uploads: PNG and JPEG in any mode become grey levels; anything else is refused, unharmed."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from numkeras.serve.images import MAX_PIXELS, WORKING_SIDE, ImageError, read_grey

from .support import png_bytes


def encoded(image: Image.Image, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def test_a_grey_png_is_read_exactly() -> None:
    picture = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    grey = read_grey(png_bytes(picture))
    assert grey.dtype == np.float32
    np.testing.assert_array_equal(grey, picture)


def test_transparent_pixels_are_white_paper() -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)  # transparent everywhere...
    rgba[2:8, 4:6] = (0, 0, 0, 255)  # ...but a black opaque stroke
    grey = read_grey(encoded(Image.fromarray(rgba)))
    assert grey[0, 0] == 255 and grey[5, 5] == 0


@pytest.mark.parametrize("mode", ["RGB", "P", "1", "I;16"])
def test_other_modes_become_grey(mode: str) -> None:
    picture = np.full((12, 12), 255, np.uint8)
    picture[3:9, 5:7] = 0
    image = Image.fromarray(picture).convert(mode)
    grey = read_grey(encoded(image))
    assert grey.shape == (12, 12)
    assert grey[0, 0] > grey[5, 5]


def test_jpeg_is_read() -> None:
    picture = np.full((40, 40), 255, np.uint8)
    picture[5:35, 18:24] = 0
    grey = read_grey(png_bytes(picture, "JPEG"))
    assert grey.shape == (40, 40)
    assert abs(grey[20, 20]) < 30 and grey[0, 0] > 225


def test_large_pictures_are_shrunk() -> None:
    grey = read_grey(png_bytes(np.zeros((300, 3000), np.uint8)))
    assert max(grey.shape) == WORKING_SIDE


@pytest.mark.parametrize("data, message", [
    (b"", "Could not read"),
    (b"GIF89a not a png", "Could not read"),
    (b"%PDF-1.4", "Could not read"),
    (encoded(Image.new("L", (8, 8)), "GIF"), "Could not read"),
    (png_bytes(np.random.default_rng(0).integers(0, 256, (30, 30), np.uint8))[:300],
     "Could not decode the PNG"),
])
def test_non_images_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        read_grey(data)


def test_a_small_file_of_a_huge_picture_is_refused_before_decoding() -> None:
    data = encoded(Image.new("1", (6000, 6000)))
    assert len(data) < 100_000 and 6000 * 6000 > MAX_PIXELS
    with pytest.raises(ImageError, match="too large.*Received: 6000x6000"):
        read_grey(data)
