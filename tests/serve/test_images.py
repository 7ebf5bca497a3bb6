"""Uploads: PNG and JPEG in any mode become grey levels; anything else is refused, unharmed."""

from __future__ import annotations

import concurrent.futures
import io
import struct
import threading
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from numkeras.serve import images
from numkeras.serve.images import MAX_SIDE, WORKING_SIDE, ImageError, read_grey
from numkeras.serve.limits import MAX_DECODES

from .support import png_bytes


def encoded(image: Image.Image, kind: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
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


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    image = Image.fromarray(levels.astype(np.uint16) * 257)  # 0-65535
    assert image.mode == "I;16"
    np.testing.assert_allclose(read_grey(encoded(image)), levels, atol=1e-3)


def test_16_bit_grey_with_a_transparent_level_is_paper() -> None:
    picture = np.full((8, 8), 40_000, np.uint16)
    picture[2:6, 3] = 0
    grey = read_grey(encoded(Image.fromarray(picture), transparency=40_000))
    assert grey[0, 0] == 255 and grey[3, 3] == 0


# Dark ink (0) on light paper (255), with one mid-grey pixel at (1, 1).
PAPER = np.full((12, 12), 255, np.uint8)
PAPER[3:9, 5:7] = 0
PAPER[1, 1] = 100


@pytest.mark.parametrize(
    "mode, kind, mid",
    [
        ("L", "PNG", 100),
        ("LA", "PNG", 100),
        ("RGB", "PNG", 100),
        ("RGBA", "PNG", 100),
        ("P", "PNG", 100),
        ("1", "PNG", 0),
        ("RGB", "JPEG", None),
        ("CMYK", "JPEG", None),
    ],
)
def test_every_mode_keeps_its_levels(mode: str, kind: str, mid: int | None) -> None:
    grey = read_grey(encoded(Image.fromarray(PAPER).convert(mode), kind))
    if mid is None:  # JPEG is lossy
        assert grey[0, 0] > 240 and grey[5, 5] < 15
    else:
        assert (grey[0, 0], grey[5, 5], grey[1, 1]) == (255, 0, mid)


@pytest.mark.parametrize("mode", ["P", "L", "1"])
def test_a_transparent_colour_is_paper(mode: str) -> None:
    image = Image.fromarray(PAPER).convert(mode)
    ink = int(np.asarray(image)[5, 5])
    grey = read_grey(encoded(image, transparency=ink))
    assert grey[5, 5] == 255


def test_a_large_16_bit_picture_is_shrunk_within_0_255() -> None:
    picture = np.full((600, 3000), 65535, np.uint16)
    picture[100:500, 1400:1500] = 0  # sharp edges: shrinking overshoots there
    grey = read_grey(encoded(Image.fromarray(picture)))
    assert grey.shape == (205, WORKING_SIDE)
    assert grey.min() == 0 and grey.max() == 255


def test_jpeg_is_read() -> None:
    picture = np.full((40, 40), 255, np.uint8)
    picture[5:35, 18:24] = 0
    grey = read_grey(png_bytes(picture, "JPEG"))
    assert grey.shape == (40, 40)
    assert abs(grey[20, 20]) < 30 and grey[0, 0] > 225


def test_large_pictures_are_shrunk() -> None:
    grey = read_grey(png_bytes(np.zeros((300, 3000), np.uint8)))
    assert max(grey.shape) == WORKING_SIDE


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "Could not read"),
        (b"GIF89a not a png", "Could not read"),
        (b"%PDF-1.4", "Could not read"),
        (encoded(Image.new("L", (8, 8)), "GIF"), "Could not read"),
        (
            png_bytes(np.random.default_rng(0).integers(0, 256, (30, 30), np.uint8))[:300],
            "Could not decode the PNG",
        ),
    ],
)
def test_non_images_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        read_grey(data)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG file claiming ``width`` x ``height`` 1-bit pixels, with no pixel data at all.

    Read past its header, it fails to decode; so being refused as too large proves that the
    refusal came from the header alone, before any decoding.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def test_a_small_file_of_a_huge_picture_is_refused_before_decoding() -> None:
    data = encoded(Image.new("1", (6000, 6000)))
    assert len(data) < 100_000 and 6000 > MAX_SIDE
    with pytest.raises(ImageError, match="too large.*Received: 6000x6000"):
        read_grey(data)


@pytest.mark.parametrize("width, height", [(1, 16_000_000), (16_000_000, 1), (MAX_SIDE + 1, 2)])
def test_a_long_thin_picture_is_refused_from_its_header(width: int, height: int) -> None:
    data = png_header_only(width, height)
    assert len(data) < 100
    with pytest.raises(
        ImageError,
        match=rf"each side must be at most {MAX_SIDE:,} pixels\. "
        rf"Received: {width}x{height}",
    ):
        read_grey(data)


def test_a_picture_over_pillows_own_limit_is_named_too_large() -> None:
    with pytest.raises(
        ImageError,
        match=rf"at most {MAX_SIDE:,} pixels\. Received: a picture "
        rf"of over [\d,]+ pixels",
    ):
        read_grey(png_header_only(100_000, 100_000))


def test_an_unreadable_upload_is_described_without_object_reprs() -> None:
    with pytest.raises(ImageError) as refused:
        read_grey(b"GIF89a not a png")
    message = str(refused.value)
    assert "expected a PNG or JPEG file" in message
    assert "Received: 16 bytes starting with 47 49 46 38 39 61 20 6e" in message
    assert " at 0x" not in message and "<" not in message


def test_a_picture_at_the_side_limit_is_read() -> None:
    picture = np.full((8, MAX_SIDE), 255, np.uint8)
    picture[2:6, 100:200] = 0
    grey = read_grey(png_bytes(picture))
    assert grey.shape == (2, WORKING_SIDE) and grey.min() < 128


def test_at_most_max_decodes_pictures_are_decoded_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    active, most, lock = 0, 0, threading.Lock()
    real = images._grey_levels

    def slow_grey_levels(image: Image.Image) -> np.ndarray:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return real(image)

    monkeypatch.setattr(images, "_grey_levels", slow_grey_levels)
    data = png_bytes(np.zeros((28, 28), np.uint8))
    with concurrent.futures.ThreadPoolExecutor(3 * MAX_DECODES) as pool:
        results = list(pool.map(read_grey, [data] * (3 * MAX_DECODES)))
    assert len(results) == 3 * MAX_DECODES
    assert most == MAX_DECODES
