"""``numkeras serve``'s command line: arguments, messages, training a model when there is none."""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import uvicorn

from numkeras.recipe import networks
from numkeras.serve import ServedModel, command
from numkeras.serve.limits import BODY_TIMEOUT_S, HEADER_TIMEOUT_S, MAX_CONNECTIONS
from numkeras.serve.protocol import GuardedH11Protocol
from numkeras.serve.served_model import DEFAULT_MODEL

from .support import nan_in_output_bias, saved_model


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="numkeras")
    command.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", *argv])


@pytest.fixture
def served_with(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Stand in for uvicorn's blocking loop; record what it was asked to serve."""
    seen: dict = {}

    def run(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        seen["app"] = server.config.app
        seen["config"] = server.config
        seen["ports"] = [sock.getsockname()[1] for sock in sockets]
        for sock in sockets:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return seen


def test_defaults() -> None:
    args = parse()
    assert (args.model, args.host, args.port, args.epochs) == (None, "127.0.0.1", 8000, 5)
    assert (args.allowed_hosts, args.limit_concurrency, args.header_timeout, args.body_timeout) == (
        [],
        MAX_CONNECTIONS,
        HEADER_TIMEOUT_S,
        BODY_TIMEOUT_S,
    )
    args = parse(
        "m.numkeras",
        "--host",
        "::1",
        "--port",
        "0",
        "--epochs",
        "2",
        "--allowed-hosts",
        "mybox, mybox.local",
        "--limit-concurrency",
        "3",
        "--header-timeout",
        "2.5",
        "--body-timeout",
        "7",
    )
    assert (args.model, args.host, args.port, args.epochs) == (Path("m.numkeras"), "::1", 0, 2)
    assert (args.allowed_hosts, args.limit_concurrency, args.header_timeout, args.body_timeout) == (
        ["mybox", "mybox.local"],
        3,
        2.5,
        7.0,
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--port", "70000"], "must be 0 to 65535. Received: 70000"),
        (["--epochs", "0"], "must be at least 1. Received: 0"),
        (["--limit-concurrency", "0"], "must be at least 1. Received: 0"),
        (["--header-timeout", "0"], "must be a positive number of seconds. Received: 0"),
        (["--body-timeout", "inf"], "must be a positive number of seconds. Received: inf"),
        (["--allowed-hosts", "a,,b"], "must be host names separated by commas"),
    ],
)
def test_bad_arguments_are_named(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit):
        parse(*argv)
    assert message in capsys.readouterr().err


def test_help_says_what_it_serves(capsys) -> None:
    with pytest.raises(SystemExit):
        parse("--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "draw a digit" in text and "127.0.0.1" in text and "numkeras hello" in text
    assert "--allowed-hosts" in text and "--header-timeout" in text
    assert "put it behind a reverse proxy" in text
    assert "--device {cpu,gpu} where the model reads the digits" in text


def test_a_missing_model_file_is_named(tmp_path: Path, capsys) -> None:
    assert command.run(parse(str(tmp_path / "nope.numkeras"))) == 2
    assert "No model file at" in capsys.readouterr().err


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "junk.numkeras"
    path.write_bytes(b"not a zip")
    assert command.run(parse(str(path))) == 2
    assert "numkeras serve:" in capsys.readouterr().err


def test_a_model_with_non_finite_weights_is_refused_at_start(tmp_path: Path, capsys) -> None:
    path = saved_model(tmp_path / "nan.numkeras", nan_in_output_bias)
    with pytest.warns(UserWarning, match="holds NaN or inf weights"):  # load_model's warning
        assert command.run(parse(str(path), "--port", "0")) == 2
    err = capsys.readouterr().err
    assert err.startswith("numkeras serve: numkeras serve needs a model whose weights are finite")


def test_a_taken_port_is_reported(model_file: Path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert command.run(parse(str(model_file), "--port", str(port))) == 1
    assert f"cannot listen on 127.0.0.1 port {port}" in capsys.readouterr().err


def test_serves_the_model_on_the_printed_address(model_file: Path, served_with, capsys) -> None:
    assert command.run(parse(str(model_file), "--port", "0")) == 0
    out = capsys.readouterr().out
    [port] = served_with["ports"]
    assert "Test accuracy" in out and "official MNIST test set" in out
    assert f"Serving the digit page at http://127.0.0.1:{port}/" in out
    assert type(served_with["app"]).__name__ == "Starlette"


def test_serves_with_the_limits_and_hosts_given(model_file: Path, served_with) -> None:
    from starlette.testclient import TestClient

    assert (
        command.run(
            parse(
                str(model_file),
                "--port",
                "0",
                "--allowed-hosts",
                "mybox",
                "--limit-concurrency",
                "3",
                "--header-timeout",
                "2",
                "--body-timeout",
                "4",
            )
        )
        == 0
    )
    protocol = served_with["config"].http
    assert protocol.func is GuardedH11Protocol
    assert protocol.keywords == {"header_timeout": 2.0, "max_connections": 3}
    with TestClient(served_with["app"]) as client:
        for host, status in [
            ("mybox:8000", 200),
            ("127.0.0.1:8000", 200),
            ("localhost", 200),
            ("[::1]:8000", 200),
            ("evil.example", 400),
        ]:
            assert client.get("/healthz", headers={"Host": host}).status_code == status, host
        schema = client.get("/openapi.json", headers={"Host": "localhost"}).json()
    assert "taking over 4 s to arrive" in schema["paths"]["/api/predict"]["post"]["description"]


def test_trains_the_hello_network_when_there_is_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_with, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    # The real course network, narrowed so that the test takes a second.
    course_mlp = networks.course_mlp
    monkeypatch.setattr(networks, "course_mlp", lambda: course_mlp(hidden=(32,)))
    assert command.run(parse("--port", "0", "--epochs", "1")) == 0
    out = capsys.readouterr().out
    assert f"No model at {DEFAULT_MODEL}" in out and "Training" in out
    assert (tmp_path / DEFAULT_MODEL).is_file()
    card = json.loads((tmp_path / DEFAULT_MODEL).with_suffix(".json").read_text())
    assert "MNIST sample packaged with numkeras" in card["trained_on"] and card["epochs"] == 1
    assert "Serving the digit page" in out


def test_the_gpu_without_cupy_is_one_clear_error(
    model_file: Path, device_restored, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    assert command.run(parse(str(model_file), "--port", "0", "--device", "gpu")) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("numkeras serve: error: ")
    assert "pip install 'numkeras[gpu]'" in captured.err
    assert "Traceback" not in captured.err and "Model:" not in captured.out


def test_serves_on_the_device_with_the_cpus_answers(
    model_file: Path, digits, device_restored, stand_in, served_with, monkeypatch, capsys
) -> None:
    from starlette.testclient import TestClient

    # --device gpu selects what backend._cupy returns: the strict stand-in, which refuses every
    # implicit trip to the host, so each request is read on the "device" with NumPy back.
    monkeypatch.setattr(device_restored, "_cupy", lambda: stand_in)
    loaded: list[ServedModel] = []
    load = ServedModel.load.__func__
    monkeypatch.setattr(
        ServedModel, "load", classmethod(lambda *a, **k: loaded.append(load(*a, **k)) or loaded[-1])
    )
    images = [{"pixels": (digits.x_test[i] / 255).tolist()} for i in range(3)]
    answers, printed = {}, {}
    for device in ("gpu", "cpu"):
        assert command.run(parse(str(model_file), "--port", "0", "--device", device)) == 0
        assert device_restored.device() == device
        printed[device] = capsys.readouterr().out.splitlines()[0]  # with the test accuracy
        with TestClient(served_with["app"], base_url="http://localhost") as client:
            answers[device] = [client.post("/api/predict", json=image).json() for image in images]
    on_device, on_cpu = (served.model.weights[0].data for served in loaded)
    assert isinstance(on_device, stand_in.ndarray) and type(on_cpu) is np.ndarray
    assert printed["gpu"] == printed["cpu"] and "Test accuracy" in printed["gpu"]
    assert answers["gpu"] == answers["cpu"]
    assert [answer["predicted"] for answer in answers["gpu"]] == digits.y_test[:3].tolist()
