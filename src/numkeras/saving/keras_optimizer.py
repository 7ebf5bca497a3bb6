"""An optimizer's state in Keras 3's ``model.weights.h5``: the datasets ``optimizer/vars/<i>``.

Keras 3 stores an optimizer's variables in the order it made them (checked against Keras
3.15.1): ``iterations`` (an int scalar), ``learning_rate`` (a float32 scalar; absent when the
rate is a schedule), then its slots in groups. Within a group, each of the model's trainable
variables in turn gets one slot per name of the group; so Adam's ``(momentum, velocity)`` are
interleaved variable by variable, then come every variable's ``velocity_hat`` (``amsgrad``),
while RMSprop stores every ``velocity``, then every ``momentum`` (``momentum > 0``), then every
``average_gradient`` (``centered``). Nadam ends with its scalar ``u_product``, the product of
its momentum schedule so far, which numkeras computes from ``iterations`` instead of storing.

numkeras keeps its slots slot by slot (all momentums, then all velocities, ...); this module
maps between the two orders for every optimizer both libraries have.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import optimizers
from . import keras_weights_h5
from .archive import ModelFileError

Groups = list[tuple[str, ...]]
_VARS = "optimizer/vars"


def _adam(o: Any) -> Groups:
    return [("momentum", "velocity")] + ([("velocity_hat",)] if o.amsgrad else [])


#: Keras 3's slot groups of each optimizer class numkeras shares with it.
_GROUPS: dict[type, Callable[[Any], Groups]] = {
    optimizers.SGD: lambda o: [("momentum",)] if o.momentum else [],
    optimizers.Adam: _adam,
    optimizers.AdamW: _adam,
    optimizers.Nadam: lambda o: [("momentum", "velocity")],
    optimizers.RMSprop: lambda o: (
        [("velocity",)]
        + ([("momentum",)] if o.momentum else [])
        + ([("average_gradient",)] if o.centered else [])
    ),
    optimizers.Adagrad: lambda o: [("accumulator",)],
    optimizers.Adadelta: lambda o: [("accumulated_grad", "accumulated_delta_var")],
    optimizers.Adamax: lambda o: [("momentum", "norm")],
}


class _Expected(NamedTuple):
    """What a dataset must be: what it holds (for messages) and its shape."""

    name: str
    shape: tuple[int, ...]


def groups(optimizer: Any) -> Groups | None:
    """Keras 3's slot groups of ``optimizer``, or None when its state has no Keras layout (a
    class Keras lacks, or slots that differ from Keras's)."""
    make = _GROUPS.get(type(optimizer))
    if make is None:
        return None
    found = make(optimizer)
    names = [name for group in found for name in group]
    return found if sorted(names) == sorted(optimizer.slot_initial_values()) else None


def _has_schedule(optimizer: Any) -> bool:
    return isinstance(optimizer.get_config()["learning_rate"], dict)


def _head(optimizer: Any) -> int:
    """How many scalars come before the slots: iterations, and the rate unless a schedule."""
    return 1 if _has_schedule(optimizer) else 2


def _extras(optimizer: Any) -> int:
    return 1 if isinstance(optimizer, optimizers.Nadam) else 0


def _trainable_order(model: Any, optimizer: Any) -> list[int] | None:
    """For each of the model's trainable weights (Keras's order), the optimizer's index of it;
    None when the optimizer tracks other variables than exactly these."""
    tracked = {id(v): i for i, v in enumerate(optimizer._variables)}
    order = [tracked.get(id(w)) for w in model.trainable_weights]
    if None in order or len(order) != len(tracked):
        return None
    return order


def keras_state(model: Any) -> list[np.ndarray] | None:
    """The arrays of ``optimizer/vars/0..n`` for ``model.optimizer`` in Keras 3's order, or
    None when its state does not map to Keras's layout."""
    optimizer = model.optimizer
    found = groups(optimizer)
    if found is None:
        return None
    state = [np.asarray(optimizer.iterations, dtype=np.int64)]
    if not _has_schedule(optimizer):
        state.append(np.asarray(optimizer.learning_rate, dtype=np.float32))
    if not optimizer.built:
        return state
    order = _trainable_order(model, optimizer)
    if order is None:
        return None
    store: dict[str, Any] = {}
    optimizer.save_own_variables(store)
    count = len(optimizer._variables)
    slot_names = list(optimizer.slot_initial_values())
    for group in found:
        for i in order:
            for name in group:
                state.append(store[str(slot_names.index(name) * count + i)])
    if _extras(optimizer):
        state.append(np.asarray(optimizer.schedule_product(optimizer.iterations), np.float32))
    return state


def write(model: Any, f: Any) -> bool:
    """Write ``model.optimizer``'s state as Keras 3 does into the open h5py File ``f``; False
    (writing an empty ``optimizer/vars`` group, which Keras loads with a warning) when the
    state does not map to Keras's layout, so that the caller keeps numkeras's own."""
    state = keras_state(model)
    group = f.require_group(_VARS)
    group.attrs["name"] = model.optimizer.name
    for i, array in enumerate(state or []):
        group.create_dataset(str(i), data=array)
    return state is not None


def restore(model: Any, f: Any, what: str) -> None:
    """Put the optimizer state of the open Keras 3 ``model.weights.h5`` ``f`` (its datasets
    ``optimizer/vars/<i>``) into the compiled ``model``'s optimizer; see
    :func:`restore_datasets`. A file without an optimizer leaves it fresh."""
    if "optimizer" not in f:
        return
    stored = len(keras_weights_h5._plain(f, _VARS, what, "group"))
    restore_datasets(model, f, [f"{_VARS}/{i}" for i in range(stored)], what)


def restore_datasets(model: Any, f: Any, paths: list[str], what: str) -> None:
    """Put the optimizer variables stored in Keras 3's order at ``paths`` of the open h5py
    File ``f`` into the compiled ``model``'s optimizer (Keras 3's legacy ``.h5`` keeps the same
    variables elsewhere).

    Variables of another number than this optimizer has in Keras's layout (another
    optimizer's settings, a model with other trainable weights) are skipped with a warning, as
    Keras 3 does: training goes on with a fresh optimizer state. Datasets of the wrong shape
    or kind raise ModelFileError, and nothing is changed.
    """
    optimizer = model.optimizer
    found = groups(optimizer)
    stored = len(paths)
    head, trainable = _head(optimizer), model.trainable_weights
    slots = sum(len(g) for g in found or []) * len(trainable)
    scalars = [_Expected("iterations", ()), _Expected("the learning rate", ())][:head]
    if found is not None and stored == head:
        values = _read(f, paths, scalars, what)
        _set_head(optimizer, values, what)
        return
    if found is None or stored != head + slots + _extras(optimizer):
        warnings.warn(
            f"Skipping variable loading for optimizer {optimizer.name!r}, because {what} holds "
            f"{stored} optimizer variables where Keras 3's layout of this "
            f"{type(optimizer).__name__} has {head + slots + _extras(optimizer)}. Training "
            "continues with a fresh optimizer state (as Keras 3 does).",
            stacklevel=3,
        )
        return
    expected = (
        scalars
        + [
            _Expected(f"the {name} of {w.name!r}", tuple(w.shape))
            for group in found
            for w in trainable
            for name in group
        ]
        + [_Expected("u_product", ())] * _extras(optimizer)
    )
    values = _read(f, paths, expected, what)
    keras_order = iter(values[head : head + slots])
    by_slot = {
        (name, i): next(keras_order)
        for group in found
        for i in range(len(trainable))
        for name in group
    }
    optimizer.build(trainable)
    names = list(optimizer.slot_initial_values())
    store: dict[str, Any] = {}
    for k, (name, i) in enumerate((n, i) for n in names for i in range(len(trainable))):
        slot = by_slot[name, i]
        if slot.dtype != trainable[i].data.dtype:
            raise ModelFileError(
                f"{what} holds {name} of {trainable[i].name!r} as {slot.dtype}; the weight is "
                f"{trainable[i].data.dtype}."
            )
        store[str(k)] = slot
    _set_head(optimizer, values[:head], what)
    optimizer.load_own_variables({"iterations": optimizer.iterations, **store})


def _read(f: Any, paths: list[str], expected: list[_Expected], what: str) -> list[np.ndarray]:
    """Check every dataset at ``paths`` against ``expected`` before reading any."""
    datasets = [
        keras_weights_h5.checked_dataset(f, path, e.shape, what, e.name)
        for path, e in zip(paths, expected, strict=True)
    ]
    return [np.asarray(ds[()]) for ds in datasets]


def _set_head(optimizer: Any, values: list[np.ndarray], what: str) -> None:
    """Set ``iterations`` (and the learning rate, unless a schedule) from Keras's scalars."""
    iterations = values[0]
    if iterations.dtype.kind not in "iu" or int(iterations) < 0:
        raise ModelFileError(
            f"{what} holds the optimizer's iterations as {iterations!r}; expected an integer >= 0."
        )
    if len(values) > 1:
        optimizer.learning_rate = float(values[1])
    optimizer.iterations = int(iterations)


__all__ = ["groups", "keras_state", "restore", "restore_datasets", "write"]
