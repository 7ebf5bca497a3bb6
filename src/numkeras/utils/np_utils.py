"""Keras 1's ``keras.utils.np_utils``, so course code that imports it runs as written."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .numerical import to_categorical as _to_categorical


def to_categorical(
    y: Any, nb_classes: int | None = None, num_classes: int | None = None
) -> np.ndarray:
    """Keras 1's spelling of :func:`numkeras.utils.to_categorical` (``nb_classes``)."""
    if nb_classes is not None:
        warnings.warn(
            "`to_categorical(y, nb_classes=...)` is the Keras 1 spelling; use `num_classes=...`.",
            UserWarning,
            stacklevel=2,
        )
        num_classes = nb_classes
    return _to_categorical(y, num_classes)
