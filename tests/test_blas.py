"""numkeras.blas: products through oneMKL where installed and applicable, else NumPy's."""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pytest

from numkeras import blas


def mkl_installed() -> bool:
    try:
        metadata.distribution("mkl")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture
def blas_choice(monkeypatch):
    """Sets ``NUMKERAS_BLAS`` (None: unset) and forgets the library loaded under the last."""

    def choose(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("NUMKERAS_BLAS", raising=False)
        else:
            monkeypatch.setenv("NUMKERAS_BLAS", value)
        blas._sgemm.cache_clear()

    yield choose
    blas._sgemm.cache_clear()


def operands(rng: np.random.Generator, m: int, k: int, n: int, a_t: bool, b_t: bool) -> tuple:
    """float32 ``a`` (m x k) and ``b`` (k x n), each C-contiguous or a transposed view."""
    a = rng.standard_normal((k, m) if a_t else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if b_t else (k, n), dtype=np.float32)
    return (a.T if a_t else a), (b.T if b_t else b)


def test_numpy_choice_gives_numpys_bits_into_the_given_output(blas_choice):
    blas_choice("numpy")
    a, b = operands(np.random.default_rng(0), 30, 40, 20, True, False)
    out = np.empty((30, 20), np.float32)
    assert blas.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, np.matmul(a, b), strict=True)


def test_a_bad_choice_is_refused_by_name(blas_choice):
    blas_choice("openblas")
    with pytest.raises(ValueError, match="NUMKERAS_BLAS must be one of .*got 'openblas'"):
        blas.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))


@pytest.mark.skipif(mkl_installed(), reason="the mkl package is installed")
def test_asking_for_mkl_without_it_says_what_to_install(blas_choice):
    blas_choice("mkl")
    with pytest.raises(ImportError, match=r"pip install numkeras\[mkl\]"):
        blas.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))
    blas_choice(None)  # auto: NumPy's path, as MKL is missing
    a, b = operands(np.random.default_rng(3), 8, 9, 10, False, True)
    np.testing.assert_array_equal(blas.matmul(a, b), np.matmul(a, b), strict=True)


needs_mkl = pytest.mark.skipif(not mkl_installed(), reason="the mkl package is not installed")


@needs_mkl
@pytest.mark.parametrize("a_t", [False, True])
@pytest.mark.parametrize("b_t", [False, True])
@pytest.mark.parametrize("m, k, n", [(100, 784, 64), (1, 50, 30), (33, 1, 7)])
def test_mkl_products_agree_with_float64_in_every_layout(blas_choice, a_t, b_t, m, k, n):
    blas_choice("mkl")
    a, b = operands(np.random.default_rng(1), m, k, n, a_t, b_t)
    out = np.full((m, n), np.nan, np.float32)
    assert blas.matmul(a, b, out=out) is out
    exact = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(out, exact, rtol=1e-5, atol=1e-4 * np.sqrt(k))
    fresh = blas.matmul(a, b)
    assert fresh.dtype == np.float32 and fresh.flags.c_contiguous
    np.testing.assert_array_equal(fresh, out)


@needs_mkl
def test_with_mkl_other_operands_take_numpys_path(blas_choice):
    blas_choice("mkl")
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((6, 5)), rng.standard_normal((5, 4))
    cases = [
        (a, b),  # float64
        (a.astype(np.float32)[::2], b.astype(np.float32)),  # strided rows
        (np.ones((2, 6, 5), np.float32), b.astype(np.float32)),  # batched
    ]
    for x, y in cases:
        np.testing.assert_array_equal(blas.matmul(x, y), np.matmul(x, y), strict=True)
    square = rng.standard_normal((4, 4)).astype(np.float32)
    expected = square @ square
    assert blas.matmul(square, square, out=square) is square  # the output is an operand
    np.testing.assert_array_equal(square, expected, strict=True)
