"""The IDX reader: good files in both forms, and every way a file can be broken."""

from __future__ import annotations

import gzip
import tracemalloc

import numpy as np
import pytest
from datasets_support import write_gzip_bomb, write_idx

from numkeras.datasets._idx import parse_idx, read_content, read_idx

IMAGES = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)


@pytest.mark.parametrize("compress", [True, False])
def test_reads_images_gzipped_or_not(tmp_path, compress):
    path = write_idx(tmp_path / "images.idx", IMAGES, compress=compress)
    array = read_idx(path, ndim=3)
    np.testing.assert_array_equal(array, IMAGES)
    assert array.dtype == np.uint8
    assert array.flags.writeable  # users scale in place; np.frombuffer would forbid it


@pytest.mark.parametrize("compress", [True, False])
def test_content_is_the_decompressed_file_and_parses_in_place(tmp_path, compress):
    path = write_idx(tmp_path / "images.idx", IMAGES, compress=compress)
    raw = gzip.decompress(path.read_bytes()) if compress else path.read_bytes()
    content = read_content(path, limit=len(raw) + 1)
    assert content == raw
    array = parse_idx(content, ndim=3, path=path)
    np.testing.assert_array_equal(array, IMAGES)
    assert array.flags.writeable and np.shares_memory(array, np.frombuffer(content, np.uint8))


def test_content_stops_at_the_limit_of_a_gzip_bomb(tmp_path):
    bomb = write_gzip_bomb(tmp_path / "bomb.gz", b"", 100_000_000)
    tracemalloc.start()
    try:
        content = read_content(bomb, limit=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert content == bytes(1000)
    assert peak < 1_000_000


def test_content_limit_must_not_be_negative(tmp_path):
    path = write_idx(tmp_path / "images.idx", IMAGES)
    with pytest.raises(
        ValueError, match="limit must be a number of bytes, 0 or more. Received: limit=-1"
    ):
        read_content(path, limit=-1)


def test_parse_reports_a_content_cut_short_or_too_long(tmp_path):
    raw = gzip.decompress(write_idx(tmp_path / "images.gz", IMAGES).read_bytes())
    with pytest.raises(ValueError, match=r"truncated.*found only 23 bytes"):
        parse_idx(bytearray(raw[:-1]), ndim=3, path="images.gz")
    with pytest.raises(ValueError, match="bytes after the 2 x 3 x 4 values"):
        parse_idx(bytearray(raw + b"\x00"), ndim=3, path="images.gz")


def test_reads_big_endian_types_as_native(tmp_path):
    values = np.array([1, -2, 300], dtype=">i4")
    array = read_idx(write_idx(tmp_path / "ints.gz", values, type_code=0x0C), ndim=1)
    np.testing.assert_array_equal(array, [1, -2, 300])
    assert array.dtype == np.dtype("int32") and array.dtype.isnative


def test_reads_the_mnist_dir_test_labels(mnist_dir):
    labels = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz", ndim=1)
    assert labels.shape == (10000,)
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test digits


def test_truncated_data_is_reported_with_sizes(tmp_path):
    path = tmp_path / "cut.gz"
    data = gzip.decompress(write_idx(path, IMAGES).read_bytes())
    path.write_bytes(gzip.compress(data[:-5]))
    with pytest.raises(ValueError, match=r"truncated.*2 x 3 x 4 values \(24 bytes.*found only 19"):
        read_idx(path, ndim=3)


def test_truncated_gzip_stream_is_reported(tmp_path, mnist_dir):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes((mnist_dir / path.name).read_bytes()[:2000])
    with pytest.raises(ValueError, match="damaged or truncated gzip"):
        read_idx(path, ndim=1)


def test_corrupted_gzip_stream_is_reported(tmp_path):
    path = write_idx(tmp_path / "bad.gz", IMAGES)
    data = bytearray(path.read_bytes())
    data[-6] ^= 0xFF  # inside the CRC-32 trailer
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged or truncated gzip"):
        read_idx(path, ndim=3)


def test_header_cut_short_is_reported(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match=r"truncated: it ends inside its sizes \(2 of 12 bytes"):
        read_idx(path, ndim=3)


@pytest.mark.parametrize("magic", [b"PK\x03\x04", b"\x00\x00\x07\x03", b"\x00\x01\x08\x03"])
def test_bad_magic_number_is_reported(tmp_path, magic):
    path = tmp_path / "not-idx"
    path.write_bytes(magic + bytes(100))
    with pytest.raises(ValueError, match=f"not an IDX file: its magic number is 0x{magic.hex()}"):
        read_idx(path, ndim=3)


def test_wrong_number_of_dimensions_is_reported(tmp_path):
    path = write_idx(tmp_path / "labels.gz", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="1 dimensions, expected 3"):
        read_idx(path, ndim=3)


def test_trailing_bytes_are_reported(tmp_path):
    path = write_idx(tmp_path / "long.gz", IMAGES, tail=b"\x00")
    with pytest.raises(ValueError, match="bytes after the 2 x 3 x 4 values"):
        read_idx(path, ndim=3)


def test_absurd_sizes_are_rejected_before_allocating(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(b"\x00\x00\x08\x03" + (0xFFFFFF).to_bytes(4, "big") * 3)
    with pytest.raises(ValueError, match="damaged header"):
        read_idx(path, ndim=3)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing.gz", ndim=1)
