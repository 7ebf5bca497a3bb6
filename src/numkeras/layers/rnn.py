"""RNN: a recurrent cell run over every time step of a sequence, as Keras 3's ``RNN(cell)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import backend, legacy, ops, registry
from ..nest import leaves, pack
from ..ops.core import Tensor
from .layer import InputSpec, Layer, Shape
from .stacked_rnn_cells import (
    StackedRNNCells,
    call_cell,
    check_cell,
    initial_state,
    listed_states,
    output_size,
)


class RNN(Layer):
    """A cell run over the time steps of ``(batch, time, features)`` inputs::

        output_t, states_t = cell(x_t, states_{t-1})   for t = 1 … time,  states_0 = initial

    Keras 3's arguments and defaults: ``cell`` (a cell, or a list of cells, which become
    :class:`StackedRNNCells`), ``return_sequences=False`` (the last output, else all of them),
    ``return_state=False`` (also the final states), ``go_backwards=False`` (read the steps
    last to first; the sequence returned stays in that order), ``stateful=False``,
    ``unroll=False`` (accepted, no effect), ``zero_output_for_mask=False``.

    A cell is Keras's protocol: a ``call(inputs, states, training=None)`` that returns
    ``(output, new_states)``, a ``state_size`` (an int or a list of ints), optionally an
    ``output_size`` and a ``get_initial_state(batch_size)``. A user's cell runs as a loop of
    its steps, each recorded on the tape; numkeras's own cells (and stacks of them) run as one
    whole-sequence op (:mod:`numkeras.ops.recurrent`), which gives the same values.

    ``mask`` (boolean ``(batch, time)``, False at the steps to skip, e.g. from
    ``Embedding(mask_zero=True)``): at a skipped step every state carries over unchanged and
    the output is the carried first state (zeros with ``zero_output_for_mask``), as Keras's
    backend does. ``stateful=True`` keeps the final states of each batch as the initial states
    of the next (sample ``i`` continues sample ``i``), which needs a fixed batch size
    (``batch_input_shape``, ``batch_size`` or ``Input(batch_size=...)``); :meth:`reset_state`
    zeroes them. The kept states are not weights: never trained, saved or loaded, as in Keras 3.
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        input_dim: int | None = None,
        input_length: int | None = None,
        **kwargs: Any,
    ):
        if input_dim is not None or input_length is not None:
            # Keras 1/2's recurrent layers took the step size and the length apart.
            legacy.warn(
                f"`{type(self).__name__}(input_dim={input_dim}, input_length={input_length})` "
                f"is the Keras 1 spelling; use `input_shape=({input_length}, {input_dim})`."
            )
            kwargs["input_shape"] = (input_length, input_dim)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(cell, "cell")
        if not isinstance(cell.state_size, (int, list, tuple)):
            raise ValueError(
                "A cell's state_size must be an int or a list of ints (one per state). "
                f"Received: state_size={cell.state_size!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll  # accepted as Keras's, no effect: the steps always loop.
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        #: The kept final states of a stateful layer (constant tensors, flat: never trained),
        #: None before it is built.
        self.states: list[Tensor] | None = None

    @property
    def state_size(self) -> list[Any]:
        """The cell's state sizes as a list, one item per state."""
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    def build(self, sequences_shape: Shape, initial_state_shape: Any = None) -> None:
        step_shape = (sequences_shape[0], *sequences_shape[2:])
        if isinstance(self.cell, Layer):
            self.cell._maybe_build(step_shape)
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) with stateful=True needs a "
                    "fixed batch size: give the first layer batch_input_shape=(batch, time, "
                    "features) or batch_size=..., or use Input(shape, batch_size=...). "
                    f"Received input shape {tuple(sequences_shape)}."
                )
            zeros = leaves(self.get_initial_state(batch))
            self.states = [Tensor(ops.convert_to_tensor(s).data) for s in zeros]

    def get_initial_state(self, batch_size: int | None) -> list[Any]:
        """The cell's initial states for ``batch_size`` sequences, as a list (zeros unless the
        cell's ``get_initial_state`` says otherwise)."""
        return listed_states(initial_state(self.cell, batch_size, self.dtype))[0]

    def reset_state(self) -> None:
        """Zero the kept states of a stateful layer (Keras 3's name)."""
        self.reset_states()

    def reset_states(self, states: Any = None) -> None:
        """Zero the kept states of a stateful layer, or set them to ``states`` (arrays in the
        order of the cell's states), as Keras 2's ``reset_states``."""
        if self.states is None:
            if states is not None:
                raise ValueError(
                    f"Layer '{self.name}' keeps no states to set: it is not stateful, or not "
                    f"built yet. Received: states for stateful={self.stateful}"
                )
            return
        if states is None:
            self.states = [Tensor(backend.xp().zeros_like(s.data)) for s in self.states]
            return
        given = [Tensor(ops.convert_to_tensor(s, dtype=self.dtype).data) for s in leaves(states)]
        self._check_states(given, self.states)
        self.states = given

    def _check_states(self, given: list[Any], expected: list[Any]) -> None:
        shapes = [tuple(s.shape) for s in expected]
        if len(given) != len(shapes) or any(tuple(g.shape) != e for g, e in zip(given, shapes)):
            same = len(set(shapes)) == 1
            raise ValueError(
                f"{type(self).__name__} needs its states as {len(shapes)} array(s) of "
                f"shape{'' if same else 's'} {shapes[0] if same else shapes}. Received: "
                f"shapes {[tuple(g.shape) for g in given]}"
            )

    def call(
        self,
        sequences: Tensor,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        x = ops.convert_to_tensor(sequences)
        batch, time = x.shape[:2]
        states = self._initial_states(initial_state, batch)
        steps = None if mask is None else self._time_mask(mask, batch, time)
        if self.go_backwards:
            x = ops.flip(x, axis=1)
            steps = None if steps is None else steps[:, ::-1]
        run = (
            self.cell.sequence if getattr(self.cell, "runs_whole_sequences", False) else self._loop
        )
        try:
            output, final = run(x, states, steps, training, self.return_sequences)
        finally:
            # One dropout mask per sequence: the next call draws new ones, as in Keras.
            _reset_dropout_masks(self.cell)
        if steps is not None and self.zero_output_for_mask:
            keep = steps[:, :, None] if self.return_sequences else steps[:, -1, None]
            output = ops.where(Tensor(keep), output, 0.0)
        if self.stateful:
            # Kept off the tape: the next batch starts from them but sends no gradient back.
            self.states = [Tensor(s.data.copy()) for s in leaves(final)]
        return [output, *final] if self.return_state else output

    def _initial_states(self, given: Any, batch: int) -> list[Any]:
        template = self.get_initial_state(batch)
        if given is not None:
            values = [ops.convert_to_tensor(s) for s in leaves(given)]
            self._check_states(values, leaves(template))
            return pack(template, values)
        if not self.stateful:
            return template
        if self.states[0].shape[0] != batch:
            raise ValueError(
                f"Layer '{self.name}' is stateful: every batch must have the batch size it was "
                f"built for, {self.states[0].shape[0]}. Received a batch of {batch}."
            )
        return pack(template, self.states)

    def _time_mask(self, mask: Any, batch: int, time: int) -> Any:
        """``mask`` as a boolean array ``(batch, time)``, checked."""
        data = mask.data if isinstance(mask, Tensor) else backend.xp().asarray(mask)
        if tuple(data.shape) != (batch, time):
            raise ValueError(
                f"Layer '{self.name}' needs a mask of shape (batch, time) = {(batch, time)}. "
                f"Received: mask of shape {tuple(data.shape)}"
            )
        return data.astype(bool)

    def _loop(
        self,
        x: Tensor,
        states: list[Any],
        mask: Any,
        training: bool | None,
        return_sequences: bool,
    ) -> tuple[Tensor, list[Any]]:
        """The cell stepped over ``x``'s time axis, each step recorded on the tape; at a masked
        step the states carry over and the output is the carried first state (Keras's
        backend ``rnn``, whose ``where`` this is). The outputs of all steps, or the last."""
        outputs = []
        for t in range(x.shape[1]):
            output, new_states = self._step(x[:, t], states, training)
            if mask is not None:
                keep = Tensor(mask[:, t, None])
                output = ops.where(keep, output, _first_state(states))
                merged = [
                    ops.where(keep, new, old)
                    for new, old in zip(leaves(new_states), leaves(states), strict=True)
                ]
                new_states = pack(new_states, merged)
            states = new_states
            outputs.append(output)
        return (ops.stack(outputs, axis=1) if return_sequences else outputs[-1]), states

    def _step(self, inputs: Tensor, states: list[Any], training: bool | None) -> tuple[Any, Any]:
        output, new_states = call_cell(self.cell, inputs, states, training)
        return output, listed_states(new_states)[0]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask for the sequence output (None for the last output alone), None for
        each state, as Keras 3."""
        output_mask = sequence_mask(mask, self.return_sequences)
        return [output_mask, *[None] * len(self.state_size)] if self.return_state else output_mask

    def compute_output_shape(self, sequences_shape: Shape, initial_state_shape: Any = None) -> Any:
        batch, time = sequences_shape[0], sequences_shape[1]
        size = output_size(self.cell)
        output = (batch, time, size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return output
        return [output, *(_state_shapes(batch, s) for s in self.state_size)]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": registry.serialize(self.cell),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> RNN:
        cell = registry.deserialize(config["cell"], custom_objects)
        return cls(**{**config, "cell": cell})


def sequence_mask(mask: Any, return_sequences: bool) -> Any:
    """The mask of a recurrent layer's output: its input sequence's mask (the first of a list,
    where states came in as inputs too) when it returns sequences, else None."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    return mask if return_sequences else None


def _first_state(states: list[Any]) -> Any:
    """What a masked step outputs: the first state, or the last cell's first state when the
    states are nested per cell (stacked cells), as Keras's backend picks it."""
    first = states[0]
    return states[-1][0] if isinstance(first, (list, tuple)) else first


def _state_shapes(batch: int | None, size: Any) -> Any:
    if isinstance(size, (list, tuple)):
        return [(batch, s) for s in size]
    return (batch, size)


def _reset_dropout_masks(cell: Any) -> None:
    if isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            _reset_dropout_masks(inner)
        return
    for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
        if hasattr(cell, reset):
            getattr(cell, reset)()
