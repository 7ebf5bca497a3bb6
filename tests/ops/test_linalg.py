"""einsum, tensordot and dot: values and dtypes against Keras 3, gradients of every operand
against finite differences, for any subscripts."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops
from numkeras.ops.linalg import parse_subscripts

from .keras_oracle import assert_like_keras

_rng = np.random.default_rng(0)


def _arrays(*shapes):
    return [_rng.standard_normal(s).astype(np.float32) for s in shapes]


#: subscripts and operands, one for each kind of label the VJP handles.
EINSUM_CASES = {
    "matrix product": ("ij,jk->ik", _arrays((3, 4), (4, 2))),
    "implicit output": ("ij,jk", _arrays((3, 4), (4, 2))),
    "implicit, mixed case": ("Ba,aA", _arrays((2, 3), (3, 4))),
    "batched": ("bij,bjk->bik", _arrays((2, 3, 4), (2, 4, 5))),
    "transposed output": ("ij,jk->ki", _arrays((3, 4), (4, 2))),
    "outer": ("i,j->ij", _arrays(3, 4)),
    "inner": ("i,i", _arrays(4, 4)),
    "element-wise": ("ij,ij->ij", _arrays((2, 3), (2, 3))),
    "summed in one operand only": ("ij,k->ik", _arrays((2, 3), 4)),
    "full sum": ("ijk->", _arrays((2, 3, 4))),
    "diagonal": ("ii->i", _arrays((3, 3))),
    "trace": ("ii", _arrays((3, 3))),
    "diagonal times vector": ("ii,i->i", _arrays((3, 3), 3)),
    "repeated thrice": ("iii->i", _arrays((2, 2, 2))),
    "repeated and summed": ("iij,jk->k", _arrays((3, 3, 2), (2, 4))),
    "three operands": ("ij,jk,kl->il", _arrays((2, 3), (3, 4), (4, 2))),
    "bilinear": ("i,ij,j->", _arrays(3, (3, 4), 4)),
    "ellipsis": ("...ij,...jk->...ik", _arrays((2, 3, 4), (2, 4, 2))),
    "ellipsis broadcast": ("...ij,...jk->...ik", _arrays((2, 1, 3, 4), (5, 4, 2))),
    "implicit ellipsis": ("...i,i", _arrays((2, 3, 4), 4)),
    "size-1 label broadcast": ("ij,j->i", _arrays((3, 4), 1)),
    "attention scores": ("bqhd,bkhd->bhqk", _arrays((2, 3, 2, 4), (2, 5, 2, 4))),
}


@pytest.mark.parametrize("name", EINSUM_CASES)
def test_einsum_matches_keras(name, keras):
    subscripts, operands = EINSUM_CASES[name]
    assert_like_keras(keras, "einsum", subscripts, *operands)


@pytest.mark.parametrize("name", EINSUM_CASES)
def test_einsum_gradient_of_every_operand(name, gradcheck):
    subscripts, operands = EINSUM_CASES[name]
    gradcheck(lambda *vs: ops.einsum(subscripts, *vs), *operands)


def test_einsum_of_one_tensor_twice_adds_both_gradients():
    x = ops.Variable([1.0, 2.0, 3.0])
    ops.einsum("i,i", x, x).backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])


def test_parse_spells_out_ellipses_and_implicit_outputs():
    assert parse_subscripts("...ij,j", [(5, 2, 3), (3,)]) == (["aij", "j"], "ai")
    assert parse_subscripts("ba,ab", [(2, 3), (3, 2)]) == (["ba", "ab"], "")
    assert parse_subscripts("ij, jk -> ik", [(2, 3), (3, 4)]) == (["ij", "jk"], "ik")


@pytest.mark.parametrize(
    ("subscripts", "shapes", "message"),
    [
        ("ij,jk->ik", [(2, 3)], "name 2 operands but 1"),
        ("ij->i", [(2, 3, 4)], "has 3 axes"),
        ("ij->ii", [(2, 2)], "distinct"),
        ("ij->k", [(2, 2)], "name axes of the operands"),
        ("...i->i", [(2, 3)], "keep the operands' '...'"),
        ("i1->i", [(2, 3)], "letters"),
    ],
)
def test_bad_subscripts_are_named(subscripts, shapes, message):
    with pytest.raises(ValueError, match=message):
        parse_subscripts(subscripts, shapes)


TENSORDOT_CASES = {
    "default two axes": (_arrays((2, 3, 4), (3, 4, 5)), {}),
    "one axis": (_arrays((2, 3), (3, 4)), {"axes": 1}),
    "outer": (_arrays(2, 3), {"axes": 0}),
    "axis lists": (_arrays((3, 2, 4), (2, 3, 5)), {"axes": ([1, 0], [0, 1])}),
    "axis ints": (_arrays((2, 3, 4), (4, 3, 5)), {"axes": (1, 1)}),
    "negative axes": (_arrays((2, 3, 4), (4, 5)), {"axes": ([-1], [0])}),
}


@pytest.mark.parametrize("name", TENSORDOT_CASES)
def test_tensordot_matches_keras_and_differentiates(name, keras, gradcheck):
    operands, kwargs = TENSORDOT_CASES[name]
    assert_like_keras(keras, "tensordot", *operands, **kwargs)
    gradcheck(lambda a, b: ops.tensordot(a, b, **kwargs), *operands)


DOT_CASES = {
    "scalar and matrix": [np.float32(2.5), *_arrays((3, 4))],
    "vectors": _arrays(4, 4),
    "matrix and vector": _arrays((3, 4), 4),
    "vector and matrix": _arrays(3, (3, 4)),
    "matrices": _arrays((3, 4), (4, 2)),
    "3-D and vector": _arrays((2, 3, 4), 4),
    "3-D and 3-D": _arrays((2, 3, 4), (5, 4, 2)),
}


@pytest.mark.parametrize("name", DOT_CASES)
def test_dot_matches_keras_and_differentiates(name, keras, gradcheck):
    operands = DOT_CASES[name]
    assert_like_keras(keras, "dot", *operands)
    gradcheck(ops.dot, *operands)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ops.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes=1), "same sizes"),
        (lambda: ops.tensordot(np.ones((2, 3)), np.ones((3, 2)), axes=3), r"axes must be in"),
        (lambda: ops.dot(np.ones((2, 3)), np.ones((2, 3))), "same sizes"),
    ],
)
def test_bad_contractions_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "operands",
    [
        [np.ones((2, 3), np.int8), np.ones((3, 2), np.int8)],
        [np.ones((2, 3), np.int32), np.ones((3, 2), np.float32)],
        [np.ones((2, 3), bool), np.ones((3, 2), bool)],
        [np.ones((2, 3), np.float16), np.ones((3, 2), np.float16)],
    ],
    ids=["int8 accumulates in int32", "int and float give the float", "bool", "float16"],
)
def test_contraction_dtypes_match_keras(operands, keras):
    assert_like_keras(keras, "einsum", "ij,jk->ik", *operands)
    assert_like_keras(keras, "tensordot", *operands, axes=1)


def test_matmul_broadcasts_batch_axes_as_keras(keras, gradcheck, rng):
    """``ops.matmul`` (in ``ops.nn``) with batch axes broadcast and 1-D operands promoted."""
    a, b = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2))
    assert_like_keras(keras, "matmul", a.astype(np.float32), b.astype(np.float32))
    gradcheck(ops.matmul, a, b)
    gradcheck(ops.matmul, rng.standard_normal(4), b)
    gradcheck(ops.matmul, a, rng.standard_normal(4))
