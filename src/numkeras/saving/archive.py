"""The zip container of numkeras files, written plainly and read as untrusted input.

Reading never trusts the file: the size of the zip's central directory is checked, in the very
end records that ``zipfile`` will use, before ``zipfile`` parses it; every member's declared
sizes, compression method and name are checked before a byte is decompressed; members are read
into memory (never extracted to a path taken from the archive); JSON is parsed with size, value
count and depth limits, the count taken before parsing; ``.npy`` members must be stored (never
compressed), and each array's header is read first, without pickle, so that its declared shape
and dtype are known (and only plain numeric dtypes accepted) before its data is read. Whatever
goes wrong raises :class:`ModelFileError` naming the member and the problem.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import re
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
_END_SIZE, _LOCATOR_SIZE, _ZIP64_END_SIZE = 22, 20, 56
_MAX_COMMENT = 2**16  # zipfile looks for the end record this far before the last 22 bytes
#: Numeric dtypes an array member may have, in native byte order: no objects, strings or records.
_ARRAY_DTYPES = frozenset(
    np.dtype(name)
    for name in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    )
)


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
        max_json_bytes: size of one JSON document (the config of a 500-layer model takes
            about 0.2 MiB, that of 4,096 batch-normalization layers 2.5 MiB).
        max_json_values: values and keys in one JSON document, counted before it is parsed:
            parsing allocates up to about 100 bytes per value (nested empty lists take 44 times
            their size in bytes), so this, not the size, bounds the memory a document takes.
            The configs above hold about 25,000 and 260,000.
        max_json_depth: nesting depth of one JSON document.
        max_sample_values: values in one sample of an input shape named by a config, so that
            shape probes of layers cannot allocate without bound.
        max_layers: layers plus layer calls (``inbound_nodes`` entries) in a config; rebuilding
            a functional graph takes time quadratic in this number.
        max_initializer_cost: floating-point operations that one weight's initializer may take
            in ``model_from_json`` (the orthogonal one costs ``m·n·min(m, n)`` for ``m × n``).
    """

    max_members: int = 20_000
    max_member_bytes: int = 4 * 2**30
    max_total_bytes: int = 8 * 2**30
    max_ratio: int = 200
    max_json_bytes: int = 4 * 2**20
    max_json_values: int = 2**19
    max_json_depth: int = 64
    max_sample_values: int = 2**26
    max_layers: int = 4096
    max_initializer_cost: int = 2**33


#: The limits every load uses; replace it (``dataclasses.replace``) to read larger files.
LIMITS = Limits()
_RATIO_FREE_BYTES = 2**20
#: The most bytes a ``.npy`` header takes: magic, version, length, and NumPy's largest header.
_NPY_HEADER_BYTES = 12 + 10_000
#: A JSON string once its escaped backslashes and quotes are gone (one left open runs to the end).
_JSON_STRING = re.compile(rb'"[^"]*(?:"|\Z)')
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

    def write_bytes(self, name: str, data: bytes) -> None:
        """Store ``data`` as an uncompressed member (how Keras stores ``model.weights.h5``)."""
        info = zipfile.ZipInfo(name, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_STORED
        with self._zip.open(info, "w", force_zip64=len(data) > zipfile.ZIP64_LIMIT) as member:
            member.write(data)

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
        handle = (
            source if hasattr(source, "read") else self._stack.enter_context(open(source, "rb"))
        )  # a missing file is a FileNotFoundError, not a bad file
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
                self.fail(
                    f"member {name!r} uses compression method {info.compress_type}; "
                    "only stored and deflated members are read"
                )
            if name.endswith(".npy") and info.compress_type != zipfile.ZIP_STORED:
                self.fail(
                    f"member {name!r} is compressed; numkeras stores .npy members "
                    "uncompressed, and reads no other, so that no array is inflated"
                )
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                self.fail(
                    f"member {name!r} is stored uncompressed but declares "
                    f"{info.compress_size} stored bytes for {info.file_size} bytes"
                )
            if info.file_size > limits.max_member_bytes:
                self.fail(
                    f"member {name!r} unpacks to {info.file_size} bytes, more than the "
                    f"limit of {limits.max_member_bytes}"
                )
            if info.file_size > _RATIO_FREE_BYTES and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                self.fail(
                    f"member {name!r} would unpack {info.compress_size} bytes into "
                    f"{info.file_size} (over {limits.max_ratio} times): a zip bomb"
                )
            total += info.file_size
        if total > limits.max_total_bytes:
            self.fail(
                f"its members unpack to {total} bytes, more than the limit of "
                f"{limits.max_total_bytes}"
            )

    def fail(self, problem: str) -> None:
        raise ModelFileError(f"{self.what} is not valid: {problem}.")

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._infos.get(name)
        if info is None:
            self.fail(f"member {name!r} is missing")
        return info

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        """The bytes of member ``name``, decompressed in memory and checked against its CRC."""
        info = self._info(name)
        if max_bytes is not None and info.file_size > max_bytes:
            self.fail(
                f"member {name!r} holds {info.file_size} bytes, more than the limit of {max_bytes}"
            )
        with file_errors(f"{self.what}, member {name!r},"):
            with self._zip.open(info) as member:
                data = member.read(info.file_size + 1)
            if len(data) != info.file_size:
                self.fail(
                    f"member {name!r} holds {len(data)} bytes, not the {info.file_size} it declares"
                )
        return data

    def read_json(self, name: str) -> Any:
        """Member ``name`` parsed as JSON, within the size, value count and depth limits."""
        data = self.read(name, self.limits.max_json_bytes)
        return parse_json(data, f"{self.what}, member {name!r},", self.limits)

    def stored_array(self, name: str) -> StoredArray:
        """The ``.npy`` member ``name`` with its header read and checked, its data not yet read.

        The header must declare a plain numeric dtype (no pickle) and exactly as many bytes of
        data as the member holds.
        """
        info, what = self._info(name), f"{self.what}, member {name!r},"
        with file_errors(what), self._zip.open(info) as member:
            stream = io.BytesIO(member.read(min(info.file_size, _NPY_HEADER_BYTES)))
        header = NpyHeader.parse(stream, what)
        header.check_size(info.file_size, what)
        return StoredArray(self, name, header)

    def read_array(self, name: str) -> np.ndarray:
        """Member ``name`` parsed as a ``.npy`` array of a plain numeric dtype (no pickle)."""
        return self.stored_array(name).read()


def _check_directory(handle: IO[bytes], limits: Limits, what: str) -> None:
    """Refuse an archive whose central directory is too large, before zipfile parses it.

    The sizes are read where ``zipfile`` reads them: the last end-of-archive record in the final
    64 KiB, and the ZIP64 end record when a ZIP64 locator precedes it (see :func:`_zip64_end`).
    """
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    tail_start = max(size - _MAX_COMMENT - _END_SIZE, 0)
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < _END_SIZE:
        raise ModelFileError(
            f"{what} is not a zip archive (no end-of-archive record), so it is not a numkeras "
            f"file. Its first bytes are {_first_bytes(handle)}."
        )
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    zip64 = _zip64_end(handle, tail_start + at, (entries, directory_size), what)
    if zip64 is not None:
        entries, directory_size = zip64
    if entries > limits.max_members or directory_size > limits.max_members * _DIRECTORY_ENTRY_BYTES:
        raise ModelFileError(
            f"{what} is not valid: its zip directory lists {entries} members in "
            f"{directory_size} bytes, more than the limit of {limits.max_members} members."
        )
    handle.seek(0)


def _zip64_end(
    handle: IO[bytes], end: int, counts: tuple[int, int], what: str
) -> tuple[int, int] | None:
    """The member count and directory size of the ZIP64 end record, or None if there is none.

    ``end`` is where the end-of-archive record starts, ``counts`` its own count and size.
    CPython's ``zipfile`` (3.10 to 3.13) reads the ZIP64 end record right before the locator,
    whatever offset the locator names; so the record is read there, and refused unless the
    locator names that very offset, its two counts agree, and the end-of-archive record holds
    the same count and size or the ZIP64 placeholders. A forged record elsewhere therefore
    cannot pass this check while ``zipfile`` parses another.
    """
    if end < _LOCATOR_SIZE:
        return None
    handle.seek(end - _LOCATOR_SIZE)
    locator = handle.read(_LOCATOR_SIZE)
    if locator[:4] != _ZIP64_LOCATOR:
        return None
    (named,) = struct.unpack_from("<Q", locator, 8)
    at = end - _LOCATOR_SIZE - _ZIP64_END_SIZE
    record = b""
    if at >= 0:
        handle.seek(at)
        record = handle.read(_ZIP64_END_SIZE)
    if record[:4] != _ZIP64_END or named != at:
        raise ModelFileError(
            f"{what} is not valid: its ZIP64 end record is not where its locator says "
            f"(offset {named}); zipfile would read another one."
        )
    length, this_disk, total, directory_size = struct.unpack_from("<Q12xQQQ", record, 4)
    placeholders = (0xFFFF, 0xFFFFFFFF)
    if (
        length != _ZIP64_END_SIZE - 12
        or this_disk != total
        or not all(
            own in (value, placeholder)
            for own, value, placeholder in zip(
                counts, (total, directory_size), placeholders, strict=True
            )
        )
    ):
        raise ModelFileError(
            f"{what} is not valid: its ZIP64 end record ({total} members in {directory_size} "
            f"bytes) contradicts itself or the end-of-archive record ({counts[0]} members in "
            f"{counts[1]} bytes)."
        )
    return total, directory_size


def _first_bytes(handle: IO[bytes]) -> str:
    handle.seek(0)
    head = handle.read(8)
    if head.startswith(b"\x89HDF"):
        return f"{head!r} (an HDF5 file: numkeras reads Keras 2's HDF5 files named .h5 or .hdf5)"
    return repr(head)


def parse_json(data: bytes | str, what: str, limits: Limits | None = None) -> Any:
    """``data`` parsed as JSON, refusing documents beyond the size, value and depth limits.

    The size and the number of values are checked before parsing, so that a small document
    that would parse into a huge number of objects allocates nothing.
    """
    limits = limits or LIMITS
    with file_errors(what):
        # Lone surrogates are kept, so that they reach json.loads and are reported by it.
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if len(raw) > limits.max_json_bytes:
        raise ModelFileError(
            f"{what} holds {len(raw)} bytes of JSON, more than the limit of "
            f"{limits.max_json_bytes}."
        )
    values = count_json_values(raw)
    if values > limits.max_json_values:
        raise ModelFileError(
            f"{what} holds {values} JSON values and keys, more than the limit "
            f"of {limits.max_json_values}."
        )
    with file_errors(what):
        value = json.loads(raw.decode("utf-8") if isinstance(data, bytes) else data)
    _check_depth(value, limits.max_json_depth, what)
    return value


def count_json_values(data: bytes) -> int:
    """How many values and keys the JSON text ``data`` holds, counted without parsing it.

    Outside strings, every value and key but the outermost value follows one ``,``, ``:``,
    ``[`` or ``{`` (an empty container counts one too many, so this is an upper bound). Strings
    are cut out first, escapes inside them removed beforehand: UTF-8 never puts these ASCII
    bytes inside a multi-byte character, and the count of an invalid document is never lower
    than that of its longest valid prefix, the most that ``json.loads`` builds before failing.
    """
    plain = _JSON_STRING.sub(b"", data.replace(b"\\\\", b"").replace(b'\\"', b""))
    return 1 + sum(plain.count(token) for token in (b",", b":", b"[", b"{"))


def _check_depth(value: Any, limit: int, what: str) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise ModelFileError(f"{what} nests JSON deeper than the limit of {limit} levels.")
        children = (
            item.values() if isinstance(item, dict) else (item if isinstance(item, list) else ())
        )
        stack.extend((child, depth + 1) for child in children)


@dataclasses.dataclass(frozen=True)
class NpyHeader:
    """What a ``.npy`` header declares: a numeric array's shape, dtype and memory order, and
    ``offset``, where its data starts."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    @classmethod
    def parse(cls, stream: IO[bytes], what: str) -> NpyHeader:
        """The header at the start of ``stream``, refused unless plain numeric and well formed.

        The header is parsed by NumPy's own safe reader (a literal, never code); the dtype must
        be a plain number type (an object dtype would need pickle, which is never used).
        """
        with file_errors(what):
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ModelFileError(
                    f"{what} uses .npy format version {version}; numkeras "
                    "reads versions 1.0 and 2.0."
                )
        if any(n < 0 for n in shape):
            raise ModelFileError(f"{what} declares an array of negative shape {shape}.")
        if dtype not in _ARRAY_DTYPES:
            raise ModelFileError(
                f"{what} holds an array of dtype {dtype.str!r}; only numeric arrays in native "
                "byte order are read (object arrays would need pickle, which numkeras never "
                "loads)."
            )
        return cls(tuple(shape), dtype, fortran_order, stream.tell())

    def check_size(self, size: int, what: str) -> None:
        """Refuse a member of ``size`` bytes that does not hold exactly the declared data."""
        if self.nbytes != size - self.offset:
            raise ModelFileError(
                f"{what} declares an array of shape {self.shape} and dtype {self.dtype.name} "
                f"({self.nbytes} bytes) but holds {size - self.offset} bytes of data."
            )

    def array(self, data: bytes, what: str) -> np.ndarray:
        """The read-only array that ``data``, the whole ``.npy`` bytes, holds."""
        self.check_size(len(data), what)
        array = np.frombuffer(
            data, dtype=self.dtype, count=math.prod(self.shape), offset=self.offset
        )
        return array.reshape(self.shape, order="F" if self.fortran_order else "C")


@dataclasses.dataclass(frozen=True)
class StoredArray:
    """A ``.npy`` member whose header is checked and whose data is not read yet.

    ``shape``, ``dtype`` and ``nbytes`` are the declared ones (the member's size confirms
    them), so that a model can be checked against them before any data is read; :meth:`read`
    reads the array while its :class:`ArchiveReader` is open.
    """

    reader: ArchiveReader
    name: str
    header: NpyHeader

    @property
    def shape(self) -> tuple[int, ...]:
        return self.header.shape

    @property
    def dtype(self) -> np.dtype:
        return self.header.dtype

    @property
    def nbytes(self) -> int:
        return self.header.nbytes

    def read(self) -> np.ndarray:
        """The array, read-only, its CRC checked."""
        what = f"{self.reader.what}, member {self.name!r},"
        return self.header.array(self.reader.read(self.name), what)


def parse_npy(data: bytes, what: str) -> np.ndarray:
    """The array in the ``.npy`` bytes ``data``: numeric dtypes only, size checked exactly.

    See :meth:`NpyHeader.parse`; the data must be exactly as long as the shape and dtype say.
    The result is read-only.
    """
    return NpyHeader.parse(io.BytesIO(data), what).array(data, what)
