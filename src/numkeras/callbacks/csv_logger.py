"""``CSVLogger``: each epoch's logs as a row of a CSV file, written atomically."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import numpy as np

from ..distribution import is_chief
from ..registry import register
from ..utils.io_utils import atomic_write
from .callback import Callback, Logs


@register
class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: ``epoch,accuracy,loss,...``.

    The columns are the first epoch's log names, sorted; a value missing later reads ``NA``.
    After every epoch the whole file is written again through
    :func:`~numkeras.utils.io_utils.atomic_write`, so a crash never leaves a half-written row.
    In a distributed job (``numkeras.distribution``) only rank 0 writes the file.

    Args:
        filename: the CSV file; its folder must exist.
        separator: the field separator. Defaults to ",".
        append: add to an existing file (its header is kept) instead of replacing it.
            Defaults to False.
    """

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self._text = ""

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.keys = None
        self._text = ""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8", newline="") as file:
                self._text = file.read()
            if self._text and not self._text.endswith("\n"):
                self._text += "\n"

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        rows = io.StringIO()
        writer = csv.writer(rows, delimiter=self.sep, lineterminator="\n")
        if self.keys is None:
            self.keys = sorted(logs)
            if not self._text:
                writer.writerow(["epoch", *self.keys])
        writer.writerow([epoch, *(_csv_value(logs.get(key, "NA")) for key in self.keys)])
        self._text += rows.getvalue()
        if is_chief():
            with atomic_write(self.filename, "w") as file:
                file.write(self._text)

    def get_config(self) -> dict[str, Any]:
        return {"filename": self.filename, "separator": self.sep, "append": self.append}


def _csv_value(value: Any) -> Any:
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return f"[{', '.join(map(str, np.ravel(value)))}]"
