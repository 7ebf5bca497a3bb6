"""StackedRNNCells: several recurrent cells run as one, each feeding the next at every step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import backend, registry
from ..ops.core import Tensor
from .layer import Layer, Shape


def check_cell(cell: Any, argument: str) -> None:
    """Refuse, naming ``argument``, an object that is not a recurrent cell by Keras's protocol
    (a ``call`` method and a ``state_size``)."""
    for attribute in ("call", "state_size"):
        if not hasattr(cell, attribute):
            raise ValueError(
                f"{argument} must be a recurrent cell: an object with a `call(inputs, states)` "
                f"method and a `state_size` (an int, or a list of ints, one per state). "
                f"Received: {argument}={cell!r}, which has no `{attribute}`"
            )


def zero_states(state_size: Any, batch_size: int | None, dtype: str) -> Any:
    """Zeros ``(batch_size, n)``: one tensor for an int ``state_size``, a list for a list."""
    if isinstance(state_size, (list, tuple)):
        return [zero_states(size, batch_size, dtype) for size in state_size]
    return Tensor(backend.xp().zeros((batch_size, state_size), dtype=dtype))


def initial_state(cell: Any, batch_size: int | None, dtype: str) -> Any:
    """``cell.get_initial_state(batch_size)`` where the cell has it, else zeros as Keras gives
    them."""
    get = getattr(cell, "get_initial_state", None)
    return get(batch_size=batch_size) if get else zero_states(cell.state_size, batch_size, dtype)


def output_size(cell: Any) -> int:
    """The size of ``cell``'s output: its ``output_size``, else its (first) state's size."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def listed_states(states: Any) -> tuple[list[Any], bool]:
    """A cell's states as a list, and whether they came as one: a cell with a single state may
    keep it bare, and gets its new state back the same way (:func:`as_given`), as in Keras."""
    listed = isinstance(states, (list, tuple))
    return (list(states) if listed else [states]), listed


def as_given(states: list[Any], listed: bool) -> Any:
    return states[0] if len(states) == 1 and not listed else states


def call_cell(cell: Any, inputs: Any, states: Any, training: bool | None) -> tuple[Any, Any]:
    """One step of ``cell``: ``(output, new_states)``. A cell that is a layer is called as one
    (built on first use, ``training`` passed on); any other object's ``call`` runs as it is."""
    if isinstance(cell, Layer):
        return cell(inputs, states, training=training)
    return cell.call(inputs, states)


class StackedRNNCells(Layer):
    """Cells stacked at each step: ``x_t -> cells[0] -> cells[1] -> ... -> output``, where
    ``cells[k]`` reads the output of ``cells[k-1]`` at the same step and keeps its own states.

    ``state_size`` is the list of the cells' state sizes, ``output_size`` the last cell's;
    ``RNN(StackedRNNCells(cells))`` (or ``RNN(cells)``) runs them as Keras 3 does. When every
    cell is numkeras's own (SimpleRNNCell, LSTMCell, GRUCell), ``RNN`` runs each cell's
    whole-sequence op in turn, which gives the same values as stepping the stack.
    """

    def __init__(self, cells: list[Any], **kwargs: Any):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"cells must be a non-empty list of cells. Received: cells={cells!r}")
        for cell in cells:
            check_cell(cell, "cells")
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        return [initial_state(cell, batch_size, self.dtype) for cell in self.cells]

    def build(self, input_shape: Shape) -> None:
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(input_shape)
            input_shape = (input_shape[0], output_size(cell))

    def call(self, inputs: Any, states: Any, training: bool | None = None) -> tuple[Any, Any]:
        new_states = []
        for cell, cell_states in zip(self.cells, states, strict=True):
            cell_states, listed = listed_states(cell_states)
            inputs, cell_states = call_cell(cell, inputs, cell_states, training)
            new_states.append(as_given(cell_states, listed))
        return inputs, new_states

    @property
    def runs_whole_sequences(self) -> bool:
        """Whether every cell runs a whole sequence in one op (see :class:`RNN`)."""
        return all(getattr(cell, "runs_whole_sequences", False) for cell in self.cells)

    def sequence(
        self,
        x: Tensor,
        states: list[Any],
        mask: Any = None,
        training: bool | None = None,
        return_sequences: bool = True,
    ) -> tuple[Tensor, list[Any]]:
        """Each cell's whole-sequence op in turn, over the outputs of the one before. With a
        mask, a cell's output at a skipped step is its carried state, which the next cell
        reads but then skips too: the same states as stepping the stack."""
        final = []
        for k, (cell, cell_states) in enumerate(zip(self.cells, states, strict=True)):
            cell_states, listed = listed_states(cell_states)
            last = k == len(self.cells) - 1
            x, cell_final = cell.sequence(
                x, cell_states, mask, training, return_sequences or not last
            )
            final.append(as_given(cell_final, listed))
        return x, final

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cells": [registry.serialize(c) for c in self.cells]}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> StackedRNNCells:
        cells = [registry.deserialize(c, custom_objects) for c in config["cells"]]
        return cls(**{**config, "cells": cells})
