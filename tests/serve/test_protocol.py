"""HTTP connections against a real server on 127.0.0.1: timeouts, the connection limit, and JSON
answers where uvicorn alone would hold a connection forever or answer in plain text.

Timeouts are shortened to fractions of a second; every socket has a timeout of its own, so a
server that holds a connection fails the test instead of hanging it.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
from collections.abc import Iterator

import pytest

from numkeras.serve.app import create_app

from .support import json_error, read_response, serving

TIMEOUT_S = 0.5
LIMIT = 4
#: Slack for a busy machine: how much later than its timeout a connection may be cut.
SLACK_S = 2.0
SOCKET_TIMEOUT_S = 10


@pytest.fixture(scope="module")
def quick_app(served):
    """The application with a body timeout of ``TIMEOUT_S``."""
    return create_app(served, body_timeout=TIMEOUT_S)


@pytest.fixture
def server(quick_app) -> Iterator[tuple[int, object]]:
    with serving(quick_app, header_timeout=TIMEOUT_S, max_connections=LIMIT) as running:
        yield running


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S)


def head(method: str, path: str, **headers: str) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def upload_head(size: int) -> bytes:
    return head("POST", "/api/predict", Content_Type="image/png", Content_Length=str(size))


def wait_for(condition, seconds: float = SLACK_S) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def cut_within_timeout(started: float) -> None:
    elapsed = time.monotonic() - started
    assert TIMEOUT_S * 0.8 <= elapsed < TIMEOUT_S + SLACK_S, f"cut after {elapsed:.2f} s"


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(server) -> None:
    port, _ = server
    with connect(port) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""
        cut_within_timeout(started)


def test_a_header_sent_a_byte_at_a_time_is_cut_off(server) -> None:
    port, _ = server
    header = head("GET", "/healthz", X_Slow="a" * 200)
    with connect(port) as sock:
        started = time.monotonic()
        for byte in header:  # 5 bytes a second would take a minute
            if select.select([sock], [], [], 0.2)[0]:
                break
            sock.send(bytes([byte]))
        assert sock.recv(1) == b""
        cut_within_timeout(started)


def test_a_half_sent_body_gets_a_json_408_and_the_connection_ends(server) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(upload_head(1_000_000) + b"\x89PNG" + b"0" * 500_000)
        started = time.monotonic()
        detail = json_error(sock, 408)
        cut_within_timeout(started)
    assert f"did not arrive within {TIMEOUT_S:g} s" in detail


def test_a_request_slower_than_the_header_timeout_is_not_cut(served, digits) -> None:
    # The header timer runs on while a request is served: only the body's deadline applies.
    app = create_app(served, body_timeout=4 * TIMEOUT_S)
    body = json.dumps({"pixels": (digits.x_test[0] / 255).tolist()}).encode()
    with serving(app, header_timeout=TIMEOUT_S) as (port, _):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SOCKET_TIMEOUT_S)
        for _ in range(2):  # twice on one connection: the timer restarts after each answer
            connection.putrequest("POST", "/api/predict")
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            time.sleep(2 * TIMEOUT_S)
            connection.send(body)
            answer = connection.getresponse()
            assert answer.status == 200 and json.loads(answer.read())["predicted"] == 7
        connection.close()


def test_over_the_limit_a_new_client_gets_a_json_503_at_once(quick_app) -> None:
    with serving(quick_app, header_timeout=30, max_connections=LIMIT) as (port, server):
        held = [connect(port) for _ in range(LIMIT)]
        try:
            assert wait_for(lambda: len(server.server_state.connections) == LIMIT)
            with connect(port) as sock:
                started = time.monotonic()
                sock.sendall(head("GET", "/healthz"))
                status, headers, body = read_response(sock)
                assert time.monotonic() - started < 1, "the refusal took over a second"
            assert status == 503 and headers["retry-after"] == "1", body
            assert b"at most 4 connections" in body
        finally:
            for sock in held:
                sock.close()
        assert wait_for(lambda: not server.server_state.connections)
        with connect(port) as sock:
            sock.sendall(head("GET", "/healthz", Connection="close"))
            assert read_response(sock)[0] == 200


def test_many_half_sent_bodies_are_all_answered_and_released(server) -> None:
    """What 500 unfinished 1 MB bodies did to memory, in small: a dozen of them are held no
    longer than the body timeout, and at most ``LIMIT`` are read at all."""
    port, uvicorn_server = server
    started = time.monotonic()
    sockets = []
    for i in range(3 * LIMIT):
        sock = connect(port)
        sock.sendall(upload_head(1_000_000) + b"0" * 100_000)
        sockets.append(sock)
        # The first LIMIT are let in one by one; the others arrive while the server is full.
        running = min(i + 1, LIMIT)
        assert wait_for(lambda n=running: len(uvicorn_server.server_state.tasks) >= n)
    outcomes = []
    for sock in sockets:
        with sock:
            try:
                outcomes.append(read_response(sock)[0])
            except ConnectionResetError:  # refused while its body was still arriving
                outcomes.append("reset")
    assert time.monotonic() - started < TIMEOUT_S + SLACK_S
    assert outcomes[:LIMIT] == [408] * LIMIT, outcomes
    assert set(outcomes[LIMIT:]) <= {503, "reset"}, outcomes
    state = uvicorn_server.server_state
    assert wait_for(lambda: not state.connections and not state.tasks)


def test_a_request_that_is_not_http_gets_a_json_400(server) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert "not valid HTTP/1.1" in json_error(sock, 400)
