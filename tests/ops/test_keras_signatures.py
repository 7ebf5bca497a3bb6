"""The shape, indexing, reduction, sorting and linear-algebra functions of ``numkeras.ops`` take
Keras 3's arguments: the same names, order, kinds and defaults as ``keras.ops``."""

from __future__ import annotations

import inspect

import pytest

from numkeras import ops

NAMES = (
    "sum mean max min prod var std logsumexp cumsum cumprod "
    "reshape transpose expand_dims squeeze moveaxis swapaxes broadcast_to concatenate stack split "
    "tile repeat flip roll take take_along_axis argmax argmin one_hot sort argsort top_k "
    "einsum tensordot dot matmul norm"
).split()


def _parameters(function) -> list[tuple[str, object, object]]:
    """Each parameter's name, kind and default; Keras's backend-specific ``**kwargs`` (einsum's
    options for JAX and TensorFlow) are left out."""
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_keras(name, keras):
    assert _parameters(getattr(ops, name)) == _parameters(getattr(keras.ops, name))
