"""``ReduceLROnPlateau``: lower the learning rate when the monitored value stops improving."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import register
from .callback import Logs, print_msg
from .monitor_callback import MonitorCallback


@register
class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has stopped improving.

    After ``patience`` epochs without an improvement larger than ``min_delta``:
    ``new_lr = max(lr * factor, min_lr)``; then ``cooldown`` epochs pass before waiting resumes.
    Each epoch's logs get ``learning_rate``, the rate that epoch trained with. In ``mode="auto"``
    a monitor with "acc" in its name is maximized, a loss minimized.

    Args (Keras 3 defaults): monitor="val_loss"; factor=0.1 (must be < 1); patience=10;
    verbose=0 (1 prints each reduction); mode="auto"; min_delta=1e-4; cooldown=0; min_lr=0.0.
    """

    _purpose = "Learning rate reduction"
    _state_fields = {"wait": "count", "best": "number", "cooldown_counter": "count"}

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received: factor={factor}"
            )
        super().__init__(monitor, mode, min_delta)
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.on_train_begin()

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset_best()
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._current(logs)
        if current is None:
            return
        self._prepare()
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                new_lr = max(old_lr * self.factor, self.min_lr)
                # Compared in float32, the precision an optimizer keeps its rate in, so that a
                # rate already at min_lr is not "reduced" to itself again and again.
                if np.float32(new_lr) < np.float32(old_lr):
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print_msg(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new_lr}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def get_config(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "factor": self.factor,
            "patience": self.patience,
            "verbose": self.verbose,
            "mode": self.mode,
            "min_delta": self.min_delta,
            "cooldown": self.cooldown,
            "min_lr": self.min_lr,
        }
