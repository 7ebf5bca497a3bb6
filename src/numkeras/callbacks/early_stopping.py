"""``EarlyStopping``: stop training when the monitored value stops improving."""

from __future__ import annotations

from typing import Any

from ..registry import register
from .callback import Logs, print_msg
from .monitor_callback import MonitorCallback


@register
class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has stopped improving.

    At each epoch's end, from epoch ``start_from_epoch`` on, the value counts as an improvement
    when it beats the best so far by more than ``min_delta``. After ``patience`` epochs in a row
    without one, ``model.stop_training`` is set. With ``baseline``, epochs that do not beat it
    count as epochs without improvement even when they beat the best so far. With
    ``restore_best_weights``, the weights of the best epoch are put back when training ends,
    whether or not training was stopped early (a Keras 2 bug that Keras 3 fixed).

    Args (Keras 3 defaults):
        monitor: the log entry to watch. Defaults to "val_loss".
        min_delta: least change that counts as an improvement. Defaults to 0.
        patience: epochs without improvement before stopping. Defaults to 0.
        verbose: 1 prints a message when stopping and restoring. Defaults to 0.
        mode: "min", "max", or "auto" (from the name: "loss" -> min, "acc" -> max).
        baseline: a value the monitor must beat. Defaults to None.
        restore_best_weights: put back the best epoch's weights at the end. Defaults to False.
        start_from_epoch: epochs of warm-up before watching. Defaults to 0.
    """

    _purpose = "Early stopping"
    _state_fields = {
        "wait": "count",
        "best": "number",
        "best_epoch": "count",
        "stopped_epoch": "count",
        "best_weights": "weights",
    }

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.on_train_begin()

    def on_train_begin(self, logs: Logs | None = None) -> None:
        # Reset, so that one instance can serve several fit calls.
        self._reset_best()
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: list[Any] | None = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self._prepare()
        if self.restore_best_weights and self.best_weights is None:
            # Nothing better seen yet: these weights are the best so far.
            self._keep_weights(epoch)
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self._keep_weights(epoch)
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def _keep_weights(self, epoch: int) -> None:
        self.best_epoch = epoch
        if self.restore_best_weights:
            # Copies, in case get_weights hands out the arrays that training updates in place.
            self.best_weights = [w.copy() for w in self.model.get_weights()]

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_config(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "min_delta": self.min_delta,
            "patience": self.patience,
            "verbose": self.verbose,
            "mode": self.mode,
            "baseline": self.baseline,
            "restore_best_weights": self.restore_best_weights,
            "start_from_epoch": self.start_from_epoch,
        }
