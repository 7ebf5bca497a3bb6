"""The arguments of a ``numkeras.ops`` call recorded in a model's graph, and their JSON form.

An op node (``numkeras.layers.ops_layer.OpLayer``) keeps its call as a :class:`CallTemplate`:
the arguments with a numbered :class:`Slot` where each symbolic tensor was, filled from the
node's inputs, in order, every time it runs. A model config stores the template as JSON, where
the values JSON lacks are one-key objects:

=========================  ==============================================
``(a, b)``                 ``{"__tuple__": [a, b]}``
``slice(1, None, 2)``      ``{"__slice__": [1, null, 2]}``
``...``                    ``{"__ellipsis__": null}``
an array or a Tensor       ``{"__array__": nested lists, "dtype": "float32"}``
the node's i-th input      ``{"__tensor__": i}``
=========================  ==============================================

Lists, strings, numbers, booleans and None are themselves; NumPy scalars become Python numbers
and dtypes their names. Tuples and lists stay apart because indexing tells them apart
(``x[(0, 1)]`` and ``x[[0, 1]]`` differ). Reading accepts these forms only, so a model file
cannot make an op node hold anything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..ops.core import Tensor
from .symbolic import KerasTensor

_FORMS = (
    '{"__tuple__": [...]}, {"__slice__": [start, stop, step]}, {"__ellipsis__": null}, '
    '{"__array__": [...], "dtype": name} or {"__tensor__": index}'
)


class Slot:
    """Where the op node's ``index``-th tensor input goes in its call."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    def __repr__(self) -> str:
        return f"Slot({self.index})"


class CallTemplate:
    """The arguments of one recorded op call, a :class:`Slot` where each tensor input goes.

    Built from the JSON form (see the module docstring), which it checks: only those forms, and
    slots numbered 0, 1, ... once each, at least one.

    Attributes:
        args: the positional arguments.
        kwargs: the keyword arguments.
        count: the number of tensor inputs that fill the slots.
    """

    def __init__(self, args: Any, kwargs: Any, what: str = "An op node's call"):
        if not isinstance(args, list):
            raise ValueError(f"{what}: call_args must be a list. Received: {args!r:.200}")
        if not (isinstance(kwargs, dict) and all(isinstance(k, str) for k in kwargs)):
            raise ValueError(
                f"{what}: call_kwargs must be a dict with string keys. Received: {kwargs!r:.200}"
            )
        slots: list[int] = []
        self.args = [_decode(v, f"{what}, argument {i}", slots) for i, v in enumerate(args)]
        self.kwargs = {k: _decode(v, f"{what}, argument {k!r}", slots) for k, v in kwargs.items()}
        if sorted(slots) != list(range(len(slots))) or not slots:
            raise ValueError(
                f"{what} must name each of its tensor inputs once, numbered from 0: "
                f"{{'__tensor__': 0}}, {{'__tensor__': 1}}, ... Received the slots {slots}."
            )
        self.count = len(slots)

    def fill(self, inputs: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        """The call's arguments with ``inputs`` in their slots."""
        return (
            [_fill(v, inputs) for v in self.args],
            {k: _fill(v, inputs) for k, v in self.kwargs.items()},
        )

    def to_json(self) -> tuple[list[Any], dict[str, Any]]:
        """The JSON form of the positional and the keyword arguments."""
        return (
            [_encode(v, "argument", None) for v in self.args],
            {k: _encode(v, "argument", None) for k, v in self.kwargs.items()},
        )


def encode_call(
    args: tuple, kwargs: dict[str, Any], what: str
) -> tuple[list[Any], dict[str, Any], list[KerasTensor]]:
    """The JSON form of a call on symbolic tensors (positional and keyword arguments), and
    those tensors in the order of their slots.

    Raises:
        TypeError: an argument is of a type that the JSON form cannot hold.
    """
    tensors: list[KerasTensor] = []
    encoded = [_encode(v, f"{what}, argument {i}", tensors) for i, v in enumerate(args)]
    named = {k: _encode(v, f"{what}, argument {k!r}", tensors) for k, v in kwargs.items()}
    return encoded, named, tensors


def contains_symbolic(*values: Any) -> bool:
    """Whether a KerasTensor is among ``values``, or inside the lists, tuples and dicts there."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return False


def _fill(value: Any, inputs: list[Any]) -> Any:
    if isinstance(value, Slot):
        return inputs[value.index]
    if isinstance(value, list):
        return [_fill(v, inputs) for v in value]
    if isinstance(value, tuple):
        return tuple(_fill(v, inputs) for v in value)
    return value


def _encode(value: Any, where: str, tensors: list[KerasTensor] | None) -> Any:
    """The JSON form of ``value``; each KerasTensor takes the next slot, appended to
    ``tensors``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, KerasTensor):
        if tensors is None:
            raise TypeError(f"{where} is a KerasTensor where a constant is needed: {value}.")
        tensors.append(value)
        return {"__tensor__": len(tensors) - 1}
    if isinstance(value, Slot):
        return {"__tensor__": value.index}
    if isinstance(value, list):
        return [_encode(v, where, tensors) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where, tensors) for v in value]}
    if isinstance(value, slice):
        bounds = (value.start, value.stop, value.step)
        return {"__slice__": [_encode(v, f"{where}, a slice bound", None) for v in bounds]}
    if value is Ellipsis:
        return {"__ellipsis__": None}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, Tensor):
        value = value.data
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf" and hasattr(value, "__array__"):
        array = backend.to_numpy(value)
        return {"__array__": array.tolist(), "dtype": array.dtype.name}
    raise TypeError(
        f"{where} is a {type(value).__name__}, which an op node of a model's graph cannot "
        "hold: it takes numbers, strings, None, slices, Ellipsis, dtypes, numeric arrays, "
        "and lists and tuples of them."
    )


def _decode(value: Any, where: str, slots: list[int]) -> Any:
    """The value of the JSON form ``value``; the index of each slot is appended to ``slots``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(v, where, slots) for v in value]
    if not isinstance(value, dict):
        raise ValueError(f"{where} is not JSON: {value!r:.100}")
    keys = set(value)
    if keys == {"__tensor__"}:
        index = value["__tensor__"]
        if not (isinstance(index, int) and not isinstance(index, bool) and index >= 0):
            raise ValueError(f"{where}: a tensor slot must be an integer >= 0, not {index!r}.")
        slots.append(index)
        return Slot(index)
    if keys == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v, where, slots) for v in value["__tuple__"])
    if keys == {"__slice__"} and _is_slice(value["__slice__"]):
        return slice(*value["__slice__"])
    if keys == {"__ellipsis__"} and value["__ellipsis__"] is None:
        return Ellipsis
    if keys == {"__array__", "dtype"}:
        return _array(value["__array__"], value["dtype"], where)
    raise ValueError(f"{where} is not a recorded argument: {value!r:.100}. Expected {_FORMS}.")


def _is_slice(bounds: Any) -> bool:
    return (
        isinstance(bounds, list)
        and len(bounds) == 3
        and all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds)
    )


def _array(values: Any, dtype: Any, where: str) -> np.ndarray:
    try:
        kind = np.dtype(dtype).kind if isinstance(dtype, str) else None
        if kind is None or kind not in "biuf":
            raise TypeError(f"the dtype must name a numeric type, not {dtype!r:.50}")
        return np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where} is not a valid array: {error}") from None
