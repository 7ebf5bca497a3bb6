"""Turn a request body into the 28x28 image the model reads, or say exactly what is wrong.

Three forms are accepted (see the OpenAPI document): JSON ``{"pixels": [[...]], "preprocess":
false}``, a multipart form whose ``file`` field holds a PNG or JPEG, and a raw PNG or JPEG body.
Every refusal is an :class:`InputError` carrying the HTTP status to answer with: 400 for a body
that cannot be parsed, 415 for a content type not listed, 422 for a well-formed body that is not
a digit.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .images import ImageError, read_grey
from .preprocess import FIELD, BlankImageError, ink_from_grey, to_mnist

JSON_FIELDS = ("pixels", "preprocess")
IMAGE_TYPES = ("image/png", "image/jpeg")
ACCEPTED = ("application/json", "multipart/form-data", *IMAGE_TYPES)
_SHAPE_HINT = (
    f"pixels must be {FIELD} rows of {FIELD} numbers in [0, 1], e.g. (x_test[i] / 255).tolist()"
)


class InputError(ValueError):
    """A request body the server cannot read a digit from; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def media_type(content_type: str | None) -> str:
    """``'image/png'`` from ``'image/png; charset=x'``; raises 415 unless it is accepted."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in ACCEPTED:
        raise InputError(
            415,
            f'Send the digit as application/json {{"pixels": [[...]]}}, as '
            f"multipart/form-data with a 'file' field, or as an image/png or "
            f"image/jpeg body. Received: content type {media or 'none'!r}",
        )
    return media


def image_from_json(body: bytes) -> np.ndarray:
    """The (28, 28) float32 image of a JSON body ``{"pixels": [[...]], "preprocess": bool}``."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InputError(400, f"The body is not valid JSON ({_first_line(error)}).") from None
    if not isinstance(payload, dict):
        raise InputError(
            422,
            f'The JSON body must be an object {{"pixels": [[...]]}}. Received: {_kind(payload)}',
        )
    unknown = sorted(set(payload) - set(JSON_FIELDS))
    if unknown:
        raise InputError(
            422,
            f"Unknown field(s) {', '.join(map(repr, unknown))}; the fields "
            f"are 'pixels' (required) and 'preprocess'.",
        )
    if "pixels" not in payload:
        raise InputError(422, f"The field 'pixels' is missing: {_SHAPE_HINT}.")
    preprocess = payload.get("preprocess", False)
    if not isinstance(preprocess, bool):
        raise InputError(422, f"preprocess must be true or false. Received: {_kind(preprocess)}")
    image = _pixels(payload["pixels"])
    return _fit(image) if preprocess else image


def image_from_upload(data: bytes) -> np.ndarray:
    """The (28, 28) float32 image of a PNG or JPEG upload, fitted into MNIST's frame."""
    try:
        return _fit(ink_from_grey(read_grey(data)))
    except ImageError as error:
        raise InputError(422, str(error)) from None
    except BlankImageError:
        raise InputError(422, "The image is one flat colour: there is no digit to read.") from None


def _pixels(rows: Any) -> np.ndarray:
    if not isinstance(rows, list) or len(rows) != FIELD:
        raise InputError(422, f"{_SHAPE_HINT}. Received: {_kind(rows)}")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != FIELD:
            raise InputError(422, f"{_SHAPE_HINT}. Received: pixels[{i}] is {_kind(row)}")
    # JSON has already made 784 Python objects; checking each is what tells a number from a
    # string or a boolean (which NumPy would silently convert) and names the first bad one.
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if type(value) not in (int, float):
                raise InputError(
                    422, f"{_SHAPE_HINT}. Received: pixels[{i}][{j}] is {_kind(value)}"
                )
            if not 0 <= value <= 1:
                raise InputError(
                    422,
                    f"pixels must be in [0, 1] (divide 0-255 grey levels by "
                    f"255). Received: pixels[{i}][{j}] = {_kind(value)}",
                )
    return np.array(rows, dtype=np.float32)


def _fit(ink: np.ndarray) -> np.ndarray:
    try:
        return to_mnist(ink)
    except BlankImageError as error:
        raise InputError(422, str(error)) from None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
