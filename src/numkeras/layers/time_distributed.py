"""TimeDistributed: one layer applied to every time step of a sequence, with shared weights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import ops, registry
from ..ops.core import Tensor
from .layer import Layer, Shape


class TimeDistributed(Layer):
    """``output[:, t] = layer(inputs[:, t])`` for every time step ``t`` of inputs shaped
    ``(batch, time, ...)``: one set of weights serves all the steps.

    The steps are folded into the batch, ``(batch·time, ...) -> layer -> (batch, time, ...)``,
    so the layer runs once on the whole sequence (one GEMM for a Dense inside). Takes Keras 3's
    ``TimeDistributed(layer)`` and the base layer arguments; the config nests the wrapped
    layer's own. A mask ``(batch, time, ...)`` on the inputs passes on to the outputs, and
    folded the same way to a wrapped layer whose call takes ``mask``, as in Keras 3.
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(
                "TimeDistributed wraps a Layer instance, e.g. TimeDistributed(Dense(8)). "
                f"Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def _step_shape(self, input_shape: Shape) -> Shape:
        """The shape of the batch of steps that the wrapped layer sees: ``(batch·time, ...)``."""
        if len(input_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (TimeDistributed) needs inputs of rank 3 or more, shaped "
                f"(batch, time, ...). Received shape {tuple(input_shape)}."
            )
        batch, time = input_shape[:2]
        folded = None if batch is None or time is None else batch * time
        return (folded, *input_shape[2:])

    def build(self, input_shape: Shape) -> None:
        self.layer._maybe_build(self._step_shape(input_shape))

    def call(self, inputs: Tensor, training: bool | None = None, mask: Any = None) -> Tensor:
        batch, time = inputs.shape[:2]
        steps = ops.reshape(inputs, self._step_shape(inputs.shape))
        arguments: dict[str, Any] = {"training": training}
        if mask is not None:
            if mask.ndim < 2 or tuple(mask.shape[:2]) != (batch, time):
                raise ValueError(
                    f"Layer '{self.name}' (TimeDistributed) needs a mask shaped (batch, time, "
                    f"...) = ({batch}, {time}, ...) like its inputs. Received: mask of shape "
                    f"{tuple(mask.shape)}"
                )
            if self.layer._call_takes_mask:
                arguments["mask"] = Tensor(mask.data.reshape(batch * time, *mask.shape[2:]))
        outputs = self.layer(steps, **arguments)
        return ops.reshape(outputs, (batch, time, *outputs.shape[1:]))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        step_output = self.layer.compute_output_shape(self._step_shape(input_shape))
        return (*input_shape[:2], *step_output[1:])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": registry.serialize(self.layer)}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> TimeDistributed:
        # No family here: a model file's rebuilder passes factories that check for a layer
        # themselves, and the constructor refuses anything else.
        layer = registry.deserialize(config["layer"], custom_objects)
        return cls(**{**config, "layer": layer})
