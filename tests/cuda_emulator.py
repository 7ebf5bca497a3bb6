"""CUDA kernels run on the CPU: the very source text that CuPy would compile, compiled as C++.

A ``__global__`` function of a CUDA source is plain C++ once ``__global__``, ``__device__`` and
the launch coordinates (``blockIdx``, ``threadIdx``, ``blockDim``, ``gridDim``) are defined:
:data:`PRELUDE` defines them, and g++ (``-x c++ -O2 -ffp-contract=off``, so that no multiply-add
is contracted, as NVRTC's ``--fmad=false``) compiles the prelude, the source and one launcher
per kernel into a shared library in a temporary folder, once per source and process. A launch
runs every thread of the grid, one after another, each with its own coordinates: grid-stride
loops are exercised as they are written, and float32 arithmetic in the same order gives the
bits that the GPU would.

:class:`RawKernel` has CuPy's signature (``RawKernel(code, name, options)``, called as
``kernel(grid, block, args)``) and passes arguments as CuPy does: arrays as pointers to their
data, ``None`` as a null pointer, NumPy scalars by value. It is stricter than CuPy, which takes
whatever it is given: the number of arguments and each scalar's size must match the kernel's
parameters, and an array must be C-contiguous.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

COMPILER = shutil.which("g++")

PRELUDE = r"""
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#define __global__
#define __device__
#define __forceinline__ inline
struct dim3 {
    unsigned int x, y, z;
};
static dim3 blockIdx, threadIdx, blockDim, gridDim;

/* kernel(args...) for every thread of a one-dimensional grid, one after another; args[i]
 * points at the i-th argument's value, as in cuLaunchKernel's kernelParams. */
template <typename... A, std::size_t... I>
static void run_grid(void (*kernel)(A...), void **args, unsigned int blocks,
                     unsigned int threads, std::index_sequence<I...>)
{
    gridDim = {blocks, 1, 1};
    blockDim = {threads, 1, 1};
    for (unsigned int b = 0; b < blocks; b++)
        for (unsigned int t = 0; t < threads; t++) {
            blockIdx = {b, 0, 0};
            threadIdx = {t, 0, 0};
            kernel(*static_cast<A *>(args[I])...);
        }
}

/* With parameters NULL: launch the kernel over the grid. Otherwise describe it instead:
 * parameters = its number of parameters, then each one's size, 0 for a pointer. */
template <typename... A>
static void emulate(void (*kernel)(A...), void **args, unsigned int blocks,
                    unsigned int threads, long long *parameters)
{
    if (parameters == nullptr) {
        run_grid(kernel, args, blocks, threads, std::index_sequence_for<A...>{});
        return;
    }
    static_assert(sizeof...(A) < 64, "the emulator describes at most 63 parameters");
    const long long sizes[] = {0, (std::is_pointer<A>::value ? 0LL : (long long)sizeof(A))...};
    parameters[0] = sizeof...(A);
    for (std::size_t i = 1; i <= sizeof...(A); i++)
        parameters[i] = sizes[i];
}
"""

_LAUNCHER = r"""
extern "C" void emulate_{name}(void **args, unsigned int blocks, unsigned int threads,
                               long long *parameters)
{{
    emulate(&{name}, args, blocks, threads, parameters);
}}
"""

#: The NVRTC options that mean what the emulator does anyway (it never contracts).
UNDERSTOOD_OPTIONS = frozenset({"--fmad=false", "-fmad=false"})
_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(')
_folder: Path | None = None
_libraries: dict[str, ctypes.CDLL] = {}


def available() -> bool:
    """Whether a C++ compiler is there to emulate kernels with."""
    return COMPILER is not None


def _library(source: str) -> ctypes.CDLL:
    """``source`` with :data:`PRELUDE` and a launcher per kernel, compiled and loaded (once)."""
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    if key in _libraries:
        return _libraries[key]
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="cuda_emulator_"))
        atexit.register(shutil.rmtree, _folder, True)
    launchers = [_LAUNCHER.format(name=name) for name in _KERNEL.findall(source)]
    text = PRELUDE + source + "".join(launchers)
    cpp, library = _folder / f"{key}.cpp", _folder / f"{key}.so"
    cpp.write_text(text)
    command = [COMPILER, "-x", "c++", "-std=c++17", "-O2", "-ffp-contract=off", "-fPIC"]
    done = subprocess.run(
        [*command, "-shared", "-o", str(library), str(cpp)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"the CUDA source does not compile as C++:\n{done.stderr}")
    _libraries[key] = ctypes.CDLL(str(library))
    return _libraries[key]


class RawKernel:
    """CuPy's ``RawKernel``, run by the emulator: ``RawKernel(code, name, options)`` compiles
    ``code`` (once per process) and ``kernel(grid, block, args)`` launches ``name``."""

    def __init__(self, code: str, name: str, options: tuple[str, ...] = ()) -> None:
        unknown = set(options) - UNDERSTOOD_OPTIONS
        if unknown:
            raise ValueError(f"options the emulator cannot honour: {sorted(unknown)}")
        if name not in _KERNEL.findall(code):
            raise ValueError(f'no extern "C" __global__ kernel named {name!r} in the source')
        self.code, self.name, self.options = code, name, tuple(options)
        self._function = getattr(_library(code), f"emulate_{name}")
        self._function.restype = None
        parameters = (ctypes.c_longlong * 64)()
        self._function(None, 0, 0, parameters)
        #: Each parameter's size in bytes, 0 for a pointer.
        self.parameters = tuple(parameters[1 : parameters[0] + 1])

    def host_buffer(self, a: Any) -> np.ndarray | None:
        """The host memory behind ``a`` if it is an array (here: a NumPy array), else None."""
        return a if isinstance(a, np.ndarray) else None

    def __call__(self, grid: tuple, block: tuple, args: tuple, shared_mem: int = 0) -> None:
        if tuple(grid)[1:] not in ((), (1,), (1, 1)) or tuple(block)[1:] not in ((), (1,), (1, 1)):
            raise ValueError(f"the emulator runs 1-D grids only. Received: {grid=}, {block=}")
        if shared_mem:
            raise ValueError(f"the emulator has no shared memory. Received: {shared_mem=}")
        if len(args) != len(self.parameters):
            raise TypeError(
                f"{self.name} takes {len(self.parameters)} arguments. Received: {len(args)}"
            )
        values = [
            self._argument(a, size, position)
            for position, (a, size) in enumerate(zip(args, self.parameters, strict=True))
        ]
        pointers = (ctypes.c_void_p * len(values))(*map(ctypes.addressof, values))
        self._function(pointers, ctypes.c_uint(grid[0]), ctypes.c_uint(block[0]), None)

    def _argument(self, a: Any, size: int, position: int) -> Any:
        """Argument ``position`` as a ctypes value: an array's data pointer, or a scalar's
        bytes, checked against the parameter (``size`` bytes; 0 for a pointer)."""
        where = f"{self.name} argument {position}"
        if size == 0:
            if a is None:
                return ctypes.c_void_p(None)
            buffer = self.host_buffer(a)
            if buffer is None or not buffer.flags.c_contiguous:
                raise TypeError(f"{where} must be a C-contiguous device array. Received: {a!r}")
            return ctypes.c_void_p(buffer.ctypes.data)
        if not isinstance(a, np.generic) or a.itemsize != size:
            raise TypeError(f"{where} must be a NumPy scalar of {size} bytes. Received: {a!r}")
        return ctypes.create_string_buffer(a.tobytes(), size)
