"""A reader of pickle data that can only produce plain values and numeric numpy arrays.

CIFAR's Python batches are pickles, and ``pickle.load`` runs whatever code a file names. This
reader never imports or calls anything a file names: it interprets the opcodes of pickle
protocols 2 to 4 that plain data needs (``None``, booleans, ints, floats, bytes, str, lists,
tuples, dicts, and the memo that shares them), and of the globals only the three that numpy's
arrays are pickled with (``multiarray._reconstruct``, ``ndarray`` and ``dtype``), rebuilding the
array itself from its shape, dtype and raw bytes. Any other global, any other callable, an
object dtype, an unknown opcode, a length that runs past the end of the data: each raises
:class:`PickleDataError` naming what was refused and where.

With ``object_arrays=True`` an array may also have the object dtype, as the ragged arrays of
Keras's IMDB and Reuters ``.npz`` files do: its items are then values this reader has already
built (plain values and arrays), never anything a file could name.

Python 2's ``str`` (the ``STRING`` opcodes, CIFAR's keys and raw data) is read as ``bytes``, as
``pickle.load(..., encoding="bytes")`` reads it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: numpy's array reconstructor under numpy 1's name and numpy 2's.
_RECONSTRUCT = frozenset(
    {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}
)
_NDARRAY = ("numpy", "ndarray")
_DTYPE = ("numpy", "dtype")
#: The dtype kinds an array may have: booleans and numbers, whose raw bytes are the data itself
#: (an object array's "raw data" would be more pickled objects).
_NUMERIC_KINDS = "biuf"


class PickleDataError(ValueError):
    """Pickle data that the restricted reader refuses: damaged, or more than plain data."""


@dataclass(frozen=True)
class _Global:
    """A global the file named; only ever compared with the allowed names, never imported."""

    module: str
    name: str


class _Args(tuple):
    """A tuple that holds a global: the arguments of a call, which only REDUCE may take."""


@dataclass
class _Pending:
    """An array or dtype made by REDUCE and completed by BUILD, which pickle does in two steps."""

    kind: str  # "array" or "dtype"
    dtype: np.dtype | None = None  # a dtype's base type, before BUILD gives its byte order
    value: Any = None  # the finished array or dtype, once built
    built: bool = False


def loads(data: bytes | bytearray | memoryview, *, object_arrays: bool = False) -> Any:
    """The value that the pickle ``data`` holds, built without running any of its code.

    ``object_arrays`` also accepts arrays of the object dtype, whose items are plain values.

    Raises:
        PickleDataError: ``data`` holds anything but plain values and numeric arrays, or is
            damaged (truncated, a length past its end, a missing mark, ...).
    """
    return _Reader(memoryview(data).cast("B"), object_arrays).run()


class _Reader:
    """The pickle machine, cut down: a stack, marks and a memo, and the allowed opcodes."""

    def __init__(self, data: memoryview, object_arrays: bool = False) -> None:
        self.data = data
        self.kinds = _NUMERIC_KINDS + ("O" if object_arrays else "")
        self.pos = 0
        self.stack: list[Any] = []
        self.marks: list[int] = []  # stack heights at each MARK
        self.memo: dict[int, Any] = {}
        self.opcode = 0  # the opcode being run and where it started, for messages
        self.at = 0

    def run(self) -> Any:
        ops = _OPCODES
        while True:
            self.at = self.pos
            self.opcode = self._take(1)[0]
            if self.opcode == 0x2E:  # STOP
                if len(self.stack) != 1 or self.marks:
                    self._fail(f"STOP leaves {len(self.stack)} values on the stack, not one")
                return self._plain(self.stack.pop())
            op = ops.get(self.opcode)
            if op is None:
                self._fail(
                    "an opcode this reader does not allow (it reads plain data and numpy arrays "
                    "only)"
                )
            op(self)

    # -- reading the stream --------------------------------------------------------------
    def _take(self, n: int) -> memoryview:
        if n < 0 or n > len(self.data) - self.pos:
            left = len(self.data) - self.pos
            raise PickleDataError(
                f"Truncated pickle data: {n:,} bytes needed at offset {self.pos:,}, {left:,} left."
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def _uint(self, size: int) -> int:
        return int.from_bytes(self._take(size), "little")

    def _line(self) -> str:
        rest = self.data[self.pos :]
        end = bytes(rest[:256]).find(b"\n")  # a module or class name is far shorter
        if end < 0:
            self._fail("a GLOBAL name with no end of line in its first 256 bytes")
        return bytes(self._take(end + 1)[:-1]).decode("ascii", errors="replace")

    def _fail(self, why: str) -> None:
        raise PickleDataError(
            f"Refused pickle data: opcode {bytes([self.opcode])!r} at offset {self.at:,}: {why}."
        )

    # -- the stack -----------------------------------------------------------------------
    def _pop(self) -> Any:
        if len(self.stack) <= (self.marks[-1] if self.marks else 0):
            self._fail("no value to take from the stack")
        return self.stack.pop()

    def _pop_mark(self) -> list[Any]:
        if not self.marks:
            self._fail("no MARK before it")
        height = self.marks.pop()
        items = self.stack[height:]
        del self.stack[height:]
        return items

    def _resolved(self, value: Any) -> Any:
        # An array or dtype is used, or ends the data, only once BUILD has completed it.
        if isinstance(value, _Pending):
            if not value.built:
                self._fail(f"a numpy {value.kind} used before its state was given (BUILD)")
            return value.value
        return value

    def _plain(self, value: Any) -> Any:
        # What enters a list or dict, or ends the data: globals stay inside call arguments.
        value = self._resolved(value)
        if isinstance(value, (_Global, _Args)):
            self._fail("a global used as a value, not called")
        return value

    def _top(self) -> Any:
        if not self.stack:
            self._fail("no value on the stack")
        return self.stack[-1]

    # -- opcodes -------------------------------------------------------------------------
    def proto(self) -> None:
        version = self._uint(1)
        if not 2 <= version <= 4:
            self._fail(f"pickle protocol {version}; this reader takes protocols 2 to 4")

    def frame(self) -> None:
        # A frame only groups the opcodes that follow; its length must still fit in the data.
        size = self._uint(8)
        if size > len(self.data) - self.pos:
            self._fail(f"a frame of {size:,} bytes, past the end of the data")

    def mark(self) -> None:
        self.marks.append(len(self.stack))

    def push(self, value: Any) -> None:
        self.stack.append(value)

    def tuple_n(self, n: int) -> None:
        items = [self._pop() for _ in range(n)]
        self._tuple(reversed(items))

    def tuple_marked(self) -> None:
        self._tuple(self._pop_mark())

    def _tuple(self, items: Iterable[Any]) -> None:
        items = tuple(self._resolved(item) for item in items)
        calls = any(isinstance(item, (_Global, _Args)) for item in items)
        self.push(_Args(items) if calls else items)

    def appends(self) -> None:
        items = [self._plain(item) for item in self._pop_mark()]
        self._list().extend(items)

    def append(self) -> None:
        item = self._plain(self._pop())
        self._list().append(item)

    def _list(self) -> list[Any]:
        target = self._top()
        if not isinstance(target, list):
            self._fail(f"appending to a {type(target).__name__}, not a list")
        return target

    def setitems(self) -> None:
        items = [self._plain(item) for item in self._pop_mark()]
        if len(items) % 2:
            self._fail("an odd number of keys and values")
        self._set(items)

    def setitem(self) -> None:
        value = self._plain(self._pop())
        self._set([self._plain(self._pop()), value])

    def _set(self, items: list[Any]) -> None:
        target = self._top()
        if not isinstance(target, dict):
            self._fail(f"setting items of a {type(target).__name__}, not a dict")
        try:
            target.update(zip(items[::2], items[1::2], strict=True))
        except TypeError:
            self._fail("a dict key that cannot be hashed")

    def put(self, index: int) -> None:
        self.memo[index] = self._top()

    def memoize(self) -> None:
        self.put(len(self.memo))

    def get(self, index: int) -> None:
        if index not in self.memo:
            self._fail(f"memo entry {index} was never stored")
        self.push(self.memo[index])

    def global_(self) -> None:
        module = self._line()
        self.push(self._allowed(module, self._line()))

    def stack_global(self) -> None:
        name, module = self._plain(self._pop()), self._plain(self._pop())
        if not isinstance(module, str) or not isinstance(name, str):
            self._fail("STACK_GLOBAL of values that are not names")
        self.push(self._allowed(module, name))

    def _allowed(self, module: str, name: str) -> _Global:
        if (module, name) not in _RECONSTRUCT and (module, name) not in (_NDARRAY, _DTYPE):
            self._fail(
                f"the global {module}.{name}; only numpy's array reconstruction "
                f"(multiarray._reconstruct, ndarray, dtype) is allowed"
            )
        return _Global(module, name)

    def reduce(self) -> None:
        args, function = self._pop(), self._pop()
        if not isinstance(function, _Global) or not isinstance(args, tuple):
            self._fail("REDUCE of something other than an allowed global and its arguments")
        named = (function.module, function.name)
        if named in _RECONSTRUCT and len(args) == 3 and args[0] == _Global(*_NDARRAY):
            self.push(_Pending("array"))
        elif named == _DTYPE and len(args) == 3:
            self.push(_Pending("dtype", dtype=self._dtype(args[0])))
        else:
            self._fail(f"a call of {function.module}.{function.name} with arguments {args!r}")

    def _dtype(self, name: Any) -> np.dtype:
        if isinstance(name, bytes):
            name = name.decode("ascii", errors="replace")
        try:
            dtype = np.dtype(name) if isinstance(name, str) else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in self.kinds or dtype.fields or dtype.subdtype:
            allowed = "boolean, numeric and object" if "O" in self.kinds else "boolean and numeric"
            self._fail(f"the dtype {name!r}; only {allowed} arrays are allowed")
        return dtype

    def build(self) -> None:
        state = self._plain(self._pop())
        target = self._top()
        if not isinstance(target, _Pending) or target.built or not isinstance(state, tuple):
            self._fail("BUILD of something other than a numpy array or dtype just made")
        target.value = (
            self._array(state) if target.kind == "array" else self._byte_order(target, state)
        )
        target.built = True

    def _byte_order(self, pending: _Pending, state: tuple[Any, ...]) -> np.dtype:
        # (version, byte order, subarray, names, fields, ...): a plain dtype has no subarray,
        # names or fields.
        order = state[1] if len(state) >= 5 else None
        if isinstance(order, bytes):
            order = order.decode("ascii", errors="replace")
        if order not in ("<", ">", "|", "=") or any(part is not None for part in state[2:5]):
            self._fail(f"the dtype state {state!r}; only a plain numeric dtype is allowed")
        return pending.dtype.newbyteorder(order) if order != "|" else pending.dtype

    def _array(self, state: tuple[Any, ...]) -> np.ndarray:
        # (version, shape, dtype, Fortran order, raw bytes), as ndarray.__reduce__ writes it.
        if len(state) != 5:
            self._fail(f"an array state of {len(state)} items, not 5")
        _, shape, dtype, fortran, raw = state
        if (
            not isinstance(shape, tuple)
            or not all(type(n) is int and n >= 0 for n in shape)
            or not isinstance(dtype, np.dtype)
        ):
            self._fail("an array state that is not (version, shape, dtype, order, data)")
        order = "F" if fortran else "C"
        if dtype.kind == "O":
            return self._object_array(shape, raw, order)
        if not isinstance(raw, bytes):
            self._fail("a numeric array state whose data is not raw bytes")
        expected = dtype.itemsize * int(np.prod(shape, dtype=object))
        if len(raw) != expected:
            self._fail(f"{len(raw):,} bytes of data for shape {shape} of {dtype}, not {expected:,}")
        return np.frombuffer(raw, dtype).reshape(shape, order=order)

    def _object_array(self, shape: tuple[int, ...], items: Any, order: str) -> np.ndarray:
        # An object array pickles its items as a list, already built (plain) by this reader.
        size = int(np.prod(shape, dtype=object))
        if not isinstance(items, list) or len(items) != size:
            count = len(items) if isinstance(items, list) else type(items).__name__
            self._fail(
                f"object array data of {count} items for shape {shape}, not a list of {size}"
            )
        return object_vector(items).reshape(shape, order=order)


def object_vector(items: list[Any]) -> np.ndarray:
    """A 1-D object array of ``items``, each one element (``np.array(items, dtype=object)``
    would turn lists of one length into a second axis)."""
    vector = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        vector[index] = item
    return vector


def _sized(length: Callable[[_Reader], int], make: Callable[[memoryview], Any]) -> Callable:
    """An opcode that reads a length, then that many bytes, and pushes ``make`` of them."""

    def op(reader: _Reader) -> None:
        chunk = reader._take(length(reader))
        try:
            reader.push(make(chunk))
        except UnicodeDecodeError:
            reader._fail("text that is not UTF-8")

    return op


def _signed_length(reader: _Reader) -> int:
    return struct.unpack("<i", reader._take(4))[0]


def _text(chunk: memoryview) -> str:
    return str(chunk, "utf-8")


_OPCODES: dict[int, Callable[[_Reader], None]] = {
    0x80: _Reader.proto,
    0x95: _Reader.frame,
    ord("("): _Reader.mark,
    ord("N"): lambda r: r.push(None),
    0x88: lambda r: r.push(True),
    0x89: lambda r: r.push(False),
    ord("K"): lambda r: r.push(r._uint(1)),  # BININT1
    ord("M"): lambda r: r.push(r._uint(2)),  # BININT2
    ord("J"): lambda r: r.push(struct.unpack("<i", r._take(4))[0]),  # BININT
    0x8A: lambda r: r.push(int.from_bytes(r._take(r._uint(1)), "little", signed=True)),  # LONG1
    ord("G"): lambda r: r.push(struct.unpack(">d", r._take(8))[0]),  # BINFLOAT
    ord("U"): _sized(lambda r: r._uint(1), bytes),  # SHORT_BINSTRING (Python 2 str)
    ord("T"): _sized(_signed_length, bytes),  # BINSTRING (Python 2 str)
    ord("C"): _sized(lambda r: r._uint(1), bytes),  # SHORT_BINBYTES
    ord("B"): _sized(lambda r: r._uint(4), bytes),  # BINBYTES
    0x8E: _sized(lambda r: r._uint(8), bytes),  # BINBYTES8
    0x8C: _sized(lambda r: r._uint(1), _text),  # SHORT_BINUNICODE
    ord("X"): _sized(lambda r: r._uint(4), _text),  # BINUNICODE
    0x8D: _sized(lambda r: r._uint(8), _text),  # BINUNICODE8
    ord("]"): lambda r: r.push([]),
    ord("}"): lambda r: r.push({}),
    ord(")"): lambda r: r.push(()),
    ord("a"): _Reader.append,
    ord("e"): _Reader.appends,
    ord("s"): _Reader.setitem,
    ord("u"): _Reader.setitems,
    ord("t"): _Reader.tuple_marked,
    0x85: lambda r: r.tuple_n(1),
    0x86: lambda r: r.tuple_n(2),
    0x87: lambda r: r.tuple_n(3),
    ord("q"): lambda r: r.put(r._uint(1)),  # BINPUT
    ord("r"): lambda r: r.put(r._uint(4)),  # LONG_BINPUT
    0x94: _Reader.memoize,
    ord("h"): lambda r: r.get(r._uint(1)),  # BINGET
    ord("j"): lambda r: r.get(r._uint(4)),  # LONG_BINGET
    ord("c"): _Reader.global_,
    0x93: _Reader.stack_global,
    ord("R"): _Reader.reduce,
    ord("b"): _Reader.build,
}
