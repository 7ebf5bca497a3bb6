"""The ASGI middleware that guards every request before the API sees it.

- :class:`SecurityHeaders` puts ``SECURITY_HEADERS`` on every response;
- :class:`HostAllowList` refuses a Host header that does not name this server (400);
- :class:`BodyGuard` bounds a request body's size (413) and the time it may take to arrive (408).

Each refusal is a JSON error (:func:`~numkeras.serve.responses.error_response`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import anyio
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .limits import LOCAL_HOSTS
from .responses import CLOSE, SECURITY_HEADERS, error_response

#: Allows every Host header, e.g. behind a reverse proxy that checks it.
ANY_HOST = "*"


def host_name(host: str) -> str:
    """The host that a Host header (or an allow-list entry) names: lowercase, without its port
    or IPv6 brackets (``'[::1]:8000'`` -> ``'::1'``, ``'LocalHost:80'`` -> ``'localhost'``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SecurityHeaders:
    """ASGI middleware setting ``SECURITY_HEADERS`` on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostAllowList:
    """ASGI middleware answering 400 to a request whose Host header is not in ``hosts``.

    A hostile web page can reach a server on localhost through DNS rebinding: a name it
    controls is made to resolve to 127.0.0.1, and the browser then sends that name as the Host
    header. Answering only the names this server is known by stops it. ``'*'`` in ``hosts``
    allows every name.
    """

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(host_name(host) for host in hosts)
        if not self.hosts:
            raise ValueError(
                f"hosts must name at least one host, e.g. {LOCAL_HOSTS}. Received: nothing"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ANY_HOST not in self.hosts:
            given = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host_name(given) not in self.hosts:
                shown = json.dumps(given[:80]) if given else "no Host header"
                response = error_response(
                    400,
                    f"This server answers only to the hosts {', '.join(sorted(self.hosts))} "
                    f"(numkeras serve --allowed-hosts adds more). Received: {shown}",
                    CLOSE,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyGuard:
    """ASGI middleware refusing a body over ``max_bytes`` (413) or slower than ``timeout`` (408).

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    without one (chunked) is counted as it arrives and refused as soon as it passes the limit.
    The whole body must arrive within ``timeout`` seconds of the request's header, so a client
    that sends part of a body and stops holds the server's memory no longer than that. Both
    refusals close the connection, since the rest of the body is not read.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    def _too_large(self) -> HTTPException:
        return HTTPException(
            413, f"The request body is larger than the limit of {self.max_bytes:,} bytes.", CLOSE
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            error = self._too_large()
            await error_response(error.status_code, error.detail, error.headers)(
                scope, receive, send
            )
            return
        deadline = anyio.current_time() + self.timeout
        received = 0

        async def guarded() -> Message:
            nonlocal received
            message = None
            with anyio.CancelScope(deadline=deadline):
                message = await receive()
            if message is None:
                raise HTTPException(
                    408,
                    f"The request body did not arrive within "
                    f"{self.timeout:g} s of its header; send it whole.",
                    CLOSE,
                )
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise self._too_large()
            return message

        await self.app(scope, guarded, send)
