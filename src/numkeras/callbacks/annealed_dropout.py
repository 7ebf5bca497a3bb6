"""``AnnealedDropout`` (Rennie, Goel and Thomas, 2014): lower the dropout rate epoch by epoch.

Dropout helps most early in training, when the network overfits easily; annealing its rate
linearly to zero lets the last epochs train the whole network, as a plain network would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..registry import register
from .callback import Callback, Logs, print_msg


def dropout_layers(model: Any) -> Iterator[Any]:
    """The layers of ``model`` that have a dropout ``rate`` (Dropout, SpatialDropout2D,
    DropConnect, ...), looking inside nested models."""
    for layer in getattr(model, "layers", []):
        if hasattr(layer, "layers"):
            yield from dropout_layers(layer)
        elif isinstance(getattr(layer, "rate", None), float):
            yield layer


@register
class AnnealedDropout(Callback):
    """Anneal every dropout rate of the model linearly, from its initial value at epoch 0 to
    ``final_rate`` at epoch ``final_epoch``, and keep it there::

        rate(epoch) = initial + (final_rate - initial) · min(epoch / final_epoch, 1)

    The rate is set at the start of each epoch on every layer with a dropout ``rate``
    (``Dropout``, ``SpatialDropout2D``, ``DropConnect``, also inside nested models); each
    layer starts from its own rate, or from ``initial_rate`` when given. Each epoch's logs get
    ``dropout_rate``, the mean rate of those layers during the epoch.

    When training ends the layers get their original rates back, so that the model's config
    (and a saved model) keeps the rates it was built with, and a later ``fit`` (say with
    ``initial_epoch``) anneals from the same starting point. Keras has no such callback.

    Args:
        final_epoch: the epoch (counted from 0) from which the rate is ``final_rate``; a
            positive integer.
        final_rate: the rate at the end of annealing. Defaults to ``0.0`` (Rennie et al.).
        initial_rate: the rate at epoch 0 for every layer; ``None`` (default) keeps each
            layer's own.
        verbose: 1 prints the rate set at each epoch.
    """

    def __init__(
        self,
        final_epoch: int,
        final_rate: float = 0.0,
        initial_rate: float | None = None,
        verbose: int = 0,
    ) -> None:
        if not isinstance(final_epoch, int) or isinstance(final_epoch, bool) or final_epoch < 1:
            raise ValueError(
                f"final_epoch must be a positive integer. Received: final_epoch={final_epoch!r}"
            )
        for name, rate in (("final_rate", final_rate), ("initial_rate", initial_rate)):
            if rate is not None and not (isinstance(rate, (int, float)) and 0 <= rate < 1):
                raise ValueError(f"{name} must be a number in [0, 1). Received: {name}={rate!r}")
        self.final_epoch = final_epoch
        self.final_rate = float(final_rate)
        self.initial_rate = None if initial_rate is None else float(initial_rate)
        self.verbose = verbose
        self._originals: list[tuple[Any, float]] = []

    def rate(self, epoch: int, initial: float) -> float:
        """The rate at ``epoch`` of a layer that starts at ``initial``."""
        progress = min(epoch / self.final_epoch, 1.0)
        return initial + (self.final_rate - initial) * progress

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._originals = [(layer, layer.rate) for layer in dropout_layers(self.model)]
        if not self._originals:
            raise ValueError(
                "AnnealedDropout found no layer with a dropout rate in the model. "
                "Add Dropout (or DropConnect) layers, or remove the callback."
            )

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        for layer, original in self._originals:
            start = original if self.initial_rate is None else self.initial_rate
            layer.rate = self.rate(epoch, start)
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: AnnealedDropout setting dropout rate to "
                f"{self._mean_rate():.4g}."
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["dropout_rate"] = self._mean_rate()

    def on_train_end(self, logs: Logs | None = None) -> None:
        for layer, original in self._originals:
            layer.rate = original

    def _mean_rate(self) -> float:
        return sum(layer.rate for layer, _ in self._originals) / len(self._originals)

    def get_config(self) -> dict[str, Any]:
        return {
            "final_epoch": self.final_epoch,
            "final_rate": self.final_rate,
            "initial_rate": self.initial_rate,
            "verbose": self.verbose,
        }
