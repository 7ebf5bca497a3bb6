"""The OpenAPI 3 description of ``numkeras serve``'s API, served at ``/openapi.json``.

Written out by hand rather than derived from code, so that it reads as the API's contract: the
request body ``POST /api/predict`` takes in each of its forms, every answer it can give, and the
shape of each. The tests fuzz the server from this document.
"""

from __future__ import annotations

from typing import Any

from .images import MAX_SIDE
from .preprocess import FIELD


def _grid(item: dict[str, Any], description: str) -> dict[str, Any]:
    row = {"type": "array", "minItems": FIELD, "maxItems": FIELD, "items": item}
    return {
        "type": "array",
        "minItems": FIELD,
        "maxItems": FIELD,
        "items": row,
        "description": description,
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _common_errors() -> dict[str, Any]:
    # Answers any operation can give, whatever its input.
    return {
        "400": _error("The Host header does not name this server (see --allowed-hosts)."),
        "500": _error("The server failed to answer (an internal error, recorded in its log)."),
        "503": _error("The server is busy: too many connections at once. Retry in a moment."),
    }


def document(version: str, max_body_bytes: int, body_timeout: float) -> dict[str, Any]:
    """The OpenAPI document for a server running numkeras ``version`` that refuses bodies over
    ``max_body_bytes`` bytes or slower than ``body_timeout`` seconds."""
    binary = {"type": "string", "format": "binary"}
    pixel = {"type": "number", "minimum": 0, "maximum": 1}
    schemas = {
        "Pixels": {
            "type": "object",
            "required": ["pixels"],
            "additionalProperties": False,
            "properties": {
                "pixels": _grid(
                    pixel,
                    "28 rows of 28 grey levels, 0 = background, 1 = ink: MNIST's x_test[i] / 255.",
                ),
                "preprocess": {
                    "type": "boolean",
                    "default": False,
                    "description": "Fit the digit into MNIST's frame first (bounding "
                    "box into 20x20, centre of mass at the centre), "
                    "as is done for uploaded images. Default: false, "
                    "the pixels go to the model as they are.",
                },
            },
        },
        "Upload": {
            "type": "object",
            "required": ["file"],
            "additionalProperties": False,
            "properties": {
                "file": {
                    **binary,
                    "description": f"A PNG or JPEG image of a digit, "
                    f"either polarity, each side at "
                    f"most {MAX_SIDE:,} pixels.",
                }
            },
        },
        "Prediction": {
            "type": "object",
            "required": ["predicted", "confidence", "probabilities", "input"],
            "properties": {
                "predicted": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 9,
                    "description": "The digit read: the most probable class.",
                },
                "confidence": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "The probability of the predicted digit.",
                },
                "probabilities": {
                    "type": "array",
                    "minItems": 10,
                    "maxItems": 10,
                    "items": {"type": "number", "minimum": 0, "maximum": 1},
                    "description": "One probability per digit, 0 to 9.",
                },
                "input": _grid(pixel, "The 28x28 image the model received."),
            },
        },
        "ModelInfo": {
            "type": "object",
            "required": [
                "model",
                "input_shape",
                "layers",
                "params",
                "summary",
                "trained_on",
                "card",
                "test_accuracy",
                "test_set",
            ],
            "properties": {
                "model": {"type": "string", "description": "The model file's name."},
                "input_shape": {"type": "array", "items": {"type": "integer"}},
                "layers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "type", "params"],
                        "properties": {
                            "name": {"type": "string"},
                            "type": {"type": "string"},
                            "params": {"type": "integer"},
                        },
                    },
                },
                "params": {"type": "integer", "description": "Number of weights."},
                "summary": {"type": "string", "description": "model.summary() as text."},
                "trained_on": {
                    "type": "string",
                    "nullable": True,
                    "description": "The training data, from the model card beside "
                    "the model file; null when not recorded.",
                },
                "card": {"type": "object", "description": "The model card's fields."},
                "test_accuracy": {"type": "number", "nullable": True, "minimum": 0, "maximum": 1},
                "test_set": {
                    "type": "string",
                    "description": "Which digits the test accuracy was measured on.",
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["ok"]}},
        },
        "Error": {
            "type": "object",
            "required": ["detail"],
            "properties": {
                "detail": {"type": "string", "description": "What was wrong, and what to send."}
            },
        },
    }
    predict = {
        "operationId": "predict",
        "summary": "Read one handwritten digit",
        "description": "Send the digit as JSON pixels, as a multipart form with a `file` "
        "field, or as a raw PNG or JPEG body. Images are converted the way "
        f"MNIST's digits were made; each side of an image may be at most "
        f"{MAX_SIDE:,} pixels. Bodies over {max_body_bytes:,} bytes, or taking "
        f"over {body_timeout:g} s to arrive, are refused.",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Pixels"}},
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/Upload"}},
                "image/png": {"schema": binary},
                "image/jpeg": {"schema": binary},
            },
        },
        "responses": {
            **_common_errors(),
            "200": _ok("Prediction", "The digit read and the probability of each digit."),
            "400": _error(
                "The body is not valid JSON or not a valid multipart form, or the "
                "Host header does not name this server."
            ),
            "408": _error(f"The body did not arrive within {body_timeout:g} s."),
            "413": _error(f"The body is larger than {max_body_bytes:,} bytes."),
            "415": _error("The content type is not one of those listed."),
            "422": _error(
                "The body is well formed but not a digit: wrong shape, values out "
                "of [0, 1], missing or unknown fields, a file that is not a PNG or "
                f"JPEG, an image with a side over {MAX_SIDE:,} pixels, a blank "
                "image."
            ),
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "numkeras digit reader",
            "version": version,
            "description": "A trained numkeras model reading handwritten digits (MNIST). "
            "The drawing page at / uses this API.",
        },
        "paths": {
            "/api/predict": {"post": predict},
            "/api/model": {
                "get": {
                    "operationId": "model",
                    "summary": "Describe the model being served",
                    "responses": {
                        **_common_errors(),
                        "200": _ok("ModelInfo", "Architecture, training data and test accuracy."),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Check that the server is up",
                    "responses": {**_common_errors(), "200": _ok("Health", "The server answers.")},
                }
            },
        },
        "components": {"schemas": schemas},
    }
