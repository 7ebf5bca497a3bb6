"""Keras 3's scikit-learn wrappers: a numkeras model as a scikit-learn estimator.

``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` load with scikit-learn
on first use, so ``import numkeras.wrappers`` works without it; using one without scikit-learn
raises ImportError saying what to install.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        try:
            module = importlib.import_module(f"{__name__}.sklearn_wrapper")
        except ImportError as error:
            if error.name is None or not error.name.startswith("sklearn"):
                raise
            raise ImportError(
                f"numkeras.wrappers.{name} needs scikit-learn: install it with "
                "`pip install scikit-learn`."
            ) from error
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
