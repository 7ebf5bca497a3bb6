"""Reader for IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in C order. MNIST ships them gzipped (``*.gz``); both forms are
read, told apart by the gzip signature rather than the file name.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

_GZIP_SIGNATURE = b"\x1f\x8b"
_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
# The largest MNIST-style file is 47 MB; a header claiming far more is damaged, and trusting it
# would ask for an absurd allocation before the truncation is noticed.
_MAX_BYTES = 1 << 32


def read_idx(path: str | os.PathLike[str], ndim: int, digest: Any = None) -> np.ndarray:
    """The array stored in an IDX file (gzipped or not), as a writable native-endian array.

    Args:
        path: the file.
        ndim: the number of dimensions it must hold (3 for images, 1 for labels).
        digest: a ``hashlib`` object to feed every byte of the (decompressed) file as it is
            read, so that checking a re-compressed file's content costs no second
            decompression.

    Raises:
        ValueError: if the file is not an IDX file of ``ndim`` dimensions, is truncated, has
            bytes after its data, or is a damaged gzip stream.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_SIGNATURE
    if not compressed:
        with open(path, "rb") as stream:
            return _parse(_Digesting(stream, digest), ndim, path)
    try:
        with gzip.open(path, "rb") as stream:
            return _parse(_Digesting(stream, digest), ndim, path)
    except (OSError, EOFError, zlib.error) as error:
        # gzip reports a cut-off file as EOFError and a damaged one as BadGzipFile or
        # zlib.error; all mean the same to the caller.
        raise ValueError(f"{path} is a damaged or truncated gzip file ({error}).") from None


def _parse(stream: _Digesting, ndim: int, path: Path) -> np.ndarray:
    magic = _read_exactly(stream, 4, path, "its 4-byte magic number")
    if magic[:2] != b"\x00\x00" or magic[2] not in _TYPES:
        raise ValueError(f"{path} is not an IDX file: its magic number is 0x{magic.hex()}, "
                         f"expected 0x0000TTNN with a type code TT in "
                         f"{{{', '.join(f'{t:02x}' for t in _TYPES)}}}.")
    if magic[3] != ndim:
        raise ValueError(f"{path} holds an IDX array of {magic[3]} dimensions, expected {ndim} "
                         f"(magic number 0x{magic.hex()}).")
    shape = struct.unpack(f">{ndim}I", _read_exactly(stream, 4 * ndim, path, "its sizes"))
    dtype = np.dtype(_TYPES[magic[2]])
    expected = math.prod(shape) * dtype.itemsize
    if expected > _MAX_BYTES:
        raise ValueError(f"{path} has a damaged header: sizes {shape} would need {expected:,} "
                         f"bytes of data.")
    array = np.empty(shape, dtype=dtype)
    found = _read_into(stream, array.reshape(-1).view(np.uint8))
    if found < expected:
        raise ValueError(f"{path} is truncated: its header announces {_dims(shape)} values "
                         f"({expected:,} bytes of data), found only {found:,} bytes.")
    if stream.read(1):
        raise ValueError(f"{path} is malformed: it has bytes after the {_dims(shape)} values "
                         f"that its header announces.")
    return array.astype(dtype.newbyteorder("="), copy=False)


class _Digesting:
    """A binary stream that feeds what is read from it to ``digest`` (if not None)."""

    def __init__(self, stream: IO[bytes], digest: Any):
        self.stream, self.digest = stream, digest

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        if self.digest is not None:
            self.digest.update(data)
        return data

    def readinto(self, view: memoryview) -> int:
        count = self.stream.readinto(view)
        if self.digest is not None and count:
            self.digest.update(view[:count])
        return count


def _read_exactly(stream: Any, size: int, path: Path, what: str) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise ValueError(f"{path} is truncated: it ends inside {what} ({len(data)} of {size} "
                         f"bytes).")
    return data


def _read_into(stream: _Digesting, buffer: np.ndarray) -> int:
    # readinto fills the array in place: no second copy of a 47 MB file, and the result is
    # writable (np.frombuffer on bytes would give a read-only array).
    view = memoryview(buffer)
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def _dims(shape: tuple[int, ...]) -> str:
    return " x ".join(str(n) for n in shape)
