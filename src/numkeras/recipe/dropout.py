"""Annealed dropout, one of the recipe's remedies for overfitting, as the recipe names it.

The callback is a callback like any other and lives in :mod:`numkeras.callbacks.annealed_dropout`
(the library never reaches up into the recipe); the recipe's experiments use it from here.
"""

from __future__ import annotations

from ..callbacks.annealed_dropout import AnnealedDropout, dropout_layers

__all__ = ["AnnealedDropout", "dropout_layers"]
