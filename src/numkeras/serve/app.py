"""The web application: the drawing page, its static files, and the JSON API (Starlette).

Routes::

    GET  /               the drawing page (static/index.html; no asset comes from elsewhere)
    GET  /static/...     its script and style sheet
    POST /api/predict    a digit in, probabilities and the digit read out
    GET  /api/model      architecture, training data, test accuracy
    GET  /healthz        {"status": "ok"}
    GET  /openapi.json   the API's OpenAPI 3 description

Every refusal is JSON ``{"detail": "..."}`` with a 4xx status; the server goes on serving.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import openapi
from .inputs import IMAGE_TYPES, InputError, image_from_json, image_from_upload, media_type
from .served_model import ServedModel

STATIC = Path(__file__).parent / "static"
#: Largest request body accepted: 1 MB, ample for a 28x28 array or a photo of a digit.
MAX_BODY_BYTES = 1_000_000
#: The page may load only what this server serves: a guarantee that no asset comes from a CDN.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(served: ServedModel, max_body_bytes: int = MAX_BODY_BYTES) -> Starlette:
    """The Starlette application serving ``served`` (run it with uvicorn, or test it in-process).

    Args:
        served: the model, loaded with :meth:`ServedModel.load`.
        max_body_bytes: requests with a larger body are refused with 413.
    """
    from .. import __version__

    info = served.describe()
    schema = openapi.document(__version__, max_body_bytes)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def model_info(request: Request) -> Response:
        return JSONResponse(info)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(schema)

    async def predict(request: Request) -> Response:
        media = media_type(request.headers.get("content-type"))
        if media == "application/json":
            body = await request.body()
            image = await run_in_threadpool(image_from_json, body)
        else:
            data = await (_form_file(request) if media not in IMAGE_TYPES else request.body())
            image = await run_in_threadpool(image_from_upload, data)
        probabilities = await run_in_threadpool(served.predict, image[None])
        return JSONResponse(_prediction(probabilities[0], image))

    routes = [
        Route("/", page),
        Route("/healthz", health),
        Route("/api/model", model_info),
        Route("/api/predict", predict, methods=["POST"]),
        Route("/openapi.json", openapi_json),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(BodyLimit, max_bytes=max_body_bytes)],
        exception_handlers={HTTPException: _http_error, InputError: _input_error},
    )


def _prediction(probabilities: np.ndarray, image: np.ndarray) -> dict[str, Any]:
    digit = int(probabilities.argmax())
    return {
        "predicted": digit,
        "confidence": float(probabilities[digit]),
        "probabilities": probabilities.tolist(),
        # Four decimals are finer than the 256 grey levels an MNIST image has.
        "input": np.round(image, 4).tolist(),
    }


async def _form_file(request: Request) -> bytes:
    async with request.form(max_files=1, max_fields=1) as form:
        unknown = sorted(set(form) - {"file"})
        if unknown:
            raise InputError(422, f"Unknown form field(s) {', '.join(map(repr, unknown))}; "
                                  f"send the image in the field 'file'.")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InputError(422, "The form needs a 'file' field holding a PNG or JPEG image"
                                  + (" (it holds text, not a file)." if upload else "."))
        return await upload.read()


async def _http_error(request: Request, error: HTTPException) -> Response:
    return JSONResponse({"detail": error.detail}, status_code=error.status_code,
                        headers=error.headers)


async def _input_error(request: Request, error: InputError) -> Response:
    return JSONResponse({"detail": str(error)}, status_code=error.status)


class BodyLimit:
    """ASGI middleware refusing bodies over ``max_bytes`` with 413, declared or streamed.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    without one (chunked) is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"The request body is larger than the limit of "
                                  f"{self.max_bytes:,} bytes.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            error = self._too_large()
            response = JSONResponse({"detail": error.detail}, status_code=error.status_code)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise self._too_large()
            return message

        await self.app(scope, counted, send)
