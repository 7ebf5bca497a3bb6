"""How every answer of ``numkeras serve`` looks: one JSON shape for errors, and the headers that
every response carries.

Errors are built here whichever layer refuses the request (the HTTP connection, a guard, the
API itself, an unexpected failure), so a client always gets ``{"detail": "..."}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

#: Sent with every response. The page may load only what this server serves (a guarantee that
#: no asset comes from a CDN) and may not be framed; no response is MIME-sniffed into HTML or
#: script; following a link leaks no address of this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: Added to refusals after which the rest of the request is not read, so the connection ends.
CLOSE = {"Connection": "close"}


def error_response(
    status: int, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The answer ``{"detail": detail}`` with HTTP ``status``, ``SECURITY_HEADERS`` and
    ``headers``: the one shape of every refusal and failure of the server."""
    return JSONResponse(
        {"detail": detail}, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
    )
