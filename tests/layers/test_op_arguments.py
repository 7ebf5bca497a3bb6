"""The JSON form of an op node's call: every kind of argument survives JSON unchanged, symbolic
tensors become numbered slots, and only the documented forms are read back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numkeras.layers import Input
from numkeras.layers.op_arguments import CallTemplate, Slot, contains_symbolic, encode_call
from numkeras.ops.core import Tensor


def round_trip(args, kwargs=None):
    """The template of a call on one symbolic tensor, after JSON: its args and kwargs."""
    x = Input((4,))
    call_args, call_kwargs, tensors = encode_call((x, *args), kwargs or {}, "op")
    assert tensors == [x]
    template = CallTemplate(*json.loads(json.dumps([call_args, call_kwargs])))
    assert isinstance(template.args[0], Slot) and template.count == 1
    assert template.to_json() == (call_args, call_kwargs)
    return template.args[1:], template.kwargs


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -0.5,
        "float32",
        [0, 2],
        (slice(None), 0),
        (Ellipsis, slice(1, None, 2), None),
        [(1, 2), [3]],
    ],
    ids=repr,
)
def test_values_survive_json(value):
    (decoded,), _ = round_trip((value,))
    assert decoded == value and type(decoded) is type(value)


def test_tuples_and_lists_stay_apart():
    # x[(0, 1)] and x[[0, 1]] index differently, so the JSON form keeps them apart.
    (as_tuple, as_list), _ = round_trip(((0, 1), [0, 1]))
    assert isinstance(as_tuple, tuple) and isinstance(as_list, list)


def test_arrays_tensors_numpy_scalars_and_dtypes():
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    (a, t, scalar, dtype, kind), kwargs = round_trip(
        (array, Tensor(np.ones(2, np.float32)), np.float32(0.25), np.dtype("int64"), np.float32),
        {"axis": np.int64(1)},
    )
    np.testing.assert_array_equal(a, array)
    assert a.dtype == np.int32
    np.testing.assert_array_equal(t, np.ones(2, np.float32))
    assert t.dtype == np.float32
    assert (scalar, dtype, kind) == (0.25, "int64", "float32")
    assert kwargs == {"axis": 1} and type(kwargs["axis"]) is int


def test_each_symbolic_tensor_takes_the_next_slot():
    x, y = Input((4,)), Input((4,))
    call_args, call_kwargs, tensors = encode_call(([x, 1.0, y],), {"other": x}, "op")
    assert tensors == [x, y, x]
    assert call_args == [[{"__tensor__": 0}, 1.0, {"__tensor__": 1}]]
    assert call_kwargs == {"other": {"__tensor__": 2}}
    template = CallTemplate(call_args, call_kwargs)
    assert template.fill(["x", "y", "z"]) == ([["x", 1.0, "y"]], {"other": "z"})


def test_contains_symbolic_looks_inside_containers():
    x = Input((4,))
    assert contains_symbolic(((1, [2, {"k": (x,)}]), {}))
    assert not contains_symbolic(((1, [2, {"k": (3,)}]), {"x": np.ones(2)}))


@pytest.mark.parametrize(
    "value, words",
    [
        ({"__slice__": [0, 1.5, None]}, "not a recorded argument"),
        ({"__tuple__": [1], "extra": 2}, "not a recorded argument"),
        ({"__tensor__": True}, "integer >= 0"),
        ({"__array__": [[1], [2, 3]], "dtype": "float32"}, "not a valid array"),
        ({"__array__": [1], "dtype": "no such dtype"}, "not a valid array"),
        ({"class_name": "Dense", "config": {}}, "not a recorded argument"),
    ],
)
def test_unknown_forms_are_refused(value, words):
    with pytest.raises(ValueError, match=words):
        CallTemplate([{"__tensor__": 0}, value], {})
