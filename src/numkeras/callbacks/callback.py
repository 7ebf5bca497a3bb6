"""``Callback``, the base class of every callback, and what all callbacks share.

What a callback may use of its model: ``model.stop_training`` (set it to True to end training
after this epoch), ``model.get_weights()`` / ``model.set_weights(list)``,
``model.optimizer.learning_rate`` (a float, settable), ``model.save(path)`` and
``model.save_weights(path)``.

A callback whose progress matters to a resumed fit lists it in ``_state_fields``; a model file
written during ``fit`` carries it, and a ``fit(initial_epoch=k)`` after ``load_model`` continues
it (see :mod:`numkeras.callbacks.state`).
"""

from __future__ import annotations

from typing import Any

from ..distribution import is_chief
from . import state as callback_state

#: What every hook gets as ``logs``: names of results (``loss``, ``val_accuracy``, ...) to values.
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
    #: :mod:`numkeras.callbacks.state`); checkpoints carry them so that a resumed fit continues.
    _state_fields: dict[str, str] = {}

    def get_state(self) -> dict[str, Any]:
        """This callback's progress through the current fit: ``{attribute: value}`` for each
        of its ``_state_fields`` (numbers as floats, inf included; weights as lists of arrays).
        Empty for a callback that keeps none, as the base class."""
        return callback_state.check_state(
            type(self).__name__,
            self._state_fields,
            {name: getattr(self, name) for name in self._state_fields},
        )

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
HOOKS: tuple[str, ...] = tuple(name for name in vars(Callback) if name.startswith("on_"))


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


def print_msg(message: str) -> None:
    """Print a callback's message (Keras's ``io_utils.print_msg``), flushed at once; in a
    distributed job only on rank 0 (every rank decides the same, one says so)."""
    # Flushed at once: with stdout redirected to a log file, messages appear as they happen.
    if is_chief():
        print(message, flush=True)
