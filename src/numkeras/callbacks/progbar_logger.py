"""``ProgbarLogger``: the progress bar that ``fit``, ``evaluate`` and ``predict`` show."""

from __future__ import annotations

from typing import Any

from ..registry import register
from ..utils.progbar import Progbar
from .callback import Callback, Logs, print_msg


@register
class ProgbarLogger(Callback):
    """Prints ``Epoch 3/20`` (when there are several epochs) and a progress bar for each epoch.

    ``fit`` adds one when ``verbose`` is not 0: ``verbose=1`` shows a live bar, ``verbose=2`` one
    line per epoch (see :mod:`numkeras.utils.progbar`). Inside ``fit`` the validation runs
    silently and its results end the epoch's line; ``evaluate`` and ``predict`` show a bar of
    their own. Batch logs are already running means, so they are shown as they are.
    """

    def __init__(self) -> None:
        self.verbose: int = 1
        self.epochs: int = 1
        self.target: int | None = None
        self.seen = 0
        self.progbar: Progbar | None = None
        self._in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._start()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._finish(logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._start()

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._start()

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, None)  # the outputs are not for display

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._finish(None)

    def _start(self) -> Progbar:
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose)
        return self.progbar

    def _update(self, batch: int, logs: Logs | None) -> None:
        progbar = self.progbar or self._start()
        self.seen = batch + 1
        if self.verbose == 1:
            logs = logs or {}
            progbar.stateful_metrics.update(logs)
            progbar.update(self.seen, list(logs.items()), finalize=False)

    def _finish(self, logs: Logs | None) -> None:
        progbar = self.progbar or self._start()
        if self.target is None:
            # The first epoch counted the steps; later epochs show them as the target.
            self.target = progbar.target = self.seen
        progbar.update(self.target, list((logs or {}).items()), finalize=True)
        self.progbar = None

    def get_config(self) -> dict[str, Any]:
        return {}
