"""``CallbackList``: the callbacks of one ``fit``, ``evaluate`` or ``predict`` call as one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .callback import Callback, Logs
from .history import History
from .model_checkpoint import ModelCheckpoint
from .progbar_logger import ProgbarLogger


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
            callbacks, key=lambda c: isinstance(c, ModelCheckpoint)
        )
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
