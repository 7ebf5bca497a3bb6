"""``LambdaCallback``: a callback made of plain functions, one per hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .callback import HOOKS, Callback


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
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for hook, function in functions.items():
            if hook not in HOOKS:
                raise ValueError(
                    f"LambdaCallback has no hook named {hook!r}. Valid hooks: "
                    f"{', '.join(HOOKS)}. Received: {hook}={function!r}"
                )
            if function is not None:
                setattr(self, hook, function)
