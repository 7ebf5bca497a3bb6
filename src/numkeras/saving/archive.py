"""The zip container of numkeras files, written plainly and read as untrusted input.

Reading never trusts the file: the size of the zip's central directory is checked before
``zipfile`` parses it; every member's declared sizes, compression method and name are checked
before a byte is decompressed; members are read into memory (never extracted to a path taken
from the archive); JSON is parsed with size and depth limits; arrays are parsed from the ``.npy``
header without pickle, and only plain numeric dtypes are accepted. Whatever goes wrong raises
:class:`ModelFileError` naming the member and the problem.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import struct
import zipfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

#: Fixed member timestamps, so that saving the same model twice gives the same members.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
#: Numeric dtypes an array member may have, in native byte order: no objects, strings or records.
_ARRAY_DTYPES = frozenset(np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64"))


class ModelFileError(ValueError):
    """A numkeras file is malformed, unsafe, or does not fit the model it is loaded into.

    Every problem found while reading a model or weights file raises this one type (a
    ``ValueError``), with a message that says what is wrong and where.
    """


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a file read by numkeras may hold; anything beyond is refused before it is unpacked.

    Attributes:
        max_members: members in one zip archive.
        max_member_bytes: uncompressed size of one member.
        max_total_bytes: uncompressed size of all members together; also the most weight
            memory that a JSON architecture (``model_from_json``) may ask for.
        max_ratio: uncompressed / compressed size of a compressed member larger than 1 MiB
            (zip bombs reach ratios near 1000; JSON configs stay far below 100).
        max_json_bytes: size of one JSON document.
        max_json_depth: nesting depth of one JSON document.
        max_sample_values: values in one sample of an input shape named by a config, so that
            shape probes of layers cannot allocate without bound.
        max_layers: layers plus layer calls (``inbound_nodes`` entries) in a config; rebuilding
            a functional graph takes time quadratic in this number.
    """

    max_members: int = 20_000
    max_member_bytes: int = 4 * 2**30
    max_total_bytes: int = 8 * 2**30
    max_ratio: int = 200
    max_json_bytes: int = 16 * 2**20
    max_json_depth: int = 64
    max_sample_values: int = 2**26
    max_layers: int = 4096


#: The limits every load uses; replace it (``dataclasses.replace``) to read larger files.
LIMITS = Limits()
_RATIO_FREE_BYTES = 2**20
_DIRECTORY_ENTRY_BYTES = 256  # the most that one central directory entry of ours may take


@contextlib.contextmanager
def file_errors(what: str, problem: str = "is malformed") -> Iterator[None]:
    """Turn any exception raised while reading ``what`` into a :class:`ModelFileError`.

    The message is ``f"{what} {problem}: {error type}: {error}"``.
    """
    try:
        yield
    except ModelFileError:
        raise
    except Exception as e:  # untrusted bytes can break a parser in any way: report, not crash
        raise ModelFileError(f"{what} {problem}: {type(e).__name__}: {e}") from e


# -- writing -------------------------------------------------------------------------------------
class ArchiveWriter:
    """Writes JSON documents and arrays as members of a zip archive on an open binary file."""

    def __init__(self, handle: IO[bytes]):
        self._zip = zipfile.ZipFile(handle, "w", allowZip64=True)

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self._zip.close()
        else:  # the file is being discarded: keep the original error, not one from closing
            with contextlib.suppress(Exception):
                self._zip.close()

    def write_json(self, name: str, value: Any) -> None:
        """Store ``value`` as compressed UTF-8 JSON; a value JSON cannot hold is a TypeError."""
        info = zipfile.ZipInfo(name, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, json_bytes(value, name))

    def write_array(self, name: str, array: np.ndarray) -> None:
        """Store ``array`` as an uncompressed ``.npy`` member (written without pickle)."""
        info = zipfile.ZipInfo(name, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_STORED
        big = array.nbytes > zipfile.ZIP64_LIMIT - 2**20
        with self._zip.open(info, "w", force_zip64=big) as member:
            np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)


def json_bytes(value: Any, what: str) -> bytes:
    """``value`` as UTF-8 JSON; NumPy scalars and arrays become numbers and lists."""
    try:
        return json.dumps(value, default=json_default, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{what} cannot be stored: {e}. A numkeras file holds data only: layers, losses, "
            "metrics and optimizers by their config, functions by their name (no lambdas or "
            "other code)."
        ) from e


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default``: NumPy scalars and arrays as plain numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# -- reading -------------------------------------------------------------------------------------
class ArchiveReader:
    """A zip archive opened for reading, every member checked against :data:`LIMITS` first.

    Args:
        source: a path or a readable, seekable binary file.
        what: how error messages name the file (e.g. ``"Model file 'm.numkeras'"``).
        limits: defaults to :data:`LIMITS`.
    """

    def __init__(self, source: Any, what: str, limits: Limits | None = None):
        self.what = what
        self.limits = limits or LIMITS
        self._stack = contextlib.ExitStack()
        handle = source if hasattr(source, "read") else self._stack.enter_context(
            open(source, "rb"))  # a missing file is a FileNotFoundError, not a bad file
        try:
            with file_errors(what):
                _check_directory(handle, self.limits, what)
                self._zip = self._stack.enter_context(zipfile.ZipFile(handle, "r"))
                self._infos = {info.filename: info for info in self._zip.infolist()}
            self._check_members()
        except BaseException:
            self._stack.close()
            raise

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def _check_members(self) -> None:
        limits, infos = self.limits, list(self._zip.infolist())
        if len(infos) > limits.max_members:
            self.fail(f"it has {len(infos)} members, more than the limit of {limits.max_members}")
        if len(self._infos) != len(infos):
            self.fail("two members have the same name")
        total = 0
        for info in infos:
            name = info.filename
            if info.flag_bits & 0x1:
                self.fail(f"member {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self.fail(f"member {name!r} uses compression method {info.compress_type}; "
                          "only stored and deflated members are read")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                self.fail(f"member {name!r} is stored uncompressed but declares "
                          f"{info.compress_size} stored bytes for {info.file_size} bytes")
            if info.file_size > limits.max_member_bytes:
                self.fail(f"member {name!r} unpacks to {info.file_size} bytes, more than the "
                          f"limit of {limits.max_member_bytes}")
            if (info.file_size > _RATIO_FREE_BYTES
                    and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
                self.fail(f"member {name!r} would unpack {info.compress_size} bytes into "
                          f"{info.file_size} (over {limits.max_ratio} times): a zip bomb")
            total += info.file_size
        if total > limits.max_total_bytes:
            self.fail(f"its members unpack to {total} bytes, more than the limit of "
                      f"{limits.max_total_bytes}")

    def fail(self, problem: str) -> None:
        raise ModelFileError(f"{self.what} is not valid: {problem}.")

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        """The bytes of member ``name``, decompressed in memory and checked against its CRC."""
        info = self._infos.get(name)
        if info is None:
            self.fail(f"member {name!r} is missing")
        if max_bytes is not None and info.file_size > max_bytes:
            self.fail(f"member {name!r} holds {info.file_size} bytes, more than the limit of "
                      f"{max_bytes}")
        with file_errors(f"{self.what}, member {name!r},"):
            with self._zip.open(info) as member:
                data = member.read(info.file_size + 1)
            if len(data) != info.file_size:
                self.fail(f"member {name!r} holds {len(data)} bytes, not the "
                          f"{info.file_size} it declares")
        return data

    def read_json(self, name: str) -> Any:
        """Member ``name`` parsed as JSON, within the size and depth limits."""
        data = self.read(name, self.limits.max_json_bytes)
        return parse_json(data, f"{self.what}, member {name!r},", self.limits)

    def read_array(self, name: str) -> np.ndarray:
        """Member ``name`` parsed as a ``.npy`` array of a plain numeric dtype (no pickle)."""
        return parse_npy(self.read(name), f"{self.what}, member {name!r},")


def _check_directory(handle: IO[bytes], limits: Limits, what: str) -> None:
    """Refuse an archive whose central directory is too large, before zipfile parses it."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 22 + 65535)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        raise ModelFileError(
            f"{what} is not a zip archive (no end-of-archive record), so it is not a numkeras "
            f"file. Its first bytes are {_first_bytes(handle)}."
        )
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and at >= 20 and \
            tail[at - 20:at - 16] == _ZIP64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", tail, at - 12)
        handle.seek(offset)
        record = handle.read(56)
        if len(record) == 56 and record[:4] == _ZIP64_END:
            entries, directory_size = struct.unpack_from("<QQ", record, 32)
    if entries > limits.max_members or \
            directory_size > limits.max_members * _DIRECTORY_ENTRY_BYTES:
        raise ModelFileError(
            f"{what} is not valid: its zip directory lists {entries} members in "
            f"{directory_size} bytes, more than the limit of {limits.max_members} members."
        )
    handle.seek(0)


def _first_bytes(handle: IO[bytes]) -> str:
    handle.seek(0)
    head = handle.read(8)
    if head.startswith(b"\x89HDF"):
        return f"{head!r} (an HDF5 file: numkeras does not read HDF5)"
    return repr(head)


def parse_json(data: bytes | str, what: str, limits: Limits | None = None) -> Any:
    """``data`` parsed as JSON, refusing documents beyond the size and depth limits."""
    limits = limits or LIMITS
    if len(data) > limits.max_json_bytes:
        raise ModelFileError(f"{what} holds {len(data)} bytes of JSON, more than the limit of "
                             f"{limits.max_json_bytes}.")
    with file_errors(what):
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text)
    _check_depth(value, limits.max_json_depth, what)
    return value


def _check_depth(value: Any, limit: int, what: str) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise ModelFileError(f"{what} nests JSON deeper than the limit of {limit} levels.")
        children = item.values() if isinstance(item, dict) else (
            item if isinstance(item, list) else ())
        stack.extend((child, depth + 1) for child in children)


def parse_npy(data: bytes, what: str) -> np.ndarray:
    """The array in the ``.npy`` bytes ``data``: numeric dtypes only, size checked exactly.

    The header is parsed by NumPy's own safe reader (a literal, never code); the dtype must be
    a plain number type (an object dtype would need pickle, which is never used), and the data
    must be exactly as long as the shape and dtype say. The result is read-only.
    """
    with file_errors(what):
        stream = io.BytesIO(data)
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ModelFileError(f"{what} uses .npy format version {version}; numkeras reads "
                                 "versions 1.0 and 2.0.")
    if any(n < 0 for n in shape):
        raise ModelFileError(f"{what} declares an array of negative shape {shape}.")
    if dtype not in _ARRAY_DTYPES:
        raise ModelFileError(
            f"{what} holds an array of dtype {dtype.str!r}; only numeric arrays in native byte "
            "order are read (object arrays would need pickle, which numkeras never loads)."
        )
    count = math.prod(shape)
    offset = stream.tell()
    if count * dtype.itemsize != len(data) - offset:
        raise ModelFileError(
            f"{what} declares an array of shape {shape} and dtype {dtype.name} "
            f"({count * dtype.itemsize} bytes) but holds {len(data) - offset} bytes of data."
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape, order="F" if fortran_order else "C")
