"""The HTTP connections of ``numkeras serve``: uvicorn's h11 protocol with two more guards.

uvicorn closes a keep-alive connection left idle, but gives a client all the time it wants to
send a request's header, and answers over its concurrency limit in plain text. This protocol:

- closes a connection whose next request header has not arrived in full ``header_timeout``
  seconds after the connection opened or its previous response ended (a client that opens
  connections and sends nothing, or a header a byte at a time, no longer holds them:
  descriptors are bounded by the rate of new connections times this timeout);
- answers 503 ``{"detail": ...}`` to a request arriving while more than ``max_connections``
  connections are open or requests are in flight, and closes that connection;
- answers a request that is not valid HTTP with a JSON 400 rather than plain text.

The body's own size and time limits are the application's (:class:`~.guards.BodyGuard`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Collection
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .limits import HEADER_TIMEOUT_S, KEEP_ALIVE_S, MAX_CONNECTIONS
from .responses import CLOSE, error_response


def server_config(
    app: ASGIApp, header_timeout: float = HEADER_TIMEOUT_S, max_connections: int = MAX_CONNECTIONS
) -> uvicorn.Config:
    """uvicorn's settings for serving ``app`` over :class:`GuardedH11Protocol`: HTTP/1.1 only
    (no WebSocket upgrades, which the API does not use), warnings logged, no access log."""
    protocol = functools.partial(
        GuardedH11Protocol, header_timeout=header_timeout, max_connections=max_connections
    )
    return uvicorn.Config(
        app,
        http=protocol,
        ws="none",
        timeout_keep_alive=KEEP_ALIVE_S,
        log_level="warning",
        access_log=False,
    )


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout, a JSON connection limit and JSON 400s."""

    def __init__(
        self, *args: Any, header_timeout: float, max_connections: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.app = ConnectionLimit(self.app, self.connections, self.tasks, max_connections)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_header()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_header()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own answer here is plain text; the message it passes is always the same.
        response = error_response(
            400,
            "The request is not valid HTTP/1.1: expected a request "
            "line and headers as RFC 9112 describes.",
            CLOSE,
        )
        for event in (
            h11.Response(status_code=400, headers=response.raw_headers, reason=b"Bad Request"),
            h11.Data(data=response.body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()

    def _await_header(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_overdue)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_overdue(self) -> None:
        # No response pending means no whole request header came since the timer started (or
        # the client is still sending the rest of a body the server already answered). A
        # request being served is left alone: its body has the application's deadline.
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()


class ConnectionLimit:
    """ASGI app answering 503 while more than ``limit`` connections are open or requests run.

    ``connections`` and ``tasks`` are uvicorn's live sets of open connections and running
    requests; both include the request being checked.
    """

    def __init__(
        self, app: ASGIApp, connections: Collection[Any], tasks: Collection[Any], limit: int
    ) -> None:
        self.app = app
        self.connections = connections
        self.tasks = tasks
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and max(len(self.connections), len(self.tasks)) > self.limit:
            response = error_response(
                503,
                f"The server is busy: it serves at most {self.limit} connections at a "
                f"time. Retry in a moment.",
                {**CLOSE, "Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
