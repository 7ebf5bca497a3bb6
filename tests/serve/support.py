"""Helpers for the numkeras serve tests."""

from __future__ import annotations

import io

import numpy as np

from numkeras.datasets._loader import LoadedData
from numkeras.serve import ServedModel


def png_bytes(image: np.ndarray, kind: str = "PNG") -> bytes:
    """An 8-bit grey PNG (or JPEG) file of ``image`` (uint8, or floats in [0, 1])."""
    from PIL import Image

    if image.dtype != np.uint8:
        image = np.round(image * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=kind)
    return buffer.getvalue()


def confident_digit(served: ServedModel, digits: LoadedData, label: int) -> int:
    """Index of the first test digit ``label`` that the model reads right with over 90%."""
    candidates = np.flatnonzero(digits.y_test == label)[:50]
    probabilities = served.predict(digits.x_test[candidates] / 255)
    good = (probabilities.argmax(axis=1) == label) & (probabilities.max(axis=1) > 0.9)
    assert good.any(), f"the test model reads none of the first 50 test {label}s confidently"
    return int(candidates[np.argmax(good)])
