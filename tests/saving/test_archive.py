"""The untrusted-input reader: size limits before unpacking, safe JSON, pickle-free arrays."""

from __future__ import annotations

import dataclasses
import io
import tracemalloc
import zipfile
from collections.abc import Iterator

import numpy as np
import pytest

from numkeras.models import load_model
from numkeras.saving import Limits, ModelFileError, get_limits, set_limits
from numkeras.saving.archive import ArchiveReader, count_json_values, parse_json, parse_npy

from . import forge
from .helpers import members, npy_bytes, pack, saved_bytes, tiny_model


@pytest.fixture
def limits() -> Iterator[None]:
    """Lets a test call set_limits; the defaults come back afterwards."""
    previous = get_limits()
    yield
    set_limits(previous)


def _smaller(**changes: int) -> None:
    set_limits(dataclasses.replace(get_limits(), **changes))


@pytest.mark.usefixtures("limits")
@pytest.mark.parametrize(
    "change, words",
    [
        ({"max_members": 5}, "more than the limit of 5 members"),
        ({"max_member_bytes": 100}, "more than the limit of 100"),
        ({"max_total_bytes": 1000}, "more than the limit of 1000"),
        ({"max_json_bytes": 100}, "more than the limit of 100"),
        ({"max_json_values": 10}, "JSON values and keys, more than the limit of 10"),
        ({"max_sample_values": 2}, "samples hold 3 values"),
        ({"max_layers": 2}, "more than 2 layers and layer calls"),
    ],
)
def test_each_limit_is_enforced_before_unpacking(change: dict, words: str) -> None:
    data = saved_bytes(tiny_model())
    _smaller(**change)
    with pytest.raises(ModelFileError, match=words):
        load_model(io.BytesIO(data))


def test_set_limits_takes_limits_only() -> None:
    with pytest.raises(TypeError, match="Limits"):
        set_limits({"max_members": 3})


def test_a_real_zip_bomb_is_refused_from_its_header() -> None:
    contents = members(saved_bytes(tiny_model()))
    contents["config.json"] = b" " * (64 * 2**20)
    data = pack(contents, zipfile.ZIP_DEFLATED)
    assert len(data) < 2**20
    with pytest.raises(ModelFileError, match="zip bomb"):
        ArchiveReader(io.BytesIO(data), "bomb")


def test_a_json_value_bomb_is_refused_before_it_is_parsed() -> None:
    contents = members(saved_bytes(tiny_model()))
    contents["config.json"] = forge.nested_lists(get_limits().max_json_bytes - 1000)
    data = pack(contents, zipfile.ZIP_DEFLATED)  # 22 KB, which json.loads would make 180 MB
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="JSON values and keys, more than the limit"):
            load_model(io.BytesIO(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * get_limits().max_json_bytes


@pytest.mark.parametrize(
    "text, values",
    [
        (b"0", 1),
        (b'{"a": [1, 2]}', 5),
        (b"[]", 2),  # an empty container counts one too many
        # Structural characters and escaped quotes inside strings are not counted.
        (rb'{"a": [1, "x,:[{", {"b\"": "\\"}]}', 8),
        (rb'["\\", "\"", ",", "\\\""]', 5),
        (b'[1, "open string, [', 3),  # as many as the valid part holds, or more
    ],
)
def test_json_values_are_counted_outside_strings(text: bytes, values: int) -> None:
    assert count_json_values(text) == values


@pytest.mark.parametrize(
    "forged, words",
    [
        # The locator names a harmless record; zipfile reads the one before the locator.
        (
            lambda count, size, at: (
                [
                    forge.zip64_end_record(count, size, at),
                    forge.zip64_end_record(10**6, 46 * 10**6, at),
                ],
                forge.PLACEHOLDERS,
            ),
            "ZIP64 end record is not where its locator says",
        ),
        (
            lambda count, size, at: (
                [forge.zip64_end_record(10**6, 46 * 10**6, at)],
                forge.PLACEHOLDERS,
            ),
            "1000000 members",
        ),
        (
            lambda count, size, at: ([forge.zip64_end_record(count, size, at)], (count + 1, size)),
            "contradicts",
        ),
    ],
)
def test_a_forged_zip64_end_record_is_refused_before_zipfile_parses(
    monkeypatch: pytest.MonkeyPatch, forged, words: str
) -> None:
    base = pack({"a.json": b"{}", "b.json": b"[]"})
    records, counts = forged(*forge.directory(base))
    data = forge.with_zip64_end(base, records, 0, counts)
    parsed: list[zipfile.ZipFile] = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", parsed.append)
    with pytest.raises(ModelFileError, match=words):
        ArchiveReader(io.BytesIO(data), "forged")
    assert parsed == []


def test_zipfile_reads_the_zip64_end_record_before_the_locator() -> None:
    """What the check above relies on, in this Python's zipfile."""
    base = pack({"a.json": b"{}"})
    count, size, at = forge.directory(base)
    data = forge.with_zip64_end(
        base, [forge.zip64_end_record(count, size, at), forge.zip64_end_record(10**6, size, at)], 0
    )
    assert zipfile._EndRecData(io.BytesIO(data))[zipfile._ECD_ENTRIES_TOTAL] == 10**6


def test_a_genuine_zip64_end_record_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    base = pack({"a.json": b"{}", "b.json": b"[]"})
    data = forge.with_zip64_end(base, [forge.zip64_end_record(*forge.directory(base))], 0)
    with ArchiveReader(io.BytesIO(data), "zip64") as reader:
        assert reader.read_json("b.json") == []
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)  # zipfile writes ZIP64 from 3 members
    assert len(load_model(io.BytesIO(saved_bytes(tiny_model()))).layers) == 3


def test_a_compressed_array_is_refused_before_it_is_read() -> None:
    contents = members(saved_bytes(tiny_model()))
    data = pack(contents, zipfile.ZIP_DEFLATED, npy_compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelFileError, match="member 'weights/0.npy' is compressed"):
        ArchiveReader(io.BytesIO(data), "deflated")


def test_an_array_header_is_read_without_its_data() -> None:
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    with ArchiveReader(io.BytesIO(pack({"a.npy": npy_bytes(array)})), "one") as reader:
        stored = reader.stored_array("a.npy")
        assert (stored.shape, stored.dtype, stored.nbytes) == ((3, 4), np.float32, 48)
        assert np.array_equal(stored.read(), array)


def test_members_are_read_in_memory_only(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = pack({"../escape.json": b"{}", "/abs.json": b"{}"})
    with ArchiveReader(io.BytesIO(data), "traversal") as reader:
        assert reader.read("../escape.json") == b"{}"
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / "escape.json").exists()


def test_a_declared_size_that_lies_is_caught() -> None:
    data = bytearray(pack({"a.json": b"{}"}))
    entry = data.find(b"PK\x01\x02")
    data[entry + 20 : entry + 28] = (5).to_bytes(4, "little") * 2  # sizes 5 instead of 2
    with pytest.raises(ModelFileError, match="a.json"):
        with ArchiveReader(io.BytesIO(bytes(data)), "liar") as reader:
            reader.read("a.json")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        np.zeros((0, 4), np.int8),
        np.array(True),
    ],
)
def test_numeric_arrays_parse_exactly(array: np.ndarray) -> None:
    parsed = parse_npy(npy_bytes(array), "member")
    assert parsed.dtype == array.dtype and np.array_equal(parsed, array)


@pytest.mark.parametrize(
    "data, words",
    [
        (npy_bytes(np.array([object()]), allow_pickle=True), "only numeric arrays"),
        (npy_bytes(np.zeros(2, [("a", "<f4")])), "only numeric arrays"),
        (npy_bytes(np.array(["ab"])), "only numeric arrays"),
        (npy_bytes(np.zeros(2, ">f8")), "native byte order"),
        (npy_bytes(np.zeros(4, np.float32))[:-1], "holds 15 bytes of data"),
        (npy_bytes(np.zeros(4, np.float32)) + b"x", "holds 17 bytes of data"),
        (npy_bytes(np.zeros(1, np.float32)).replace(b"(1,)", b"(-1,)"), "negative shape"),
        (b"\x93NUMPY\x09\x00", "format version"),
        (b"not an array", "malformed"),
    ],
)
def test_unsafe_or_broken_arrays_are_refused(data: bytes, words: str) -> None:
    with pytest.raises(ModelFileError, match=words):
        parse_npy(data, "member")


@pytest.mark.parametrize(
    "text, words",
    [
        (b'{"a": ' * 65 + b"1" + b"}" * 65, "deeper than the limit of 64"),
        (b"[" * 100_000 + b"]" * 100_000, "RecursionError"),
        (b"\xff\xfe", "UnicodeDecodeError"),
        (b"{'single': 'quotes'}", "JSONDecodeError"),
    ],
)
def test_hostile_json_is_refused(text: bytes, words: str) -> None:
    with pytest.raises(ModelFileError, match=words):
        parse_json(text, "doc")


def test_json_within_limits_parses() -> None:
    assert parse_json(b'{"a": ' * 63 + b"1" + b"}" * 63, "doc", Limits()) is not None
