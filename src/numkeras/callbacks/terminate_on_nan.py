"""``TerminateOnNaN``: stop training at the first batch whose loss is not finite."""

from __future__ import annotations

import math
from typing import Any

from ..registry import register
from .callback import Callback, Logs, print_msg


@register
class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    Sets ``model.stop_training`` and prints ``Batch 7: Invalid loss, terminating training``; with
    ``raise_error=True`` raises a RuntimeError instead, skipping the other callbacks' cleanup.
    """

    def __init__(self, raise_error: bool = False) -> None:
        self.raise_error = raise_error

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

    def get_config(self) -> dict[str, Any]:
        return {"raise_error": self.raise_error}
