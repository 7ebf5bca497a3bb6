"""Fixtures for numkeras serve: a small trained model, the app in-process, and a live server."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from numkeras import backend
from numkeras.datasets import mnist
from numkeras.datasets._loader import LoadedData
from numkeras.recipe.networks import course_mlp
from numkeras.serve import ServedModel, write_card
from numkeras.utils import to_categorical

#: The served test model: one hidden layer of 256 and 3 epochs on the packaged sample reach
#: about 93% on the test set in a few seconds, enough to read drawn digits.
HIDDEN = (256,)
EPOCHS = 3
SERVER_START_S = 60
#: The host of Starlette's TestClient (its base URL is http://testserver).
TEST_CLIENT_HOST = "testserver"


@pytest.fixture(scope="session")
def digits() -> LoadedData:
    """The MNIST sample packaged with numkeras (its test part is the official test set)."""
    return mnist.load(sample=True)


@pytest.fixture(scope="session")
def model_file(tmp_path_factory: pytest.TempPathFactory, digits: LoadedData) -> Path:
    """A course MLP trained on the packaged sample, saved with its model card."""
    backend.set_random_seed(0)
    model = course_mlp(hidden=HIDDEN)
    x = digits.x_train.reshape(-1, 784).astype("float32") / 255
    model.fit(x, to_categorical(digits.y_train, 10), batch_size=100, epochs=EPOCHS, verbose=0)
    path = tmp_path_factory.mktemp("model") / "mnist_mlp.numkeras"
    model.save(path)
    write_card(path, trained_on=digits.source, epochs=EPOCHS, network="784-256-10 MLP")
    return path


@pytest.fixture(scope="session")
def served(model_file: Path) -> ServedModel:
    return ServedModel.load(model_file)


@pytest.fixture(scope="session")
def app(served: ServedModel):
    """The application as ``numkeras serve`` builds it, also answering to TestClient's host."""
    from numkeras.serve.app import create_app
    from numkeras.serve.limits import LOCAL_HOSTS

    return create_app(served, allowed_hosts=(*LOCAL_HOSTS, TEST_CLIENT_HOST))


@pytest.fixture
def client(app):
    from starlette.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server(model_file: Path) -> Iterator[str]:
    """The real command, ``python -m numkeras.serve MODEL --port 0``, in a subprocess: its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "numkeras.serve", str(model_file), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    output, url = [], None
    deadline = time.monotonic() + SERVER_START_S
    while url is None and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        output.append(line)
        if line.startswith("Serving the digit page at "):
            url = line.split(" at ", 1)[1].split()[0].rstrip("/")
    if url is None:
        code = process.poll()
        process.kill()
        why = (
            f"exited with code {code}"
            if code is not None
            else f"did not start within {SERVER_START_S} s"
        )
        pytest.fail(f"numkeras serve {why}; its output:\n{''.join(output)}")
    yield url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
