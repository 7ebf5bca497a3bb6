"""Fixtures for the dataset tests: an isolated home, no internet, and a local mirror server.

Every test runs with HOME, NUMKERAS_HOME and KERAS_HOME pointing into its tmp_path, so the real
~/.numkeras and ~/.keras are never read or written, and with every URL that is not on 127.0.0.1
refused, so no test can reach the internet even with the real mirror lists in place.
"""

from __future__ import annotations

import http.server
import shutil
import threading
import urllib.error
import urllib.parse

import numpy as np
import pytest
from datasets_support import (
    HANG_SECONDS,
    SAMPLE_MNIST,
    SERVED_AS,
    TEST_TIMEOUT,
    TRAIN_10K_IMAGES_SHA256,
    TRAIN_10K_LABELS_SHA256,
    sha256,
)

from numkeras.datasets import _fetch, fashion_mnist, mnist


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A fresh home and caches for every test, no internet, no system dataset folders, and
    mnist.load_data's one-time warning not yet given."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NUMKERAS_HOME", str(tmp_path / "numkeras-home"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", {})
    monkeypatch.setattr(mnist, "_warned_of_the_sample", False)
    real_urlopen = _fetch._urlopen

    def local_only(url, timeout):
        if urllib.parse.urlsplit(url).hostname != "127.0.0.1":
            raise urllib.error.URLError("network blocked by the test suite")
        return real_urlopen(url, timeout)

    monkeypatch.setattr(_fetch, "_urlopen", local_only)
    return tmp_path


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """A folder with what the test mirrors serve: the four IDX files and a mnist.npz."""
    root = tmp_path_factory.mktemp("mirror")
    for name, source in SERVED_AS.items():
        shutil.copyfile(SAMPLE_MNIST / source, root / name)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(sample=True)
    np.savez_compressed(
        root / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test
    )
    return root


class _Handler(http.server.BaseHTTPRequestHandler):
    """/ok/NAME serves NAME; /missing/ answers 404; /corrupt/ serves NAME with a byte flipped;
    /hang/ never answers; /stall/ sends the headers and half the body, then stops."""

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        mode, _, name = self.path.lstrip("/").partition("/")
        path = server.root / name
        if mode == "missing" or not path.is_file():
            self.send_error(404)
            return
        if mode == "hang":
            server.release.wait(HANG_SECONDS)
            return
        data = path.read_bytes()
        if mode == "corrupt":
            data = data[:-20] + bytes(b ^ 0xFF for b in data[-20:])
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if mode == "stall":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            server.release.wait(HANG_SECONDS)
            return
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(served):
    """A local HTTP server; ``server.url(mode)`` is the base URL of one kind of mirror."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.root = served
    httpd.requests = []
    httpd.release = threading.Event()
    httpd.url = lambda mode: f"http://127.0.0.1:{httpd.server_address[1]}/{mode}/"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local_mnist(monkeypatch, served, server):
    """mnist set up to download from the local server: no mirrors yet, test-data checksums.

    The served training files are the 10k sample, so their checksums are the data README's;
    the test files are the official ones, which the real constants must accept as they are.
    """
    monkeypatch.setattr(
        mnist,
        "FILES",
        {
            **mnist.FILES,
            "x_train": _fetch.DataFile("train-images-idx3-ubyte.gz", TRAIN_10K_IMAGES_SHA256),
            "y_train": _fetch.DataFile("train-labels-idx1-ubyte.gz", TRAIN_10K_LABELS_SHA256),
        },
    )
    monkeypatch.setattr(mnist, "NPZ", _fetch.DataFile("mnist.npz", sha256(served / "mnist.npz")))
    monkeypatch.setattr(mnist, "NPZ_MIRRORS", ())
    monkeypatch.setattr(mnist, "MIRRORS", ())
    monkeypatch.setattr(mnist, "TIMEOUT", TEST_TIMEOUT)
    server.requests.clear()
    return mnist
