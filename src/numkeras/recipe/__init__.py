"""The course's Recipe of Deep Learning as tools.

* :func:`diagnose` walks the recipe's flowchart on a finished ``History``: diverged, not good
  on the training data (not overfitting: fix training), overfitting, or done; with advice.
* :class:`GradientFlow` records each layer's gradient and update sizes per epoch, to see the
  vanishing gradient (plot it with :func:`numkeras.utils.plot_model_gradients`).
* :class:`AnnealedDropout` lowers the dropout rates epoch by epoch
  (:mod:`numkeras.recipe.dropout`).
* :func:`run` (the ``numkeras recipe`` command) runs the recipe's experiments on MNIST and
  writes a report that checks each of the course's claims against the numbers.
* :mod:`numkeras.recipe.networks`: the course's networks, built and compiled in one call.
"""

from __future__ import annotations

import importlib
from typing import Any

from .diagnose import Diagnosis, diagnose
from .dropout import AnnealedDropout
from .gradient_flow import GradientFlow

__all__ = ["EXPERIMENTS", "AnnealedDropout", "Diagnosis", "GradientFlow", "diagnose", "run"]

# The experiments import models and layers: loaded when first asked for.
_LAZY = {"run": "runner", "EXPERIMENTS": "experiments"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
