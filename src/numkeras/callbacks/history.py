"""``History``: every epoch's logs, as ``fit`` returns them."""

from __future__ import annotations

from typing import Any

from ..registry import register
from .callback import Callback, Logs


@register
class History(Callback):
    """Records every epoch's logs: ``history.history["val_loss"][3]`` is epoch 4's.

    ``fit`` adds one itself, returns it and stores it as ``model.history``.
    ``history.epoch`` lists the epochs run (from 0, or from ``initial_epoch``).
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        if self.model is not None:
            self.model.history = self

    def get_config(self) -> dict[str, Any]:
        return {}
