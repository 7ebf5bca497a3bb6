"""``ModelCheckpoint``: save the model (or the best one) while it trains."""

from __future__ import annotations

import os
from typing import Any

from ..distribution import is_chief
from ..registry import register
from .callback import Logs, print_msg
from .monitor_callback import MonitorCallback


@register
class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) after every epoch, or every ``save_freq`` batches.

    ``filepath`` may hold fields filled with ``filepath.format(epoch=epoch + 1, **logs)`` (and
    ``batch=batch + 1`` when saving by batches), e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``;
    its folder is created. With ``save_best_only`` a file is written only when ``monitor``
    improves on the best so far (or on ``initial_value_threshold``). The file is written by
    ``model.save(path)``, or ``model.save_weights(path)`` with ``save_weights_only``.

    Args (Keras 3 defaults): filepath; monitor="val_loss"; verbose=0 (1 prints what is saved);
    save_best_only=False; save_weights_only=False; mode="auto" ("min", "max": see
    EarlyStopping); save_freq="epoch" (or a number of batches); initial_value_threshold=None.

    In a distributed job (``numkeras.distribution``) every rank decides, on the same global logs,
    and only rank 0 writes the file.
    """

    _purpose = "Saving only the best model"
    _state_fields = {"best": "number", "_batches_since_save": "count"}

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0, initial_value_threshold)
        if save_freq != "epoch" and not (
            isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0
        ):
            raise ValueError(
                "save_freq must be 'epoch' or a positive number of batches. "
                f"Received: save_freq={save_freq!r}"
            )
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _save(self, epoch: int, batch: int | None, logs: Logs) -> None:
        path = self._file_path(epoch, batch, logs)
        # Every rank decides, so that its `best` stays rank 0's; only rank 0 writes.
        if not self._should_save(epoch, path, logs) or not is_chief():
            return
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _should_save(self, epoch: int, path: str, logs: Logs) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        current = self._current(logs)
        if current is None:
            return True  # as Keras: better a checkpoint too many than none
        self._prepare()
        best = f"{self.best:.5f}"
        if self._improves(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _file_path(self, epoch: int, batch: int | None, logs: Logs) -> str:
        fields = dict(logs)
        if batch is not None:
            fields.setdefault("batch", batch + 1)
        try:
            return self.filepath.format(epoch=epoch + 1, **fields)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}'
            ) from e

    def get_config(self) -> dict[str, Any]:
        return {
            "filepath": self.filepath,
            "monitor": self.monitor,
            "verbose": self.verbose,
            "save_best_only": self.save_best_only,
            "save_weights_only": self.save_weights_only,
            "mode": self.mode,
            "save_freq": self.save_freq,
            "initial_value_threshold": self._initial_best,
        }
