"""Reader for IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in C order. MNIST ships them gzipped (``*.gz``); both forms are
read, told apart by the gzip signature rather than the file name.

A file is read in two steps, so that a file that must pass a checksum is never parsed before it
has: :func:`read_content` decompresses at most a given number of bytes into one buffer (a
checksum is taken of that), and :func:`parse_idx` turns the buffer into an array without
copying it. :func:`read_idx` does both for a file that needs no checksum, bounding what it reads
by the sizes in the file's header.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

_GZIP_SIGNATURE = b"\x1f\x8b"
_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
# The largest MNIST-style file is 47 MB; a header claiming far more is damaged, and trusting it
# would ask for an absurd allocation before the truncation is noticed.
_MAX_BYTES = 1 << 32


def read_idx(path: str | os.PathLike[str], ndim: int) -> np.ndarray:
    """The array stored in an IDX file (gzipped or not), as a writable native-endian array.

    Reads no more than the sizes in the file's header announce (plus one byte, to notice
    trailing data), and no file whose header announces more than 4 GiB.

    Args:
        path: the file.
        ndim: the number of dimensions it must hold (3 for images, 1 for labels).

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        ValueError: if the file is not an IDX file of ``ndim`` dimensions, is truncated, has
            bytes after its data, or is a damaged gzip stream.
    """
    path = Path(path)
    with _content_stream(path) as stream:
        header = _read_exactly(stream, 4, path, "its 4-byte magic number")
        _check_magic(header, ndim, path)
        header += _read_exactly(stream, 4 * ndim, path, "its sizes")
        dtype, shape = _layout(header, path)
        content = _fill(stream, math.prod(shape) * dtype.itemsize + 1, header)
    return parse_idx(content, ndim, path)


def read_content(path: str | os.PathLike[str], limit: int) -> bytearray:
    """The content of ``path`` (decompressed if it is gzipped): its first ``limit`` bytes at most.

    Memory and time are bounded by ``limit`` whatever the file holds, so a small gzip that
    inflates to gigabytes costs no more than ``limit`` bytes.

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        ValueError: if ``limit`` is negative, or the file is a damaged gzip stream.
    """
    if limit < 0:
        raise ValueError(f"limit must be a number of bytes, 0 or more. Received: limit={limit!r}")
    path = Path(path)
    with _content_stream(path) as stream:
        return _fill(stream, limit)


def parse_idx(content: bytearray, ndim: int, path: str | os.PathLike[str]) -> np.ndarray:
    """The array that the IDX bytes ``content`` hold, sharing their memory where it can.

    Args:
        content: the whole (decompressed) IDX file, as :func:`read_content` returns it; the
            array is a view of it for byte data, so it must not be changed afterwards.
        ndim: the number of dimensions it must hold (3 for images, 1 for labels).
        path: the file it came from, for messages.

    Raises:
        ValueError: as :func:`read_idx`.
    """
    path = Path(path)
    head = io.BytesIO(bytes(content[: 4 + 4 * ndim]))
    magic = _read_exactly(head, 4, path, "its 4-byte magic number")
    _check_magic(magic, ndim, path)
    dtype, shape = _layout(magic + _read_exactly(head, 4 * ndim, path, "its sizes"), path)
    offset, expected = 4 + 4 * ndim, math.prod(shape) * dtype.itemsize
    found = len(content) - offset
    if found < expected:
        raise ValueError(
            f"{path} is truncated: its header announces {_dims(shape)} values "
            f"({expected:,} bytes of data), found only {found:,} bytes."
        )
    if found > expected:
        raise ValueError(
            f"{path} is malformed: it has bytes after the {_dims(shape)} values "
            f"that its header announces."
        )
    # A bytearray gives a writable view, so users may scale the images in place.
    array = np.frombuffer(content, dtype=dtype, count=math.prod(shape), offset=offset)
    return array.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


@contextlib.contextmanager
def _content_stream(path: Path) -> Iterator[IO[bytes]]:
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_SIGNATURE
        raw.seek(0)
        if not compressed:
            yield raw
            return
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                yield stream
        except (OSError, EOFError, zlib.error) as error:
            # gzip reports a cut-off file as EOFError and a damaged one as BadGzipFile or
            # zlib.error; all mean the same to the caller.
            raise ValueError(f"{path} is a damaged or truncated gzip file ({error}).") from None


def _check_magic(magic: bytes, ndim: int, path: Path) -> None:
    if magic[:2] != b"\x00\x00" or magic[2] not in _TYPES:
        raise ValueError(
            f"{path} is not an IDX file: its magic number is 0x{magic.hex()}, "
            f"expected 0x0000TTNN with a type code TT in "
            f"{{{', '.join(f'{t:02x}' for t in _TYPES)}}}."
        )
    if magic[3] != ndim:
        raise ValueError(
            f"{path} holds an IDX array of {magic[3]} dimensions, expected {ndim} "
            f"(magic number 0x{magic.hex()})."
        )


def _layout(header: bytes, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    # The dtype and shape that a checked magic number and its sizes describe.
    shape = struct.unpack(f">{header[3]}I", header[4:])
    dtype = np.dtype(_TYPES[header[2]])
    size = math.prod(shape) * dtype.itemsize
    if size > _MAX_BYTES:
        raise ValueError(
            f"{path} has a damaged header: sizes {shape} would need {size:,} bytes of data."
        )
    return dtype, shape


def _read_exactly(stream: IO[bytes], size: int, path: Path, what: str) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise ValueError(
            f"{path} is truncated: it ends inside {what} ({len(data)} of {size} bytes)."
        )
    return data


def _fill(stream: IO[bytes], limit: int, prefix: bytes = b"") -> bytearray:
    # One buffer of the final size, filled in place: no second copy of a 47 MB file.
    content = bytearray(len(prefix) + limit)
    content[: len(prefix)] = prefix
    view, filled = memoryview(content), len(prefix)
    with view:
        while filled < len(content):
            count = stream.readinto(view[filled:])
            if not count:
                break
            filled += count
    del content[filled:]
    return content


def _dims(shape: tuple[int, ...]) -> str:
    return " x ".join(str(n) for n in shape)
