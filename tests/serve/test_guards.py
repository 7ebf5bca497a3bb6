"""The guards every request passes: Host allow-list, body limits, security headers."""

from __future__ import annotations

import json

import anyio
import pytest

from numkeras.serve.app import create_app
from numkeras.serve.guards import host_name
from numkeras.serve.responses import SECURITY_HEADERS


@pytest.mark.parametrize(
    "header, host",
    [
        ("localhost", "localhost"),
        ("LocalHost:8000", "localhost"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("[::1]:8000", "::1"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        (" mybox.local ", "mybox.local"),
        ("", ""),
    ],
)
def test_host_name_drops_port_brackets_and_case(header: str, host: str) -> None:
    assert host_name(header) == host


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:8000", "testserver"])
def test_the_allowed_hosts_are_answered(client, host: str) -> None:
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "localhost.evil.example", "127.0.0.2:8000", "[::2]"]
)
def test_other_hosts_get_a_json_400_naming_the_allowed_ones(client, host: str) -> None:
    answer = client.get("/", headers={"Host": host})
    assert answer.status_code == 400
    assert answer.headers["connection"] == "close"
    detail = answer.json()["detail"]
    assert detail.startswith("This server answers only to the hosts 127.0.0.1, ::1, localhost")
    assert detail.endswith(f"Received: {json.dumps(host)}")


def test_a_star_allows_every_host(served) -> None:
    from starlette.testclient import TestClient

    with TestClient(create_app(served, allowed_hosts=["*"])) as client:
        assert client.get("/healthz", headers={"Host": "anything.example"}).status_code == 200


def test_an_empty_allow_list_is_refused(served) -> None:
    from starlette.testclient import TestClient

    with pytest.raises(ValueError, match="hosts must name at least one host"):
        with TestClient(create_app(served, allowed_hosts=[])) as client:
            client.get("/healthz")


def test_no_redirect_echoes_the_host_header(client) -> None:
    answer = client.get("/static", headers={"Host": "localhost"}, follow_redirects=False)
    assert answer.status_code == 404 and "location" not in answer.headers
    assert answer.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/", 200),
        ("GET", "/healthz", 200),
        ("GET", "/static/app.js", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/nothing", 404),
        ("GET", "/api/predict", 405),
        ("POST", "/api/predict", 415),
    ],
)
def test_every_response_carries_the_security_headers(
    client, method: str, path: str, status: int
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get_list(name) == [value], name


def asgi_post(app, chunks: list[bytes]) -> list[dict]:
    """POST ``chunks`` of a JSON body to ``app`` as a server would, the last never ending (the
    client stops sending): the messages ``app`` sends back."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/predict",
        "raw_path": b"",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
    }
    pending = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    sent: list[dict] = []

    async def receive() -> dict:
        if pending:
            return pending.pop(0)
        await anyio.sleep_forever()

    async def send(message: dict) -> None:
        sent.append(message)

    async def main() -> None:
        with anyio.fail_after(5):
            await app(scope, receive, send)

    anyio.run(main)
    return sent


def test_a_body_that_stops_arriving_gets_a_json_408(served) -> None:
    start, body = asgi_post(create_app(served, body_timeout=0.1), [b'{"pix', b'els": '])
    assert start["status"] == 408
    headers = dict(start["headers"])
    assert headers[b"connection"] == b"close" and headers[b"x-content-type-options"] == b"nosniff"
    assert json.loads(body["body"]) == {
        "detail": "The request body did not arrive within 0.1 s of its header; send it whole."
    }


def test_a_streamed_body_over_the_limit_gets_413_as_it_arrives(served) -> None:
    app = create_app(served, max_body_bytes=10, body_timeout=60)
    start, body = asgi_post(app, [b"0" * 6, b"0" * 6])
    assert start["status"] == 413 and dict(start["headers"])[b"connection"] == b"close"
    assert "larger than the limit of 10 bytes" in json.loads(body["body"])["detail"]
