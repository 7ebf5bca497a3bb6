"""``MonitorCallback``: what the callbacks that watch one logged value share.

``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` each watch a ``monitor`` and
compare it with the best so far, minimized or maximized as ``mode`` (or its name) says.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .callback import Callback, Logs

# Substrings of metric names for which larger is better, then smaller is better; used when
# mode="auto" and the model's metrics do not say (a metric may set `_direction` to "up"/"down").
_LARGER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou", "similarity")
_SMALLER_IS_BETTER = (
    "loss",
    "error",
    "crossentropy",
    "hinge",
    "divergence",
    "poisson",
    "cosh",
    "mse",
    "mae",
    "mape",
    "msle",
)


def _monitor_sign(who: str, monitor: str, mode: str, model: Any) -> int:
    """+1 when a larger value of ``monitor`` is better, -1 when a smaller one is."""
    if mode != "auto":
        return 1 if mode == "max" else -1
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return -1
    for metric in getattr(model, "metrics", None) or ():
        for inner in getattr(metric, "metrics", None) or (metric,):
            direction = getattr(inner, "_direction", None)
            if getattr(inner, "name", None) == name and direction in ("up", "down"):
                return 1 if direction == "up" else -1
    if any(word in name for word in _LARGER_IS_BETTER):
        return 1
    if any(word in name for word in _SMALLER_IS_BETTER):
        return -1
    raise ValueError(
        f"{who} callback received monitor={monitor}, but numkeras isn't able to automatically "
        "determine whether that metric should be maximized or minimized. Pass `mode='max'` in "
        "order to monitor based on the highest metric value, or pass `mode='min'` in order to "
        "use the lowest value."
    )


class MonitorCallback(Callback):
    """What EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share: one watched value.

    In ``mode="auto"`` the direction comes from the monitor's name: a loss is minimized, an
    accuracy ("acc" in the name) maximized. A value improves on ``reference`` when it is better
    by more than ``min_delta``; ``best`` starts at the worst value (±inf) unless given.
    """

    #: Starts the warning for a monitor missing from the logs.
    _purpose = ""

    def __init__(
        self, monitor: str, mode: str, min_delta: float = 0.0, initial_best: float | None = None
    ) -> None:
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self._initial_best = initial_best
        self.best = initial_best
        self._sign: int | None = None

    def _reset_best(self) -> None:
        self.best = self._initial_best

    def _prepare(self) -> None:
        # Deferred to the first epoch's end, as in Keras: the model's metrics exist by then.
        if self._sign is None:
            self._sign = _monitor_sign(type(self).__name__, self.monitor, self.mode, self.model)
        if self.best is None:
            self.best = -self._sign * math.inf

    def _improves(self, value: float, reference: float) -> bool:
        return self._sign * (value - reference) > self.min_delta

    def _current(self, logs: Logs | None) -> Any:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"{self._purpose} is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}",
                stacklevel=3,
            )
        return value
