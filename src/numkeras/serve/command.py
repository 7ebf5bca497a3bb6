"""``numkeras serve``: a web page to draw a digit and watch the trained model read it.

``numkeras.cli`` adds the subcommand with :func:`add_parser` and runs it with :func:`run`;
``python -m numkeras.serve`` runs the same command on its own (:func:`main`).
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any

from ..cli import add_device_option, use_device
from .limits import (
    BODY_TIMEOUT_S,
    HEADER_TIMEOUT_S,
    LOCAL_HOSTS,
    MAX_BODY_BYTES,
    MAX_CONNECTIONS,
)
from .served_model import DEFAULT_MODEL

DESCRIPTION = (
    "Serve a web page where you draw a digit (mouse, pen or touch) or upload a picture of one, "
    "and watch a trained model read it live: the ten probabilities, the digit read, and the "
    "28x28 image the model receives. The page and its JSON API (POST /api/predict, GET "
    "/api/model, GET /healthz, OpenAPI at /openapi.json) are served from this machine only, "
    "unless --host says otherwise. Needs the 'serve' extra: pip install 'numkeras[serve]'."
)
EPILOG = (
    "The server bounds what one client can hold: each request header must arrive within "
    f"--header-timeout, each body within --body-timeout and be at most {MAX_BODY_BYTES:,} "
    "bytes, at most --limit-concurrency connections are served at once (more get 503), and "
    "only the hosts in --allowed-hosts are answered. That keeps a page on your own machine "
    "safe, but it is not a hardened public web server: to expose it to a network you do not "
    "trust, put it behind a reverse proxy (nginx, Caddy) that terminates TLS and rate-limits "
    "clients, and pass the proxy's public name with --allowed-hosts."
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``serve`` subcommand to ``subparsers`` (``parser.add_subparsers()``)."""
    parser = subparsers.add_parser(
        "serve",
        help="serve a web page to draw a digit and watch the trained model read it",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    _add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m numkeras.serve [MODEL] [--host HOST] [--port PORT]``."""
    parser = argparse.ArgumentParser(
        prog="python -m numkeras.serve", description=DESCRIPTION, epilog=EPILOG
    )
    _add_arguments(parser)
    return run(parser.parse_args(argv))


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        nargs="?",
        type=Path,
        default=None,
        metavar="MODEL",
        help=f"a model saved with model.save (default: {DEFAULT_MODEL}, the one `numkeras "
        f"hello` saves; when it does not exist, the hello-world network is first trained "
        f"on the MNIST sample packaged with numkeras and saved there)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 opens the "
        "page to every machine that can reach this one)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on (default: 8000; 0 picks a free one)",
    )
    parser.add_argument(
        "--epochs",
        type=_positive,
        default=5,
        help="epochs of training when there is no model yet (default: 5)",
    )
    parser.add_argument(
        "--allowed-hosts",
        type=_hosts,
        default=[],
        metavar="HOST[,HOST...]",
        help=f"more names the Host header may give, comma-separated, e.g. the machine's name "
        f"when --host opens the page to others ('*': any). Always allowed: "
        f"{', '.join(LOCAL_HOSTS)} and --host. Requests for other hosts get 400, which "
        f"stops DNS-rebinding attacks from web pages",
    )
    parser.add_argument(
        "--limit-concurrency",
        type=_positive,
        default=MAX_CONNECTIONS,
        metavar="N",
        help=f"connections served at once; more get 503 (default: {MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--header-timeout",
        type=_seconds,
        default=HEADER_TIMEOUT_S,
        metavar="SECONDS",
        help=f"close a connection whose request header has not arrived in this time "
        f"(default: {HEADER_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--body-timeout",
        type=_seconds,
        default=BODY_TIMEOUT_S,
        metavar="SECONDS",
        help=f"answer 408 to a request whose body has not arrived in this time "
        f"(default: {BODY_TIMEOUT_S:g})",
    )
    add_device_option(parser, runs="reads the digits (and trains, when there is no model yet)")


def run(args: argparse.Namespace) -> int:
    """Load (or first train) the model on ``--device``, then serve the page until Ctrl+C: each
    request's digits are read on that device and their probabilities come back to the host.
    Returns the exit code."""
    if not use_device(args, "serve"):
        return 1
    try:
        import uvicorn

        from .app import create_app
        from .protocol import server_config
    except ImportError as error:
        print(
            f"numkeras serve needs the 'serve' extra ({error.name} is not installed): "
            f"pip install 'numkeras[serve]'",
            file=sys.stderr,
        )
        return 1
    from .served_model import ServedModel, card_path, train_default

    path = args.model
    if path is None and not DEFAULT_MODEL.is_file():
        print(
            f"No model at {DEFAULT_MODEL} (`numkeras hello` saves one there). Training "
            f"numkeras hello's network on the MNIST sample packaged with numkeras first "
            f"({args.epochs} epochs)."
        )
        train_default(DEFAULT_MODEL, epochs=args.epochs)
        print(
            f"Saved the model to {DEFAULT_MODEL} and what it was trained on to "
            f"{card_path(DEFAULT_MODEL)}."
        )
    path = path or DEFAULT_MODEL
    try:
        served = ServedModel.load(path)
    except (FileNotFoundError, ValueError) as error:
        print(f"numkeras serve: {error}", file=sys.stderr)
        return 2
    print(f"Model: {path}. Test accuracy {served.test_accuracy:.2%} on {served.test_set}.")

    try:
        sock = listen(args.host, args.port)
    except OSError as error:
        print(
            f"numkeras serve: cannot listen on {args.host} port {args.port} "
            f"({error.strerror or error}); pass another --port, or --port 0 for any free one.",
            file=sys.stderr,
        )
        return 1
    host, port = sock.getsockname()[:2]
    print(
        f"Serving the digit page at http://{_url_host(host)}:{port}/ (Ctrl+C to stop)", flush=True
    )
    hosts = [*LOCAL_HOSTS, args.host, host, *args.allowed_hosts]
    if not ipaddress.ip_address(host).is_loopback:
        print(
            f"Note: listening on {host}, so other machines that can reach this one can use "
            f"the page and its API, by the names {', '.join(dict.fromkeys(hosts))} "
            f"(--allowed-hosts adds more). Behind a reverse proxy is safer: see --help.",
            flush=True,
        )
    app = create_app(served, body_timeout=args.body_timeout, allowed_hosts=hosts)
    config = server_config(
        app, header_timeout=args.header_timeout, max_connections=args.limit_concurrency
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0: a free one), for uvicorn to serve on.

    Binding here, before uvicorn starts, is what lets the command print the real port and fail
    with a plain message when the port is taken.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        # Listening now, not when uvicorn starts, queues the first connections instead of
        # refusing them: the printed address works from the moment it is printed.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535. Received: {port}")
    return port


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds. Received: {text}")
    return value


def _hosts(text: str) -> list[str]:
    hosts = [host.strip() for host in text.split(",")]
    if not all(hosts):
        raise argparse.ArgumentTypeError(
            f"must be host names separated by commas, e.g. 'mybox,mybox.local'. Received: {text!r}"
        )
    return hosts


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1. Received: {value}")
    return value
