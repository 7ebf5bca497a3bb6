"""Real Keras 3 as the oracle of the op tests: the same call on both, the results compared."""

from __future__ import annotations

from typing import Any

import numpy as np

from numkeras import backend, ops


def _parts(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def assert_like_keras(
    keras: Any, name: str, *args: Any, check_dtype: bool = True, **kwargs: Any
) -> None:
    """``numkeras.ops.<name>`` and ``keras.ops.<name>`` on the same arguments give the same
    shapes, dtypes and values (to float32 precision: Keras on JAX computes in float32).

    numkeras runs with floatx float32, Keras's default, since defaults such as ``one_hot``'s
    dtype follow floatx.
    """
    with backend.floatx_scope("float32"):
        ours = _parts(getattr(ops, name)(*args, **kwargs))
    theirs = _parts(getattr(keras.ops, name)(*args, **kwargs))
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        mine, reference = mine.numpy(), np.asarray(reference)
        assert mine.shape == reference.shape
        if check_dtype:
            assert mine.dtype == reference.dtype
        np.testing.assert_allclose(mine, reference, rtol=2e-5, atol=2e-5)
