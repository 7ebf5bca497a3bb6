"""Embedding: integer token ids to dense vectors, by looking rows up in a trainable table."""

from __future__ import annotations

from typing import Any

from .. import constraints, initializers, legacy, ops, regularizers
from ..ops.core import Tensor, as_array
from ..ops.dtypes import INDEX_DTYPE
from .layer import Layer, Shape

_EMBEDDINGS_OBJECTS = (
    "embeddings_initializer",
    "embeddings_regularizer",
    "embeddings_constraint",
)


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return value


class Embedding(Layer):
    """``output[..., :] = embeddings[inputs[...]]``: each integer id in ``inputs`` (any shape)
    becomes row ``id`` of the ``(input_dim, output_dim)`` table ``embeddings``, so the output
    has the inputs' shape plus an axis of ``output_dim``.

    Keras 3 defaults: ``embeddings_initializer='uniform'`` (RandomUniform(-0.05, 0.05)), no
    regularizer or constraint, ``mask_zero=False``. Float inputs are cast to integers as Keras
    does; an id outside ``[0, input_dim)`` is an IndexError. With ``mask_zero=True`` id 0 is
    padding: :meth:`compute_mask` gives ``inputs != 0`` (the layer's own output is the same
    either way), which the output carries to the layers after it (an RNN skips those steps)
    and to the loss, as in Keras.
    ``input_length``, which Keras 3 dropped, is accepted as Keras 1/2 spelled it (with a warning)
    and sets the input shape; ``lora_rank`` (LoRA fine-tuning) is refused.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: list[Any] | None = None,
        lora_rank: int | None = None,
        input_length: int | None = None,
        **kwargs: Any,
    ):
        if lora_rank is not None:
            raise ValueError(
                f"Embedding does not support LoRA in numkeras: lora_rank must be None. "
                f"Received: lora_rank={lora_rank!r}"
            )
        if input_length is not None:
            legacy.warn(
                f"`Embedding(input_length={input_length})` is the Keras 1/2 spelling, which "
                f"Keras 3 dropped; use `input_shape=({input_length},)` or an Input layer."
            )
            kwargs.setdefault("input_shape", (input_length,))
        super().__init__(weights=weights, **kwargs)
        self.input_dim = _positive_int(input_dim, "input_dim")
        self.output_dim = _positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)

    def build(self, input_shape: Shape) -> None:
        self.embeddings = self._add_configured_weight(
            "embeddings", (self.input_dim, self.output_dim)
        )

    def _cast(self, x: Any) -> Tensor:
        # The inputs are ids, not values: keep integers, truncate floats to int32 as Keras does,
        # never cast to the float dtype of the weights.
        data = as_array(x)
        if data.dtype.kind not in "iu":
            data = data.astype(INDEX_DTYPE)
        return Tensor(data)

    def call(self, inputs: Tensor) -> Tensor:
        ids = inputs.data
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= self.input_dim):
            raise IndexError(
                f"Layer '{self.name}' (Embedding) looks up ids in [0, input_dim={self.input_dim})."
                f" Received: ids from {int(ids.min())} to {int(ids.max())}"
            )
        return ops.take(self.embeddings, ids, axis=0)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Tensor | None:
        """``inputs != 0`` (a boolean tensor of the inputs' shape) with ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return Tensor(self._cast(inputs).data != 0)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "mask_zero": self.mask_zero,
            **self._serialized(*_EMBEDDINGS_OBJECTS),
        }
