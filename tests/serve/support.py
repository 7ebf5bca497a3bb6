"""Helpers for the numkeras serve tests."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from numkeras import backend
from numkeras.datasets._loader import LoadedData
from numkeras.recipe.networks import course_mlp
from numkeras.serve import ServedModel


def png_bytes(image: np.ndarray, kind: str = "PNG") -> bytes:
    """A grey PNG (or JPEG) file of ``image``: 8-bit from uint8 or floats in [0, 1], 16-bit
    from uint16."""
    from PIL import Image

    if image.dtype not in (np.uint8, np.uint16):
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


START_S = 10


@contextmanager
def serving(app: Any, **limits: Any) -> Iterator[tuple[int, Any]]:
    """``app`` served as ``numkeras serve`` serves it (its protocol and ``limits``) on
    127.0.0.1, in a thread of this process: its port, and uvicorn's server (whose
    ``server_state`` shows the open connections)."""
    import uvicorn

    from numkeras.serve.command import listen
    from numkeras.serve.protocol import server_config

    server = uvicorn.Server(server_config(app, **limits))
    sock = listen("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert server.started, f"the server did not start within {START_S} s"
        yield sock.getsockname()[1], server
    finally:
        server.should_exit = True
        thread.join(START_S)
        sock.close()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one whole response and the connection's end: status, headers (lowercase names),
    body. Fails if the server keeps the connection open past the socket's timeout."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def json_error(sock: socket.socket, status: int) -> str:
    """The ``detail`` of the JSON error ``status`` that ``sock`` receives before it closes."""
    got, headers, body = read_response(sock)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    return json.loads(body)["detail"]


#: Finite in float32 (whose largest value is 3.4e38), but the sum of two overflows.
HUGE = 3e38


def saved_model(path: Path, poison: Callable[[list[np.ndarray]], None]) -> Path:
    """A small course MLP (784-8-10) whose weights ``poison`` edits in place, saved at ``path``."""
    backend.set_random_seed(0)
    model = course_mlp(hidden=(8,), dropout=0)
    weights = model.get_weights()  # hidden kernel, hidden bias, output kernel, output bias
    poison(weights)
    model.set_weights(weights)
    model.save(path)
    return path


def nan_in_output_bias(weights: list[np.ndarray]) -> None:
    weights[3][4] = np.nan


def overflow_for_any_input(weights: list[np.ndarray]) -> None:
    weights[1][:] = HUGE  # every hidden unit is huge, and their sum is infinite


def overflow_for_ink(weights: list[np.ndarray]) -> None:
    weights[0][:] = HUGE  # a blank image reads fine; any ink overflows
