"""Callbacks: objects that ``fit``, ``evaluate`` and ``predict`` call at fixed points of the loop.

Step 3 of the course (pick the best function) in practice: stop when the validation loss stops
improving (:class:`EarlyStopping`), keep the best model on disk (:class:`ModelCheckpoint`), lower
the learning rate on a plateau (:class:`ReduceLROnPlateau`), record the learning curves
(:class:`History`, :class:`CSVLogger`). Names, arguments, defaults and messages are Keras 3's.

What a callback may use of its model: ``model.stop_training`` (set it to True to end training
after this epoch), ``model.get_weights()`` / ``model.set_weights(list)``,
``model.optimizer.learning_rate`` (a float, settable), ``model.save(path)`` and
``model.save_weights(path)``.

A callback whose progress matters to a resumed fit lists it in ``_state_fields``; a model file
written during ``fit`` carries it, and a ``fit(initial_epoch=k)`` after ``load_model`` continues
it (see :mod:`numkeras.callback_state`).
"""

from __future__ import annotations

import csv
import inspect
import io
import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from numkeras import callback_state
from numkeras.registry import register
from numkeras.utils.io_utils import atomic_write
from numkeras.utils.progbar import Progbar

Logs = dict[str, Any]


class Callback:
    """Base class: override the hooks you need; each one does nothing by default.

    ``logs`` is a dict. The train and test batch hooks get the running means of the loss and
    metrics over the epoch so far (as in Keras); ``on_epoch_end`` gets the epoch's results, the
    validation ones prefixed ``val_``; the ``*_end`` hooks of evaluate get its results. A hook may
    add entries to the ``logs`` it gets (``ReduceLROnPlateau`` adds ``learning_rate``): the
    callbacks after it, and the ``History``, see them.

    ``self.model`` is the model being trained; ``self.params`` the loop's parameters
    (``verbose``, ``epochs``, ``steps``).
    """

    params: dict[str, Any] | None = None
    _model: Any = None
    #: The attributes that hold this callback's progress through a fit, by kind (see
    #: :mod:`numkeras.callback_state`); checkpoints carry them so that a resumed fit continues.
    _state_fields: dict[str, str] = {}

    def get_state(self) -> dict[str, Any]:
        """This callback's progress through the current fit: ``{attribute: value}`` for each
        of its ``_state_fields`` (numbers as floats, inf included; weights as lists of arrays).
        Empty for a callback that keeps none, as the base class."""
        return callback_state.check_state(
            type(self).__name__, self._state_fields,
            {name: getattr(self, name) for name in self._state_fields})

    def set_state(self, values: dict[str, Any]) -> None:
        """Continue from ``values``, as :meth:`get_state` gave them. Raises a ValueError when
        they are not exactly this callback's fields, each of its kind."""
        checked = callback_state.check_state(type(self).__name__, self._state_fields, values)
        for name, value in checked.items():
            setattr(self, name, value)

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        return self._model

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Callback:
        """Rebuild a callback from the output of its ``get_config()``."""
        return cls(**config)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Called once when ``fit`` ends, also when a callback stopped it early."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the start of epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the end of epoch ``epoch`` with its training and validation results."""

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before training step ``batch`` (counted from 0 in each epoch)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after training step ``batch`` with the running means of the epoch so far."""
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Keras 2's name for ``on_train_batch_begin``, which calls it."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Keras 2's name for ``on_train_batch_end``, which calls it."""

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Called when an evaluation starts (``evaluate``, or validation inside ``fit``)."""

    def on_test_end(self, logs: Logs | None = None) -> None:
        """Called when an evaluation ends, with its results."""

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before evaluation step ``batch``."""

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after evaluation step ``batch`` with the running means so far."""

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Called when ``predict`` starts."""

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """Called when ``predict`` ends."""

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before prediction step ``batch``."""

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after prediction step ``batch``; ``logs["outputs"]`` holds its outputs."""


#: Every hook a callback has, in the order they are defined above.
_HOOKS: tuple[str, ...] = tuple(name for name in vars(Callback) if name.startswith("on_"))


def _relay(hook: str, indexed: bool, tidy: bool = False) -> Callable[..., None]:
    """A :class:`CallbackList` method that calls ``hook`` on each of its callbacks in turn.

    Every callback gets the same ``logs`` dict, so what one adds the next ones see. ``tidy``
    hands them a copy of plain floats in Keras's order (training names sorted, then the
    ``val_`` ones), which is the order the progress bar and the History show.
    """

    def call_all(self: CallbackList, args: tuple[int, ...], logs: Logs | None) -> None:
        if tidy:
            logs = {name: _as_float(logs[name]) for name in sorted(logs or {}, key=_keras_order)}
        elif logs is None:
            logs = {}
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    if indexed:

        def relay(self: CallbackList, index: int, logs: Logs | None = None) -> None:
            call_all(self, (index,), logs)
    else:

        def relay(self: CallbackList, logs: Logs | None = None) -> None:
            call_all(self, (), logs)

    relay.__name__ = hook
    relay.__qualname__ = f"CallbackList.{hook}"
    relay.__doc__ = f"Call ``{hook}`` on every callback, in order."
    return relay


def _keras_order(name: str) -> tuple[bool, str]:
    return name.startswith("val_"), name


def _as_float(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class CallbackList(Callback):
    """The callbacks of one ``fit``, ``evaluate`` or ``predict`` call, driven as one.

    Args:
        callbacks: the user's callbacks (a list, or one callback).
        add_history: append a :class:`History` unless the list has one; it becomes
            ``model.history``.
        add_progbar: append a :class:`ProgbarLogger` unless the list has one.
        model: the model, given to every callback.
        **params: the loop's parameters (``verbose``, ``epochs``, ``steps``), given to every
            callback through ``set_params``.

    History and progress bar come last, so they see what the user's callbacks add to the logs.
    """

    def __init__(
        self,
        callbacks: Callback | Iterable[Callback] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        callbacks = list(callbacks or [])
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "callbacks must be instances of numkeras.callbacks.Callback. "
                    f"Received: {callback!r}"
                )
        # Checkpoints are written after the other callbacks have seen the epoch, so that the
        # file holds the whole end-of-epoch state (a reduced learning rate, the early stopping
        # counters) whatever the order of the list: that is what an exact resume needs.
        self.callbacks: list[Callback] = sorted(
            callbacks, key=lambda c: isinstance(c, ModelCheckpoint))
        self._history = self._find_or_add(History, add_history)
        self._find_or_add(ProgbarLogger, add_progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _find_or_add(self, kind: type[Callback], add: bool) -> Any:
        for callback in self.callbacks:
            if isinstance(callback, kind):
                return callback
        if not add:
            return None
        self.callbacks.append(kind())
        return self.callbacks[-1]

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    on_train_begin = _relay("on_train_begin", indexed=False)
    on_train_end = _relay("on_train_end", indexed=False)
    on_epoch_begin = _relay("on_epoch_begin", indexed=True)
    on_epoch_end = _relay("on_epoch_end", indexed=True, tidy=True)
    on_train_batch_begin = _relay("on_train_batch_begin", indexed=True)
    on_train_batch_end = _relay("on_train_batch_end", indexed=True, tidy=True)
    on_batch_begin = _relay("on_batch_begin", indexed=True)
    on_batch_end = _relay("on_batch_end", indexed=True, tidy=True)
    on_test_begin = _relay("on_test_begin", indexed=False)
    on_test_end = _relay("on_test_end", indexed=False, tidy=True)
    on_test_batch_begin = _relay("on_test_batch_begin", indexed=True)
    on_test_batch_end = _relay("on_test_batch_end", indexed=True, tidy=True)
    on_predict_begin = _relay("on_predict_begin", indexed=False)
    on_predict_end = _relay("on_predict_end", indexed=False)
    on_predict_batch_begin = _relay("on_predict_batch_begin", indexed=True)
    # Not tidied: prediction logs carry output arrays, not scalars.
    on_predict_batch_end = _relay("on_predict_batch_end", indexed=True)


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
            _print(f"Epoch {epoch + 1}/{self.epochs}")

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


# Substrings of metric names for which larger is better, then smaller is better; used when
# mode="auto" and the model's metrics do not say (a metric may set `_direction` to "up"/"down").
_LARGER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou", "similarity")
_SMALLER_IS_BETTER = (
    "loss", "error", "crossentropy", "hinge", "divergence", "poisson", "cosh", "mse", "mae", "mape",
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


class _MonitorCallback(Callback):
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


@register
class EarlyStopping(_MonitorCallback):
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
    _state_fields = {"wait": "count", "best": "number", "best_epoch": "count",
                     "stopped_epoch": "count", "best_weights": "weights"}

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
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_config(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor, "min_delta": self.min_delta, "patience": self.patience,
            "verbose": self.verbose, "mode": self.mode, "baseline": self.baseline,
            "restore_best_weights": self.restore_best_weights,
            "start_from_epoch": self.start_from_epoch,
        }


@register
class ModelCheckpoint(_MonitorCallback):
    """Save the model (or its weights) after every epoch, or every ``save_freq`` batches.

    ``filepath`` may hold fields filled with ``filepath.format(epoch=epoch + 1, **logs)`` (and
    ``batch=batch + 1`` when saving by batches), e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``;
    its folder is created. With ``save_best_only`` a file is written only when ``monitor``
    improves on the best so far (or on ``initial_value_threshold``). The file is written by
    ``model.save(path)``, or ``model.save_weights(path)`` with ``save_weights_only``.

    Args (Keras 3 defaults): filepath; monitor="val_loss"; verbose=0 (1 prints what is saved);
    save_best_only=False; save_weights_only=False; mode="auto" ("min", "max": see
    EarlyStopping); save_freq="epoch" (or a number of batches); initial_value_threshold=None.
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
        if not self._should_save(epoch, path, logs):
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
                _print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        current = self._current(logs)
        if current is None:
            return True  # as Keras: better a checkpoint too many than none
        self._prepare()
        best = f"{self.best:.5f}"
        if self._improves(current, self.best):
            if self.verbose > 0:
                _print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
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
            "filepath": self.filepath, "monitor": self.monitor, "verbose": self.verbose,
            "save_best_only": self.save_best_only, "save_weights_only": self.save_weights_only,
            "mode": self.mode, "save_freq": self.save_freq,
            "initial_value_threshold": self._initial_best,
        }


@register
class ReduceLROnPlateau(_MonitorCallback):
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
                        _print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new_lr}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def get_config(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor, "factor": self.factor, "patience": self.patience,
            "verbose": self.verbose, "mode": self.mode, "min_delta": self.min_delta,
            "cooldown": self.cooldown, "min_lr": self.min_lr,
        }


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    ``schedule`` takes the epoch (from 0) and the current rate, or the epoch alone, and returns
    the new rate, e.g. ``lambda epoch, lr: lr if epoch < 10 else lr * 0.9``. Each epoch's logs
    get ``learning_rate``. Not registered for configs: a config cannot carry the function.

    Args: schedule; verbose=0 (1 prints each new rate).
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        if not callable(schedule):
            raise TypeError(
                "schedule must be a function of (epoch, lr) or of (epoch). "
                f"Received: schedule={schedule!r}"
            )
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        if self._takes_lr:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        else:
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, numbers.Real) or isinstance(learning_rate, bool):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate!r}"
            )
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            _print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def _accepts_two_arguments(function: Callable[..., Any]) -> bool:
    try:
        inspect.signature(function).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): take the (epoch, lr) form
        return True
    return True


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
        _print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

    def get_config(self) -> dict[str, Any]:
        return {"raise_error": self.raise_error}


@register
class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: ``epoch,accuracy,loss,...``.

    The columns are the first epoch's log names, sorted; a value missing later reads ``NA``.
    After every epoch the whole file is written again through
    :func:`~numkeras.utils.io_utils.atomic_write`, so a crash never leaves a half-written row.

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
        with atomic_write(self.filename, "w") as file:
            file.write(self._text)

    def get_config(self) -> dict[str, Any]:
        return {"filename": self.filename, "separator": self.sep, "append": self.append}


def _csv_value(value: Any) -> Any:
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return f"[{', '.join(map(str, np.ravel(value)))}]"


class LambdaCallback(Callback):  # not registered for configs: they cannot carry functions
    """A callback made of plain functions, one per hook, e.g.
    ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))``.

    ``on_epoch_begin``/``on_epoch_end`` get ``(epoch, logs)``, ``on_train_begin``/``on_train_end``
    get ``(logs)``, batch hooks get ``(batch, logs)``. Any other hook of :class:`Callback` may be
    given by name as a keyword argument.
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Callable[..., Any],
    ) -> None:
        functions = {
            "on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin, "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end, **kwargs,
        }
        for hook, function in functions.items():
            if hook not in _HOOKS:
                raise ValueError(
                    f"LambdaCallback has no hook named {hook!r}. Valid hooks: "
                    f"{', '.join(_HOOKS)}. Received: {hook}={function!r}"
                )
            if function is not None:
                setattr(self, hook, function)


def state_fields(class_name: str) -> dict[str, str] | None:
    """The ``_state_fields`` of the callback class named ``class_name`` (numkeras's own, or a
    subclass of yours defined by now), or None when no such class has a state."""
    classes = [Callback]
    while classes:
        cls = classes.pop()
        if cls.__name__ == class_name and cls._state_fields:
            return cls._state_fields
        classes.extend(cls.__subclasses__())
    return None


def _print(message: str) -> None:
    # Flushed at once: with stdout redirected to a log file, messages appear as they happen.
    print(message, flush=True)


def __getattr__(name: str) -> Any:
    # AnnealedDropout lives with the course's recipe, which imports this module: load it lazily.
    if name == "AnnealedDropout":
        from numkeras.recipe.dropout import AnnealedDropout

        return AnnealedDropout
    raise AttributeError(f"module 'numkeras.callbacks' has no attribute {name!r}")
