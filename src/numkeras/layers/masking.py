"""Masking: mark the time steps of a sequence that are padding, for the layers after it to skip.

>>> import numpy as np
>>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
>>> Masking()(x)._keras_mask.numpy().tolist()
[[True, False, True]]
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..ops.core import Tensor
from .layer import Layer, Shape


class Masking(Layer):
    """Masks the time steps whose features all equal ``mask_value``.

    For inputs ``x`` shaped ``(batch, time, features)``:
    ``mask[b, t] = any(x[b, t, :] != mask_value)`` and ``output[b, t] = x[b, t]`` where
    ``mask[b, t]`` holds, else 0. The output carries the mask, so an RNN after it carries its
    state over the masked steps and the loss leaves them out, as in Keras 3.

    Args:
        mask_value: the value that marks padding. Keras 3's default: ``0.0``.
        **kwargs: the arguments of :class:`Layer`.
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise TypeError(f"mask_value must be a number. Received: mask_value={mask_value!r}")
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs: Tensor, mask: Any = None) -> Tensor:
        """``any(inputs != mask_value, axis=-1)``, a boolean tensor (the previous mask is
        replaced, as in Keras 3)."""
        return Tensor((inputs.data != self.mask_value).any(axis=-1))

    def call(self, inputs: Tensor) -> Tensor:
        mask = self.compute_mask(inputs)
        keep = Tensor(mask.data[..., None])
        # where, not a product: a masked step that holds inf or nan still gives 0, as in Keras.
        outputs = ops.where(keep, inputs, ops.zeros_like(inputs))
        outputs._keras_mask = mask
        return outputs

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
