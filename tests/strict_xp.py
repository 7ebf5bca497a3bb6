"""A strict stand-in for CuPy: the GPU path of numkeras, tested on a machine without a GPU.

Its arrays wrap NumPy arrays and compute with NumPy, but, stricter than CuPy itself, they refuse
every implicit trip to the host: ``np.asarray(a)`` (``__array__``), NumPy's functions and ufuncs
applied to them, ``float()``, ``int()``, ``bool()``, ``__index__``, ``.item()``, ``.tolist()``,
iteration, and mixing them with NumPy arrays. Only :func:`asnumpy` and ``ndarray.get()`` cross,
as in CuPy. Module functions (``strict_xp.matmul``, ``strict_xp.random.default_rng``, ...) follow
CuPy's API by unwrapping their arguments, calling NumPy and wrapping the results.

``numkeras.backend.set_device(strict_xp)`` makes it the GPU's module (``device() == 'gpu'``).

It counts what a GPU would be asked to do in :data:`launches`: ``"op"``, an operation that
writes array data (one CUDA kernel launch in CuPy, near enough; views and bare allocations
launch nothing), ``"copy"``, a transfer between host and device, and ``"kernel:NAME"``, a launch
of a raw CUDA kernel. Those run through :class:`RawKernel`, CuPy's, which compiles the CUDA
source as C++ and runs it on the CPU (``tests/cuda_emulator.py``); without a C++ compiler the
stand-in has no ``RawKernel``, as if CuPy could not compile.
"""

from __future__ import annotations

from collections import Counter
from types import ModuleType
from typing import Any

import numpy as np

import cuda_emulator

#: The device work asked for so far, by kind (see the module's docstring); tests reset it.
launches: Counter[str] = Counter()
#: Functions that only allocate: CuPy takes their memory from its pool without a launch.
_ALLOCATIONS = frozenset({"empty", "empty_like"})


class HostTransferError(TypeError):
    """An implicit copy from the stand-in "device" to the host."""


def _refuse(what: str) -> HostTransferError:
    return HostTransferError(
        f"{what} would copy a device array to the host implicitly; use asnumpy(a) or a.get()"
    )


def _unwrap(value: Any) -> Any:
    """``value`` with stand-in arrays replaced by their NumPy arrays; host arrays refused."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray):
        # CuPy refuses NumPy arrays too: a host array reaching a device op is a missed transfer.
        raise TypeError(f"a NumPy array of shape {value.shape} was given to a device operation")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    """NumPy results as stand-in arrays (scalars as 0-d arrays, as CuPy returns them)."""
    if isinstance(value, (np.ndarray, np.generic)) and not isinstance(value, np.dtype):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _is_view(result: Any, sources: list) -> bool:
    """Whether ``result`` is only a new view of one of the ``sources`` (a reshape, a transpose,
    a slice), which CuPy makes without a launch; an ``out=`` argument returned is not one."""
    return (
        isinstance(result, np.ndarray)
        and result.base is not None
        and all(result is not s for s in sources)
        and any(isinstance(s, np.ndarray) and np.may_share_memory(result, s) for s in sources)
    )


def _writes_data(result: Any) -> bool:
    """Whether a call that returned ``result`` made or wrote array data: arrays and scalars,
    or None (an in-place function such as ``copyto``); not a dtype, a shape or a flag."""
    if isinstance(result, tuple):
        return any(isinstance(r, np.ndarray) for r in result)
    return result is None or isinstance(result, (np.ndarray, np.generic))


def _counted(result: Any, *sources: Any) -> Any:
    """``result``, counted as one launch if it made or wrote array data other than a view of
    one of the ``sources``."""
    if _writes_data(result) and not _is_view(result, list(sources)):
        launches["op"] += 1
    return result


def _call(function: Any, args: tuple, kwargs: dict) -> Any:
    args, kwargs = _unwrap(args), _unwrap(kwargs)
    result = function(*args, **kwargs)
    if getattr(function, "__name__", None) not in _ALLOCATIONS:
        _counted(result, getattr(function, "__self__", None), *args, *kwargs.values())
    return _wrap(result)


class _Function:
    """A NumPy function or ufunc as a device function (ufunc methods such as ``.at`` too)."""

    def __init__(self, function: Any) -> None:
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._function, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._function, name)
        return _Function(attribute) if callable(attribute) else attribute


def _binary(name: str) -> Any:
    def method(self: ndarray, other: Any) -> Any:
        launches["op"] += 1
        return _wrap(getattr(self._a, name)(_unwrap(other)))

    return method


def _inplace(name: str) -> Any:
    def method(self: ndarray, other: Any) -> ndarray:
        launches["op"] += 1
        getattr(self._a, name)(_unwrap(other))
        return self

    return method


class ndarray:  # noqa: N801  (CuPy's name)
    """A device array: a NumPy array that refuses to leave implicitly."""

    __slots__ = ("_a",)
    # NumPy defers every operator to this class and its ufuncs refuse it (np.add(a, 1) raises).
    __array_ufunc__ = None

    def __init__(self, array: np.ndarray) -> None:
        self._a = array

    def get(self) -> np.ndarray:
        """A NumPy copy on the host, as CuPy's ``ndarray.get()``."""
        launches["copy"] += 1
        return self._a.copy()

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise _refuse("np.asarray(a)")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise _refuse(f"numpy.{func.__name__}(a)")

    def __float__(self) -> float:
        raise _refuse("float(a)")

    def __int__(self) -> int:
        raise _refuse("int(a)")

    def __index__(self) -> int:
        raise _refuse("operator.index(a)")

    def __complex__(self) -> complex:
        raise _refuse("complex(a)")

    def __bool__(self) -> bool:
        raise _refuse("bool(a)")

    def __iter__(self) -> Any:
        raise _refuse("iterating over a")

    def __format__(self, spec: str) -> str:
        if spec:
            raise _refuse(f"format(a, {spec!r})")
        return repr(self)

    def __repr__(self) -> str:
        return f"strict_xp.ndarray(shape={self._a.shape}, dtype={self._a.dtype})"

    def item(self, *args: Any) -> Any:
        raise _refuse("a.item()")

    def tolist(self) -> Any:
        raise _refuse("a.tolist()")

    def tobytes(self, *args: Any, **kwargs: Any) -> Any:
        raise _refuse("a.tobytes()")

    def __len__(self) -> int:
        return len(self._a)

    def __getitem__(self, key: Any) -> Any:
        return _wrap(_counted(self._a[_unwrap(key)], self._a))

    def __setitem__(self, key: Any, value: Any) -> None:
        launches["op"] += 1
        self._a[_unwrap(key)] = _unwrap(value)

    def __getattr__(self, name: str) -> Any:
        # Attributes (shape, dtype, ndim, T, ...) and methods (reshape, sum, astype, ...) as
        # NumPy's, with array results kept on the device. Special names are not passed on:
        # NumPy would read the host buffer through __array_interface__ or __array_struct__.
        if name.startswith("__"):
            raise AttributeError(name)
        attribute = getattr(self._a, name)
        if callable(attribute):
            return _Function(attribute)
        return _wrap(attribute)

    def __neg__(self) -> ndarray:
        return ndarray(_counted(-self._a))

    def __pos__(self) -> ndarray:
        return ndarray(_counted(+self._a))

    def __abs__(self) -> ndarray:
        return ndarray(_counted(abs(self._a)))

    def __invert__(self) -> ndarray:
        return ndarray(_counted(~self._a))

    __hash__ = None  # type: ignore[assignment]


for _name in ("add sub mul truediv floordiv mod pow matmul and or xor lshift rshift").split():
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
    setattr(ndarray, f"__r{_name}__", _binary(f"__r{_name}__"))
    setattr(ndarray, f"__i{_name}__", _inplace(f"__i{_name}__"))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))


def asnumpy(a: Any) -> np.ndarray:
    """The explicit device-to-host copy (CuPy's ``asnumpy``)."""
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def asarray(a: Any, dtype: Any = None, order: Any = None) -> ndarray:
    """The explicit host-to-device copy (a no-op for a device array of that dtype)."""
    if isinstance(a, ndarray):
        if dtype is None or a._a.dtype == dtype:
            return a
        launches["op"] += 1
        return ndarray(a._a.astype(dtype))
    launches["copy"] += 1
    return ndarray(np.array(a, dtype=dtype, order=order))


def array(a: Any, dtype: Any = None, copy: bool = True, order: Any = "K") -> ndarray:
    """A device copy of ``a`` (host or device)."""
    on_device = isinstance(a, ndarray)
    launches["op" if on_device else "copy"] += 1
    return ndarray(np.array(a._a if on_device else a, dtype=dtype, copy=copy, order=order))


class _Generator:
    """CuPy's ``random.Generator``: draws made on the "device"."""

    def __init__(self, seed: Any = None) -> None:
        self._generator = np.random.default_rng(seed)

    def __getattr__(self, name: str) -> Any:
        return _Function(getattr(self._generator, name))


class _Random:
    """The ``random`` namespace: ``default_rng`` as CuPy's."""

    @staticmethod
    def default_rng(seed: Any = None) -> _Generator:
        return _Generator(seed)


random = _Random()

if cuda_emulator.available():

    class RawKernel(cuda_emulator.RawKernel):
        """CuPy's ``RawKernel`` on the stand-in's arrays: the CUDA source run by the
        emulator, each launch counted as ``"kernel:NAME"``; host arrays are refused."""

        def host_buffer(self, a: Any) -> np.ndarray | None:
            if isinstance(a, np.ndarray):
                raise TypeError(f"a NumPy array of shape {a.shape} was given to {self.name}")
            return a._a if isinstance(a, ndarray) else None

        def __call__(self, grid: tuple, block: tuple, args: tuple, shared_mem: int = 0) -> None:
            launches[f"kernel:{self.name}"] += 1
            super().__call__(grid, block, args, shared_mem)


class _Namespace:
    """A NumPy submodule (``linalg``, ``lib.stride_tricks``, ...) as a device namespace."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return _device_attribute(getattr(self._module, name))


def _device_attribute(attribute: Any) -> Any:
    # Types and constants as they are (float32, newaxis, pi); functions, ufuncs and submodules
    # working on device arrays.
    if isinstance(attribute, ModuleType):
        return _Namespace(attribute)
    if isinstance(attribute, type) or not callable(attribute):
        return attribute
    return _Function(attribute)


def __getattr__(name: str) -> Any:
    # Everything else is NumPy's, on the device.
    return _device_attribute(getattr(np, name))


import strict_cuda  # noqa: E402, F401  (CuPy's cuda namespace and ndarray.set, recorded: see there)
