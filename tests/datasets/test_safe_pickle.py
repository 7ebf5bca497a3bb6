"""The restricted pickle reader: plain data and numeric arrays as pickle reads them, and every
hostile or damaged file refused with PickleDataError, never run."""

from __future__ import annotations

import builtins
import io
import os
import pickle
import struct

import numpy as np
import pytest
from cifar_support import batch, py2_pickle

from numkeras.datasets._safe_pickle import PickleDataError, loads

PLAIN = {
    "text": "héllo",
    b"bytes": b"\x00\xff",
    1: [0, 255, 256, 65535, 65536, -1, -(2**31), 2**31, 2**70, -(2**70)],
    2.5: (None, True, False, 1.5e-300, float("inf")),
    (1, "a"): {"nested": [[], {}, ()]},
}


@pytest.mark.parametrize("protocol", [3, 4])
def test_plain_values_are_read_as_pickle_reads_them(protocol):
    assert loads(pickle.dumps(PLAIN, protocol=protocol)) == PLAIN


def test_protocol_2_without_bytes_is_read():
    value = {k: v for k, v in PLAIN.items() if not isinstance(k, bytes)}
    assert loads(pickle.dumps(value, protocol=2)) == value


def test_shared_and_repeated_values_keep_sharing():
    shared = [1, 2]
    value = loads(pickle.dumps({"a": shared, "b": shared, "c": "x" * 300}, protocol=4))
    assert value["a"] is value["b"] and value["a"] == [1, 2]


@pytest.mark.parametrize("protocol", [3, 4])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.uint8).reshape(3, 4),
        np.linspace(-1, 1, 10).astype(">f4"),
        np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
        np.array([True, False]),
        np.zeros((0, 3), np.float64),
        np.array(7.0, np.float32),
    ],
    ids=["uint8", "big-endian float32", "fortran int64", "bool", "empty", "0-d"],
)
def test_numeric_arrays_are_rebuilt_exactly(protocol, array):
    got = loads(pickle.dumps({"x": array, "y": [array]}, protocol=protocol))
    for found in (got["x"], got["y"][0]):
        assert found.dtype == array.dtype and found.shape == array.shape
        np.testing.assert_array_equal(found, array)


def test_a_python2_cifar_batch_reads_as_kerass_restricted_unpickler_reads_it(keras):
    from keras.src.datasets.npz_utils import RestrictedUnpickler

    data = py2_pickle(batch(5, 3, {"labels": 10}))
    theirs = RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    ours = loads(data)
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        np.testing.assert_array_equal(np.asarray(ours[key]), np.asarray(value))
    assert ours[b"data"].dtype == np.uint8 and ours[b"data"].shape == (5, 3072)


class Call:
    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def _global(module: str, name: str) -> bytes:
    return f"c{module}\n{name}\n".encode()


HOSTILE = {
    "os.system by GLOBAL and REDUCE": (
        pickle.dumps(Call(os.system, "echo pwned"), protocol=2),
        r"the global posix\.system",
    ),
    "os.system by STACK_GLOBAL": (
        pickle.dumps(Call(os.system, "echo pwned"), protocol=4),
        r"the global posix\.system",
    ),
    "builtins.eval": (pickle.dumps(Call(builtins.eval, "1+1"), protocol=4), "builtins.eval"),
    "an object array": (pickle.dumps(np.array([{}, 1], dtype=object), protocol=4), "dtype 'O8'"),
    "a unicode array": (pickle.dumps(np.array(["ab"]), protocol=4), "dtype 'U2'"),
    "a structured array": (
        pickle.dumps(np.zeros(2, dtype=[("a", "u1"), ("b", "f4")]), protocol=4),
        "only boolean and numeric arrays|only a plain numeric dtype",
    ),
    "protocol 5's out-of-band buffers": (pickle.dumps(np.zeros(3), protocol=5), "protocol 5"),
    "a set": (pickle.dumps({1, 2}, protocol=4), "opcode this reader does not allow"),
    "protocol 0": (pickle.dumps([1], protocol=0), "opcode this reader does not allow"),
    "an allowed global called with other arguments": (
        b"\x80\x02" + _global("numpy", "dtype") + b"X\x01\x00\x00\x00O\x85R.",
        "numpy.dtype with arguments",
    ),
    "ndarray reconstruct of another class": (
        b"\x80\x02"
        + _global("numpy.core.multiarray", "_reconstruct")
        + _global("numpy", "dtype")
        + b"K\x00\x85C\x01b\x87R.",
        "a call of numpy.core.multiarray._reconstruct",
    ),
    "a global returned as a value": (b"\x80\x02" + _global("numpy", "ndarray") + b".", "a global"),
    "a global inside a list": (
        b"\x80\x02]" + _global("numpy", "ndarray") + b"\x85a.",
        "a global used as a value",
    ),
    "an array used before BUILD": (
        b"\x80\x02"
        + _global("numpy.core.multiarray", "_reconstruct")
        + _global("numpy", "ndarray")
        + b"K\x00\x85C\x01b\x87R.",
        "a numpy array used before its state was given",
    ),
    "array data of the wrong length": (
        pickle.dumps(np.zeros(4, np.uint8), protocol=3).replace(
            b"C\x04\x00\x00\x00\x00", b"C\x03\x00\x00\x00"
        ),
        "3 bytes of data for shape",
    ),
    "a length of 2**62 bytes": (b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"ab.", "Truncated"),
    "a negative string length": (b"\x80\x02T" + struct.pack("<i", -5) + b"ab.", "Truncated"),
    "a frame longer than the data": (b"\x80\x04\x95" + struct.pack("<Q", 2**40) + b"N.", "frame"),
    "a memo entry never stored": (b"\x80\x02j" + struct.pack("<I", 99) + b".", "memo entry 99"),
    "SETITEMS without MARK": (b"\x80\x02}K\x01K\x02u.", "no MARK"),
    "an unhashable key": (b"\x80\x02}]K\x01s.", "key that cannot be hashed"),
    "APPEND to a dict": (b"\x80\x02}K\x01a.", "appending to a dict"),
    "REDUCE on an empty stack": (b"\x80\x02R.", "no value to take"),
    "no STOP": (pickle.dumps([1, 2], protocol=3)[:-1], "Truncated"),
    "text that is not UTF-8": (b"\x80\x02X\x01\x00\x00\x00\xff.", "not UTF-8"),
}


@pytest.mark.parametrize(("data", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_and_damaged_data_is_refused(data, message):
    with pytest.raises(PickleDataError, match=message):
        loads(data)


def test_every_truncation_of_a_cifar_batch_is_refused():
    data = py2_pickle(batch(2, 1, {"fine_labels": 100, "coarse_labels": 20}))
    for end in range(len(data)):
        with pytest.raises(PickleDataError):
            loads(data[:end])


def test_random_corruption_raises_only_pickle_data_error():
    data = pickle.dumps(batch(2, 1, {"labels": 10}), protocol=4)
    rng = np.random.default_rng(0)
    for _ in range(3000):
        damaged = bytearray(data)
        for at in rng.integers(0, len(data), rng.integers(1, 4)):
            damaged[at] = rng.integers(0, 256)
        try:
            loads(bytes(damaged))
        except PickleDataError:
            pass


@pytest.mark.parametrize("protocol", [3, 4])
def test_object_arrays_of_lists_are_read_only_when_asked(protocol):
    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1, 2, 70000], [], [2**40, -5]]
    data = pickle.dumps(ragged, protocol=protocol)
    with pytest.raises(PickleDataError, match="dtype 'O8'"):
        loads(data)
    got = loads(data, object_arrays=True)
    assert got.dtype == object and got.shape == (3,)
    assert [list(item) for item in got] == [[1, 2, 70000], [], [2**40, -5]]


def test_an_object_array_of_equal_lists_keeps_its_shape():
    ragged = np.empty((2, 1), dtype=object)
    ragged[0, 0], ragged[1, 0] = [1, 2], [3, 4]
    got = loads(pickle.dumps(ragged, protocol=4), object_arrays=True)
    assert got.shape == (2, 1) and got[1, 0] == [3, 4]


def test_an_object_array_still_refuses_what_its_items_name():
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1], os.system]
    with pytest.raises(PickleDataError, match="global"):
        loads(pickle.dumps(ragged, protocol=4), object_arrays=True)


def test_an_object_array_with_the_wrong_number_of_items_is_refused():
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1], [2]]
    data = pickle.dumps(ragged, protocol=3)  # protocol 3 has no frame lengths to mend
    # The state's shape (2,) is BININT1 2, TUPLE1: claim three items for the two stored.
    tampered = data.replace(b"K\x02\x85", b"K\x03\x85", 1)
    assert tampered != data
    with pytest.raises(PickleDataError, match="data of 2 items for shape"):
        loads(tampered, object_arrays=True)
