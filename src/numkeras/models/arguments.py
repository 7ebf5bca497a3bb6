"""The checks of what ``fit``, ``evaluate`` and ``predict`` receive, made before any work.

One rule per argument, in one table, and one message form: a value of the wrong type raises a
TypeError, a value of the right type out of range a ValueError, both saying
``"epochs must be an int >= 0. Received: epochs='3'"``. NumPy integers and floats count as
ints and numbers; a bool is neither (``epochs=True`` is a mistake, not 1 epoch).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import callbacks as callbacks_module
from ..utils.kinds import is_int, is_number
from . import data_adapter as da


@dataclass(frozen=True)
class _Rule:
    """What an argument must be: ``expected`` in words, its type test and its range test."""

    expected: str
    has_type: Callable[[Any], bool]
    in_range: Callable[[Any], bool] = lambda value: True


def _optional(rule: _Rule) -> _Rule:
    return _Rule(
        f"{rule.expected} or None",
        lambda v: v is None or rule.has_type(v),
        lambda v: v is None or rule.in_range(v),
    )


def _int_from(low: int) -> _Rule:
    return _Rule(f"an int >= {low}", is_int, lambda v: v >= low)


def _is_class_weight(value: Any) -> bool:
    return isinstance(value, dict) and all(is_int(k) and is_number(w) for k, w in value.items())


def _is_validation_data(value: Any) -> bool:
    return da.is_generator_like(value) or (
        isinstance(value, (tuple, list)) and len(value) in (2, 3)
    )


def _is_callbacks(value: Any) -> bool:
    return isinstance(value, (list, tuple, callbacks_module.Callback))


def _validation_freq_in_range(value: Any) -> bool:
    return value >= 1 if is_int(value) else all(epoch >= 1 for epoch in value)


_RULES: dict[str, _Rule] = {
    "x": _Rule(
        "arrays (one, or a list or dict of them) or a generator or Sequence of batches",
        lambda v: not isinstance(v, (str, bytes)),
        lambda v: v is not None,
    ),
    "batch_size": _optional(_int_from(1)),
    "epochs": _int_from(0),
    "initial_epoch": _int_from(0),
    "verbose": _Rule(
        "'auto', 0, 1 or 2",
        lambda v: (
            v == "auto" if isinstance(v, str) else (is_int(v) or isinstance(v, (bool, np.bool_)))
        ),
        lambda v: v == "auto" or v in (0, 1, 2),
    ),
    "callbacks": _optional(_Rule("a list of Callback instances", _is_callbacks)),
    "validation_split": _Rule("a number in [0, 1)", is_number, lambda v: 0 <= v < 1),
    "validation_data": _optional(
        _Rule("(x_val, y_val), (x_val, y_val, sample_weight) or a generator", _is_validation_data)
    ),
    "shuffle": _Rule("a bool", lambda v: isinstance(v, (bool, np.bool_))),
    "class_weight": _optional(
        _Rule(
            "a dict mapping class indices (ints >= 0) to finite weights >= 0",
            _is_class_weight,
            lambda v: all(k >= 0 and math.isfinite(w) and w >= 0 for k, w in v.items()),
        )
    ),
    # A fractional step count means one more step, as Keras's examples (len(x) / 32) expect.
    "steps_per_epoch": _optional(_Rule("a number > 0", is_number, lambda v: v > 0)),
    "steps": _optional(_Rule("a number > 0", is_number, lambda v: v > 0)),
    "validation_steps": _optional(_Rule("a number > 0", is_number, lambda v: v > 0)),
    "validation_batch_size": _optional(_int_from(1)),
    "validation_freq": _Rule(
        "an int >= 1 or a list of epochs (ints >= 1)",
        lambda v: is_int(v) or (isinstance(v, (list, tuple, set)) and all(map(is_int, v))),
        _validation_freq_in_range,
    ),
    "return_dict": _Rule("a bool", lambda v: isinstance(v, (bool, np.bool_))),
}


def check(**arguments: Any) -> None:
    """Raise a TypeError or ValueError naming the first argument that breaks its rule.

    Keyword names are those of ``fit``, ``evaluate`` and ``predict``; array contents (x, y,
    sample_weight) are checked when the data is read, where their shapes are known.
    """
    for name, value in arguments.items():
        rule = _RULES[name]
        if not rule.has_type(value):
            raise TypeError(_message(name, rule, value))
        if not rule.in_range(value):
            raise ValueError(_message(name, rule, value))
    epochs, initial_epoch = arguments.get("epochs"), arguments.get("initial_epoch")
    if epochs is not None and initial_epoch is not None and initial_epoch > epochs:
        raise ValueError(
            "initial_epoch must be <= epochs: epochs is the index at which training stops, not "
            f"a number of further epochs (for {epochs} more, pass "
            f"epochs={initial_epoch + epochs}). Received: epochs={epochs}, "
            f"initial_epoch={initial_epoch}"
        )


def _message(name: str, rule: _Rule, value: Any) -> str:
    return f"{name} must be {rule.expected}. Received: {name}={reprlib.repr(value)}"
