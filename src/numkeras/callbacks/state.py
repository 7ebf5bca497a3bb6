"""Callbacks' progress through a fit, carried by checkpoints so that a resumed fit continues it.

``EarlyStopping`` counts the epochs without improvement, ``ModelCheckpoint(save_best_only=True)``
remembers the best value so far, ``ReduceLROnPlateau`` its wait and cooldown. A fit resumed from
a checkpoint must continue these rather than restart them, or it stops at another epoch than a
straight run and overwrites the best checkpoint with a worse one. So:

* a model file written during ``fit`` (by ``ModelCheckpoint``) records in ``training.json`` the
  state of that fit's stateful callbacks (:func:`collect`, :func:`encode`);
* ``load_model(compile=True)`` checks it as untrusted input (:func:`decode`, :func:`check_weights`)
  and keeps it on the model;
* a ``fit`` with ``initial_epoch > 0`` hands each saved state to the callback of the same class
  and monitor, the k-th saved one of a kind to the k-th such callback (:func:`restore`). A fit
  from epoch 0 starts every callback fresh.

A callback declares its state in ``_state_fields``, attribute name -> kind:

* ``"count"``: an int >= 0;
* ``"number"``: a float, inf and NaN included, or None (no value yet);
* ``"weights"``: None, or a list of arrays shaped like the model's weights.

In JSON a non-finite number is the string ``"inf"``, ``"-inf"`` or ``"nan"`` (JSON has none of
them), and weights are the names of their ``callbacks/<k>.npy`` members.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..utils.kinds import is_int, is_number

KINDS = ("count", "number", "weights")
#: One saved state: ``{"class_name": str, "monitor": str | None, "state": {field: value}}``.
Entry = dict[str, Any]
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def check_state(owner: str, fields: dict[str, str], state: Any) -> dict[str, Any]:
    """``state`` checked against ``fields`` (exactly those keys, each value of its kind).

    Numbers come back as floats and weights as lists of NumPy arrays. Raises a ValueError that
    names ``owner`` (the callback's class), the field, what it must be and what it is.
    """
    if not isinstance(state, dict) or set(state) != set(fields):
        given = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"The state of {owner} must be a dict with the keys {sorted(fields)}. Received: {given}"
        )
    return {name: _checked(owner, name, kind, state[name]) for name, kind in fields.items()}


def _checked(owner: str, name: str, kind: str, value: Any) -> Any:
    if kind == "count" and is_int(value) and value >= 0:
        return int(value)
    if kind == "number" and (value is None or is_number(value)):
        return None if value is None else float(value)
    if kind == "weights" and (
        value is None
        or (isinstance(value, (list, tuple)) and all(isinstance(a, np.ndarray) for a in value))
    ):
        return None if value is None else list(value)
    expected = {
        "count": "an int >= 0",
        "number": "a number or None",
        "weights": "None or a list of arrays",
    }[kind]
    raise ValueError(f"{owner}'s state {name!r} must be {expected}. Received: {_short(value)}")


def collect(callbacks: Iterable[Any]) -> list[Entry]:
    """The state of each callback in ``callbacks`` that has one, in order."""
    return [
        {
            "class_name": type(c).__name__,
            "monitor": getattr(c, "monitor", None),
            "state": c.get_state(),
        }
        for c in callbacks
        if c._state_fields
    ]


def encode(entries: list[Entry]) -> tuple[list[Entry], list[tuple[str, np.ndarray]]]:
    """``entries`` as JSON for ``training.json``, and the ``callbacks/<k>.npy`` members
    (name, array) that hold their weights."""
    members: list[tuple[str, np.ndarray]] = []

    def value(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        if isinstance(v, list):
            names = [f"callbacks/{len(members) + i}.npy" for i in range(len(v))]
            members.extend(zip(names, v, strict=True))
            return names
        return v

    encoded = [{**e, "state": {k: value(v) for k, v in e["state"].items()}} for e in entries]
    return encoded, members


def decode(
    value: Any, fields_of: Callable[[str], dict[str, str] | None], arrays: Mapping[str, np.ndarray]
) -> list[Entry]:
    """The inverse of :func:`encode`, checked as untrusted input.

    ``fields_of`` gives a callback class's ``_state_fields`` by its name (None for a class
    that has no state); ``arrays`` are the file's ``callbacks/*.npy`` members by name, each of
    which must be named exactly once. Raises a ValueError saying what is wrong.
    """
    if not isinstance(value, list):
        raise ValueError(f"'callbacks' must be a list. Received: {_short(value)}")
    listed: list[str] = []
    entries = []
    for i, entry in enumerate(value):
        if not (
            isinstance(entry, dict)
            and set(entry) == {"class_name", "monitor", "state"}
            and isinstance(entry["class_name"], str)
            and (entry["monitor"] is None or isinstance(entry["monitor"], str))
            and isinstance(entry["state"], dict)
        ):
            raise ValueError(
                f"callbacks[{i}] must be {{'class_name': str, 'monitor': str or "
                f"null, 'state': {{...}}}}. Received: {_short(entry)}"
            )
        fields = fields_of(entry["class_name"])
        if not fields:
            raise ValueError(
                f"callbacks[{i}] names {entry['class_name']!r}, which is not a "
                "callback with a state"
            )
        state = {}
        for name, raw in entry["state"].items():
            kind = fields.get(name)
            if (
                kind == "weights"
                and isinstance(raw, list)
                and all(isinstance(m, str) and m in arrays for m in raw)
            ):
                listed.extend(raw)
                raw = [arrays[m] for m in raw]
            elif kind == "number" and isinstance(raw, str) and raw in _NON_FINITE:
                raw = _NON_FINITE[raw]
            state[name] = raw
        entries.append({**entry, "state": check_state(entry["class_name"], fields, state)})
    if sorted(listed) != sorted(arrays) or len(set(listed)) != len(listed):
        raise ValueError("'callbacks' does not name each callbacks/*.npy member exactly once")
    return entries


def check_weights(entries: list[Entry], weights: list[np.ndarray]) -> None:
    """Raise a ValueError unless every saved weights list fits ``weights`` (the model's):
    the same number of arrays, each of the same shape and dtype."""
    for entry in entries:
        for name, saved in entry["state"].items():
            if not isinstance(saved, list):
                continue
            fits = len(saved) == len(weights) and all(
                s.shape == w.shape and s.dtype == w.dtype for s, w in zip(saved, weights)
            )
            if not fits:
                raise ValueError(
                    f"{entry['class_name']}'s {name!r} holds arrays of shapes "
                    f"{[s.shape for s in saved]}, the model's weights have shapes "
                    f"{[w.shape for w in weights]}"
                )


def restore(callbacks: Iterable[Any], entries: list[Entry]) -> None:
    """Give each saved state to its callback: the k-th entry of a (class name, monitor) to
    the k-th callback in ``callbacks`` of that class and monitor. A callback with no entry
    keeps its fresh state; an entry with no callback is dropped."""
    waiting: dict[tuple[str, Any], list[Any]] = {}
    for c in callbacks:
        if c._state_fields:
            waiting.setdefault((type(c).__name__, getattr(c, "monitor", None)), []).append(c)
    for entry in entries:
        matches = waiting.get((entry["class_name"], entry["monitor"]))
        if matches:
            matches.pop(0).set_state(entry["state"])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
