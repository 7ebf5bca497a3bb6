"""The web application: the drawing page, its static files, and the JSON API (Starlette).

Routes::

    GET  /               the drawing page (static/index.html; no asset comes from elsewhere)
    GET  /static/...     its script and style sheet
    POST /api/predict    a digit in, probabilities and the digit read out
    GET  /api/model      architecture, training data, test accuracy
    GET  /healthz        {"status": "ok"}
    GET  /openapi.json   the API's OpenAPI 3 description

Requests pass the guards of :mod:`~numkeras.serve.guards` first (Host allow-list, body size and
time limits, security headers on every response). Every refusal and every failure is JSON
``{"detail": "..."}`` (:mod:`~numkeras.serve.responses`); the server goes on serving.
"""

from __future__ import annotations

from collections.abc import Iterable
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

from . import openapi
from .guards import BodyGuard, HostAllowList, SecurityHeaders
from .inputs import IMAGE_TYPES, InputError, image_from_json, image_from_upload, media_type
from .limits import BODY_TIMEOUT_S, LOCAL_HOSTS, MAX_BODY_BYTES
from .responses import error_response
from .served_model import ServedModel

STATIC = Path(__file__).parent / "static"


def create_app(
    served: ServedModel,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_timeout: float = BODY_TIMEOUT_S,
    allowed_hosts: Iterable[str] = LOCAL_HOSTS,
) -> Starlette:
    """The Starlette application serving ``served`` (run it with uvicorn, or test it in-process).

    Args:
        served: the model, loaded with :meth:`ServedModel.load`.
        max_body_bytes: requests with a larger body are refused with 413 (default 1 MB).
        body_timeout: requests whose body takes longer to arrive, in seconds from the header,
            are refused with 408 (default 30).
        allowed_hosts: the names the Host header may give (default: localhost, 127.0.0.1 and
            ::1); others are refused with 400. ``'*'`` allows any.
    """
    from .. import __version__

    info = served.describe()
    schema = openapi.document(__version__, max_body_bytes, body_timeout)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

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
    application = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(HostAllowList, hosts=allowed_hosts),
            Middleware(BodyGuard, max_bytes=max_body_bytes, timeout=body_timeout),
        ],
        exception_handlers={
            HTTPException: _http_error,
            InputError: _input_error,
            Exception: _server_error,
        },
    )
    # A redirect to the same path with a slash would be built from the Host header; no page
    # needs one, so a path that does not exist is a plain 404.
    application.router.redirect_slashes = False
    return application


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
            raise InputError(
                422,
                f"Unknown form field(s) {', '.join(map(repr, unknown))}; "
                f"send the image in the field 'file'.",
            )
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InputError(
                422,
                "The form needs a 'file' field holding a PNG or JPEG image"
                + (" (it holds text, not a file)." if upload else "."),
            )
        return await upload.read()


async def _http_error(request: Request, error: HTTPException) -> Response:
    return error_response(error.status_code, error.detail, error.headers)


async def _input_error(request: Request, error: InputError) -> Response:
    return error_response(error.status, str(error))


async def _server_error(request: Request, error: Exception) -> Response:
    # The details go to the server's log (Starlette re-raises for uvicorn to log them), not to
    # the client.
    return error_response(
        500, "The server failed to answer this request (an internal error, recorded in its log)."
    )
