"""The dtypes that ops return, by Keras 3's rules (``keras.ops``'s output specs).

* Positions (``argmax``, ``argsort``, ``top_k``'s indices) are int32.
* Sums and products of bool, int8 and int16 accumulate in int32 (uint8, uint16 in uint32).
* Means, variances and norms of integers or booleans are floats of ``backend.floatx()``.
* Operands of mixed dtypes meet in :func:`result_type`: any float wins over every integer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend

#: The dtype of every index that an op returns.
INDEX_DTYPE = "int32"

_WIDENED = {"b": np.dtype("int32"), "i": np.dtype("int32"), "u": np.dtype("uint32")}


def accumulation_dtype(dtype: Any) -> np.dtype:
    """The dtype in which ``sum`` and ``prod`` of ``dtype`` are returned: narrow integers and
    booleans widen to 32 bits, every other dtype is kept."""
    dtype = np.dtype(dtype)
    if dtype.kind in _WIDENED and dtype.itemsize < 4:
        return _WIDENED[dtype.kind]
    return dtype


def as_float(x: Any) -> Any:
    """The array ``x`` itself when it holds floats, else ``x`` as ``backend.floatx()``."""
    return x if x.dtype.kind == "f" else x.astype(backend.floatx())


def result_type(*dtypes: Any) -> np.dtype:
    """The dtype in which operands of ``dtypes`` combine, as Keras's ``result_type``: the widest
    float when there is one (``int64`` with ``float32`` gives ``float32``, where NumPy gives
    ``float64``), else NumPy's promotion of the integers and booleans."""
    dtypes = [np.dtype(d) for d in dtypes]
    floats = [d for d in dtypes if d.kind == "f"]
    if floats:
        return max(floats, key=lambda d: d.itemsize)
    return np.result_type(*dtypes)


def standardize_dtype(dtype: Any) -> np.dtype:
    """``dtype`` (a name such as ``'float32'``, or a NumPy dtype or type) as a NumPy dtype; a
    ValueError names the argument when it names no dtype."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise ValueError(
            f"dtype must name a dtype such as 'float32' or 'int32'. Received: dtype={dtype!r}"
        ) from None


def python_dtype(value: Any) -> str:
    """Keras 3's dtype of a Python number or a nested list of them (NumPy scalars and tensors
    included): ``bool`` for booleans, ``int32`` for integers, ``backend.floatx()`` otherwise."""
    kind = np.asarray(value).dtype.kind
    return {"b": "bool", "i": "int32"}.get(kind, backend.floatx())
