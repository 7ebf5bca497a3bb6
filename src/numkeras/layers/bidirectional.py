"""Bidirectional: a recurrent layer reading a sequence forwards, its twin reading it backwards."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import ops, registry
from ..ops.core import Tensor
from .layer import Layer, Shape
from .rnn import sequence_mask

#: How the two directions' outputs combine, by Keras 3's ``merge_mode`` names.
_MERGES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "concat": lambda y, y_rev: ops.concatenate([y, y_rev], axis=-1),
    "sum": lambda y, y_rev: y + y_rev,
    "ave": lambda y, y_rev: (y + y_rev) / 2,
    "mul": lambda y, y_rev: y * y_rev,
}

#: What both directions must agree on, as Keras checks it.
_COMMON_ATTRIBUTES = ("stateful", "return_sequences", "return_state")


def _copy(layer: Layer, prefix: str, **changes: Any) -> Layer:
    """A fresh layer (new weights) from ``layer``'s config, named ``<prefix><name>``.

    Built through ``type(layer)`` rather than the registry, so that a user's own recurrent
    layer, which the registry need not know, can be wrapped too."""
    name = f"{prefix}{layer.name.removeprefix(prefix)}"
    return registry.from_config(type(layer), {**layer.get_config(), "name": name, **changes})


def _check_sequence_layer(argument: str, layer: Any) -> None:
    """Refuse, naming ``argument``, what is not a layer with Keras's recurrent attributes."""
    if not isinstance(layer, Layer):
        raise ValueError(
            f"Bidirectional wraps a Layer instance, e.g. Bidirectional(LSTM(8)). "
            f"Received: {argument}={layer!r}"
        )
    missing = [a for a in ("go_backwards", *_COMMON_ATTRIBUTES) if not hasattr(layer, a)]
    if missing:
        raise ValueError(
            "Bidirectional wraps a sequence layer with go_backwards, stateful, return_sequences "
            f"and return_state attributes, such as LSTM or GRU. Received: {argument}={layer!r}, "
            f"which lacks {missing}"
        )


class Bidirectional(Layer):
    """Runs a recurrent ``layer`` over the sequence forwards and a copy of it backwards, and
    merges the two outputs::

        y     = forward_layer(x)             # reads x_1 ... x_T
        y_rev = backward_layer(x)            # go_backwards: reads x_T ... x_1
        y_rev = flip(y_rev, time)            # only with return_sequences, so that step t of
                                             # both outputs belongs to x_t
        output = merge(y, y_rev)             # concat | sum | ave (mean) | mul | None (a list)

    Keras 3's arguments and defaults: ``merge_mode='concat'``; ``backward_layer=None`` makes
    the backward layer from ``layer``'s config with ``go_backwards=True`` (a given one must
    differ from ``layer`` in ``go_backwards`` and agree in ``stateful``, ``return_sequences``
    and ``return_state``); ``weights`` sets the forward then the backward layer's weights once
    built. As in Keras, both layers are fresh copies: ``layer``'s own weights are not reused.

    Calling it takes the wrapped layer's arguments: ``initial_state`` (its first half goes to
    the forward layer, the second half to the backward one), ``mask`` (given to both; with
    ``return_sequences`` the outputs at masked steps are zeros, as Keras forces) and
    ``training``. With ``return_state`` the outputs are ``[output(s), *forward states,
    *backward states]``.
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: list[Any] | None = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ):
        _check_sequence_layer("layer", layer)
        if backward_layer is not None:
            _check_sequence_layer("backward_layer", backward_layer)
        if merge_mode is not None and merge_mode not in _MERGES:
            raise ValueError(
                f"merge_mode must be one of {[*_MERGES, None]}. Received: merge_mode={merge_mode!r}"
            )
        # The base layer sets ``weights`` once built, in the order of get_weights: the forward
        # layer's, then the backward layer's, which is how Keras splits them.
        super().__init__(weights=weights, **kwargs)
        self.forward_layer = _copy(layer, "forward_")
        self.backward_layer = (
            _copy(layer, "backward_", go_backwards=True)
            if backward_layer is None
            else backward_layer
        )
        self._check_directions()
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec

    def _check_directions(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        for attribute in ("go_backwards", *_COMMON_ATTRIBUTES):
            ours, theirs = getattr(forward, attribute), getattr(backward, attribute)
            if (ours == theirs) == (attribute == "go_backwards"):
                relation = "differ in" if attribute == "go_backwards" else "have the same"
                raise ValueError(
                    f"The forward and the backward layer of Bidirectional must {relation} "
                    f"{attribute}. Received: layer.{attribute}={ours}, "
                    f"backward_layer.{attribute}={theirs}"
                )

    @property
    def states(self) -> list[Tensor] | None:
        """The kept states of a stateful layer, forward then backward; None otherwise."""
        forward, backward = (getattr(l, "states", None) for l in self._directions)
        return [*forward, *backward] if forward and backward else None

    def reset_state(self) -> None:
        """Zero both directions' kept states (``stateful=True`` only), Keras 3's name."""
        if not self.stateful:
            raise AttributeError(
                f"Layer '{self.name}' (Bidirectional) keeps no states to reset: its layers are "
                "not stateful. Received: stateful=False"
            )
        for layer in self._directions:
            layer.reset_state()

    def reset_states(self) -> None:
        """Keras 2's name of :meth:`reset_state`."""
        self.reset_state()

    @property
    def _directions(self) -> tuple[Layer, Layer]:
        return self.forward_layer, self.backward_layer

    def build(self, input_shape: Shape) -> None:
        for layer in self._directions:
            layer._maybe_build(input_shape)

    def call(
        self,
        inputs: Tensor,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        forward_state, backward_state = self._split_states(initial_state)
        extra: dict[str, Any] = {"training": training}
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            extra["mask"] = mask
        y = self.forward_layer(inputs, initial_state=forward_state, **extra)
        y_rev = self.backward_layer(inputs, initial_state=backward_state, **extra)
        states: list[Tensor] = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
            if mask is not None:
                # Keras's Bidirectional sets zero_output_for_mask on both layers when they
                # return sequences: a masked step's output is zeros, not the state carried on.
                keep = ops.expand_dims(ops.cast(mask, y.dtype), -1)
                y, y_rev = y * keep, y_rev * keep
        outputs = [y, y_rev] if self.merge_mode is None else [_MERGES[self.merge_mode](y, y_rev)]
        if not self.return_state and len(outputs) == 1:
            return outputs[0]
        return [*outputs, *states]

    @staticmethod
    def _split_states(initial_state: Any) -> tuple[Any, Any]:
        """Keras's split of ``initial_state``: the first half forwards, the second backwards."""
        if initial_state is None:
            return None, None
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) % 2:
            count = len(initial_state) if isinstance(initial_state, (list, tuple)) else 1
            raise ValueError(
                "Bidirectional needs initial_state as a list of the forward layer's states "
                f"followed by the backward layer's (an even count). Received: {count} state(s)"
            )
        half = len(initial_state) // 2
        return list(initial_state[:half]), list(initial_state[half:])

    def compute_output_shape(self, input_shape: Shape) -> Any:
        shapes = [layer.compute_output_shape(input_shape) for layer in self._directions]
        states: list[Shape] = []
        if self.return_state:
            states = [tuple(s) for shape in shapes for s in shape[1:]]
            shapes = [shape[0] for shape in shapes]
        y, y_rev = (tuple(shape) for shape in shapes)
        if self.merge_mode == "concat":
            # A given backward layer may have other units than the forward one.
            width = None if None in (y[-1], y_rev[-1]) else y[-1] + y_rev[-1]
            outputs = [(*y[:-1], width)]
        else:
            outputs = [y, y_rev] if self.merge_mode is None else [y]
        if not self.return_state and len(outputs) == 1:
            return outputs[0]
        return [*outputs, *states]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras 3's: the input mask for each output sequence (None without
        return_sequences), None for every state."""
        output_mask = sequence_mask(mask, self.return_sequences)
        shapes = self.compute_output_shape(tuple(inputs.shape))
        if not isinstance(shapes, list):
            return output_mask
        outputs = 2 if self.merge_mode is None else 1
        return [output_mask] * outputs + [None] * (len(shapes) - outputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": registry.serialize(self.forward_layer),
            "backward_layer": registry.serialize(self.backward_layer),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Bidirectional:
        layers = {
            key: registry.deserialize(config[key], custom_objects)
            for key in ("layer", "backward_layer")
            if config.get(key) is not None
        }
        return cls(**{**config, **layers})
