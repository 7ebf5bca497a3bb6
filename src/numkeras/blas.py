"""Matrix products through oneMKL when it is installed, through NumPy's BLAS otherwise.

NumPy's wheels multiply float32 matrices with OpenBLAS. On the products of a wide layer's
training step (``100x2048 @ 2048x2048`` and its backward forms ``x.T @ g`` and ``g @ W.T``)
Intel's oneMKL runs about 1.3x faster on the same cores (docs/performance.md, "Wide layers").
``pip install numkeras[mkl]`` installs Intel's ``mkl`` wheel; :func:`matmul` then sends the
product of two 2-D float32 NumPy arrays (each C-contiguous or the transpose of one) to MKL's
``cblas_sgemm``, loaded through ``ctypes`` on the first product, and every other product (CuPy
arrays, other dtypes, batched or strided operands, or no MKL) to ``xp.matmul``.

``NUMKERAS_BLAS`` chooses: unset or ``auto`` (MKL if installed), ``mkl`` (MKL, an error if it is
not installed) or ``numpy`` (NumPy's path). MKL sums in another order than OpenBLAS, so the two
agree to float32 rounding, not bit for bit.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .backend import get_array_module

#: The values ``NUMKERAS_BLAS`` may take.
CHOICES = ("auto", "mkl", "numpy")
# CBLAS's enumerations (cblas.h).
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b``, written into ``out`` when given: through MKL's ``cblas_sgemm`` where it applies
    (see the module's docstring), else ``xp.matmul(a, b, out=out)``."""
    sgemm = _sgemm()
    if sgemm is None or not (_operand(a) and _operand(b) and a.shape[1] == b.shape[0]):
        return get_array_module(a).matmul(a, b, out=out)
    shape = (a.shape[0], b.shape[1])
    if out is None:
        out = np.empty(shape, np.float32)
    elif not _output(out, shape, a, b):
        return np.matmul(a, b, out=out)
    (trans_a, lda), (trans_b, ldb) = _layout(a), _layout(b)
    operands = (a.ctypes.data, lda, b.ctypes.data, ldb, 0.0, out.ctypes.data, shape[1])
    sgemm(_ROW_MAJOR, trans_a, trans_b, *shape, a.shape[1], 1.0, *operands)
    return out


def _operand(a: Any) -> bool:
    """Whether ``cblas_sgemm`` takes ``a``: a non-empty 2-D float32 NumPy array, C-contiguous or
    the transpose of a C-contiguous array."""
    return (
        type(a) is np.ndarray
        and a.dtype == np.float32
        and a.ndim == 2
        and a.size > 0
        and (a.flags.c_contiguous or a.T.flags.c_contiguous)
    )


def _output(out: Any, shape: tuple[int, int], a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``cblas_sgemm`` may write ``a @ b`` into ``out``: a C-contiguous float32 NumPy
    array of ``shape`` that shares no memory with ``a`` or ``b`` (sgemm would read what it had
    overwritten, where NumPy copies the operands first)."""
    return (
        _operand(out)
        and out.flags.c_contiguous
        and out.shape == shape
        and not np.may_share_memory(out, a)
        and not np.may_share_memory(out, b)
    )


def _layout(a: np.ndarray) -> tuple[int, int]:
    """CBLAS's transpose flag and leading dimension for ``a`` (see :func:`_operand`)."""
    if a.flags.c_contiguous:
        return _NO_TRANS, a.shape[1]
    return _TRANS, a.shape[0]


@functools.cache
def _sgemm() -> Callable[..., None] | None:
    """MKL's ``cblas_sgemm`` as chosen by ``NUMKERAS_BLAS`` (loaded once), or None."""
    choice = os.environ.get("NUMKERAS_BLAS", "auto").lower() or "auto"
    if choice not in CHOICES:
        raise ValueError(f"NUMKERAS_BLAS must be one of {CHOICES}, got {choice!r}")
    if choice == "numpy":
        return None
    path = _mkl_library()
    if path is None:
        if choice == "mkl":
            raise ImportError(
                "NUMKERAS_BLAS=mkl, but the mkl package is not installed "
                "(pip install numkeras[mkl])"
            )
        return None
    import ctypes

    # MKL's OpenMP threads spin for KMP_BLOCKTIME (200 ms by default) after each product, on the
    # cores that the fused kernels' own threads then need for a wide layer's Adam step. 1 ms
    # outlasts the gaps between a step's products (their threads stay awake through a step) and
    # frees the cores for the update (docs/performance.md, "Wide layers"). Read by Intel's
    # OpenMP when MKL loads it, below; a value the user set is kept.
    os.environ.setdefault("KMP_BLOCKTIME", "1")
    sgemm = ctypes.CDLL(path).cblas_sgemm
    i, f, p = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
    sgemm.argtypes = [i, i, i, i, i, i, f, p, i, p, i, f, p, i]
    sgemm.restype = None
    return sgemm


def _mkl_library() -> str | None:
    """The path of MKL's single dynamic library (``libmkl_rt``) that the ``mkl`` wheel
    installed, or None."""
    from importlib import metadata

    try:
        files = metadata.distribution("mkl").files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name.startswith(("libmkl_rt.so", "mkl_rt.")) and file.name[-4:] != ".lib":
            return str(file.locate())
    return None
