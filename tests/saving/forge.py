"""Hostile files built byte by byte: JSON that parses into far more memory than it takes, and
zip archives whose ZIP64 end records are forged."""

from __future__ import annotations

import random
import struct

_END_SIZE = 22
_ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR = struct.Struct("<4sIQI")
#: What a zip end-of-archive record says when the ZIP64 end record holds the real numbers.
PLACEHOLDERS = (0xFFFF, 0xFFFFFFFF)


def nested_lists(size: int, seed: int = 0) -> bytes:
    """A JSON list of about ``size`` bytes of empty lists nested 60 or 61 deep.

    Parsed, it takes about 44 times its size (a list holding one list takes 88 bytes for two
    characters); deflated, it shrinks about 194 times, just under ``Limits.max_ratio``: a
    16 MiB document fits in 86 KB.
    """
    rng = random.Random(seed)
    parts, total = [], 2
    while total < size - 123:
        depth = 61 if rng.random() < 0.1 else 60
        parts.append(b"[" * depth + b"]" * depth)
        total += 2 * depth + 1
    return b"[" + b",".join(parts) + b"]"


def directory(data: bytes) -> tuple[int, int, int]:
    """Member count, size and offset of the central directory of ``data`` (a zip, no comment)."""
    members, size, offset = struct.unpack_from("<HII", data, len(data) - _END_SIZE + 10)
    return members, size, offset


def zip64_end_record(members: int, size: int, offset: int) -> bytes:
    """A ZIP64 end record saying the directory holds ``members`` in ``size`` bytes at ``offset``."""
    return _ZIP64_END.pack(
        b"PK\x06\x06", _ZIP64_END.size - 12, 45, 45, 0, 0, members, members, size, offset
    )


def with_zip64_end(
    data: bytes, records: list[bytes], named: int, counts: tuple[int, int] = PLACEHOLDERS
) -> bytes:
    """``data`` (a zip with no comment) with ``records`` put between its directory and its end
    record, then a ZIP64 locator naming the offset of ``records[named]``; the end record says
    ``counts`` (members, directory size).

    ``zipfile`` reads the last record, whatever the locator names: with one record that
    repeats the directory's numbers, the result is a valid zip.
    """
    body, end = data[:-_END_SIZE], bytearray(data[-_END_SIZE:])
    offset = len(body) + sum(len(record) for record in records[:named])
    locator = _LOCATOR.pack(b"PK\x06\x07", 0, offset, 1)
    struct.pack_into("<HHI", end, 8, counts[0], counts[0], counts[1])
    return body + b"".join(records) + locator + bytes(end)
