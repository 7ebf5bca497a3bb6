"""Result dtypes: Keras 3's rules, checked against real Keras for every op that has one."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops
from numkeras.ops.dtypes import accumulation_dtype, as_float, result_type

SMALL = np.array([[1, 2, 3], [0, 1, 2]])

#: each op, called on a (2, 3) tensor of the dtype under test.
CALLS = {
    "sum": lambda m, x: m.sum(x),
    "prod": lambda m, x: m.prod(x, axis=1),
    "mean": lambda m, x: m.mean(x),
    "var": lambda m, x: m.var(x),
    "std": lambda m, x: m.std(x),
    "max": lambda m, x: m.max(x, axis=0),
    "logsumexp": lambda m, x: m.logsumexp(x),
    "cumsum": lambda m, x: m.cumsum(x, axis=1),
    "cumprod": lambda m, x: m.cumprod(x),
    "norm": lambda m, x: m.norm(x),
    "argmax": lambda m, x: m.argmax(x, axis=1),
    "argsort": lambda m, x: m.argsort(x),
    "sort": lambda m, x: m.sort(x),
    "top_k values": lambda m, x: m.top_k(x, 2)[0],
    "top_k indices": lambda m, x: m.top_k(x, 2)[1],
    "take": lambda m, x: m.take(x, np.array([1, 0]), axis=1),
    "einsum": lambda m, x: m.einsum("ij,kj->ik", x, x),
    "tensordot": lambda m, x: m.tensordot(x, x, axes=([1], [1])),
    "dot": lambda m, x: m.dot(x, m.transpose(x)),
    "expand_dims": lambda m, x: m.expand_dims(x, 0),
    "repeat": lambda m, x: m.repeat(x, 2, axis=0),
}
DTYPES = ["bool", "int8", "uint8", "int32", "float16", "float32"]


#: Keras's top_k on JAX refuses booleans, so that pair has no reference.
PAIRS = [(n, d) for n in CALLS for d in DTYPES if (n, d) != ("top_k values", "bool")]


@pytest.mark.parametrize(("name", "dtype"), PAIRS)
def test_result_dtype_matches_keras(name, dtype, keras):
    x = SMALL.astype(dtype)
    with backend.floatx_scope("float32"):
        ours = CALLS[name](ops, x)
    theirs = np.asarray(CALLS[name](keras.ops, x))
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.astype(float), rtol=1e-3)


def test_accumulation_widens_narrow_integers_only():
    assert accumulation_dtype("bool") == np.int32
    assert accumulation_dtype("int16") == np.int32
    assert accumulation_dtype("uint8") == np.uint32
    assert accumulation_dtype("int64") == np.int64
    assert accumulation_dtype("float16") == np.float16


def test_as_float_keeps_floats_and_makes_floatx_of_the_rest():
    half = np.ones(2, np.float16)
    assert as_float(half) is half
    with backend.floatx_scope("float32"):
        assert as_float(np.ones(2, int)).dtype == np.float32


@pytest.mark.parametrize(
    "dtypes",
    [
        ("int64", "float32"),
        ("int32", "float16"),
        ("uint8", "int8"),
        ("bool", "int8"),
        ("int16", "uint16"),
        ("float32", "float32"),
    ],
)
def test_result_type_matches_keras(dtypes, keras):
    assert result_type(*dtypes) == keras.backend.result_type(*dtypes)
