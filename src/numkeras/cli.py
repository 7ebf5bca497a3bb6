"""The ``numkeras`` command: ``numkeras hello`` runs the course's MNIST hello world end to end."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _hello_parser(sub: Any) -> None:
    from .optimizers import ALL_OPTIMIZERS

    p = sub.add_parser(
        "hello",
        help="train the course's MNIST hello world and report its test accuracy",
        description="The course's hello world: load MNIST, build the 784-500-500-10 network, "
        "train it with a progress bar, report 'Total loss on Testing Set' and "
        "'Accuracy of Testing Set', save the model and its training curves, and show "
        "a few test digits with the model's reading. Defaults are the course's final "
        "recipe: ReLU, softmax with cross-entropy, Adam, dropout.",
    )
    p.add_argument(
        "--model",
        choices=["mlp", "cnn"],
        default="mlp",
        help="mlp: the course's 784-500-500-10 network (default); cnn: Keras's "
        "classic MNIST convolutional network",
    )
    p.add_argument(
        "--epochs", type=int, default=20, help="passes over the training data (default: 20)"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=100,
        help="samples per update (default: 100, as in the course)",
    )
    p.add_argument(
        "--activation",
        choices=["relu", "sigmoid"],
        default="relu",
        help="hidden-layer activation (default: relu; the slides start with sigmoid)",
    )
    p.add_argument(
        "--loss",
        choices=["categorical_crossentropy", "mse"],
        default="categorical_crossentropy",
        help="loss (default: categorical_crossentropy; the slides start with mse)",
    )
    p.add_argument(
        "--optimizer",
        choices=list(ALL_OPTIMIZERS),
        default="adam",
        help="optimizer (default: adam; the slides start with sgd)",
    )
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: the optimizer's Keras default, 0.1 for sgd)",
    )
    p.add_argument(
        "--dropout",
        type=float,
        default=0.2,
        help="dropout rate after each hidden layer, 0 for none (default: 0.2)",
    )
    p.add_argument(
        "--sample",
        action="store_true",
        help="use the MNIST sample packaged with numkeras (10,000 training and "
        "10,000 test digits) even when full MNIST is available",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("numkeras-out"),
        help="folder for the saved model and the training-curves PNG (default: ./numkeras-out)",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    p.add_argument(
        "--distributed",
        action="store_true",
        help="train data-parallel on every process of an MPI job, e.g. "
        "`mpiexec -n 4 numkeras hello --distributed` (the mpi extra); only rank 0 prints "
        "and writes files",
    )
    p.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1, 2],
        default=1,
        help="progress output: 0 silent, 1 a bar per epoch, 2 a line per epoch",
    )
    add_device_option(p)


def add_device_option(parser: argparse.ArgumentParser, runs: str = "trains") -> None:
    """Add ``--device {cpu,gpu}`` to a command that builds models; its help says where the
    model ``runs`` (``'trains'``, or e.g. ``'predicts'``)."""
    parser.add_argument(
        "--device",
        choices=["cpu", "gpu"],
        default=None,
        help=f"where the model {runs}: cpu (NumPy) or gpu (CuPy, the gpu extra). Default: "
        "automatic, i.e. NUMKERAS_DEVICE when set, else the GPU when CuPy is installed and "
        "finds one, else the CPU",
    )


def use_device(args: argparse.Namespace, command: str) -> bool:
    """Select ``args.device`` (when given) before any model is built; on failure (the GPU
    without CuPy) print the one error, which says how to install CuPy, and return False."""
    if args.device is None:
        return True
    from . import backend

    try:
        backend.set_device(args.device)
    except ImportError as error:
        print(f"numkeras {command}: error: {error}", file=sys.stderr)
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="numkeras",
        description="numkeras: deep learning with the Keras API on NumPy. "
        "Run `numkeras hello` for the MNIST hello world.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"numkeras {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _hello_parser(sub)
    from .recipe import command as recipe_command
    from .serve import command as serve_command

    recipe_command.add_parser(sub)
    serve_command.add_parser(sub)
    return parser


def ascii_digit(image: np.ndarray) -> list[str]:
    """A 28x28 digit as 14 lines of text, two pixel rows per line."""
    shades = " .:-=+*#%@"
    rows = []
    for top, bottom in zip(image[0::2], image[1::2]):
        level = (top.astype(float) + bottom) / 2 / 256 * len(shades)
        rows.append("".join(shades[int(v)] for v in level))
    return rows


def show_digits(
    images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, confidence: np.ndarray
) -> None:
    """Print test digits, as many side by side as the terminal holds, each with its true
    label and the model's reading."""
    per_row = max(1, (shutil.get_terminal_size((80, 24)).columns + 2) // 30)
    for start in range(0, len(images), per_row):
        part = slice(start, start + per_row)
        blocks = [ascii_digit(img) for img in images[part]]
        lines = ["  ".join(row).rstrip() for row in zip(*blocks)]
        inked = [i for i, line in enumerate(lines) if line]
        for line in lines[inked[0] : inked[-1] + 1] if inked else []:
            print(line)
        captions = [
            f"true {t} read {p} ({c:.0%})".ljust(28)
            for t, p, c in zip(labels[part], predicted[part], confidence[part])
        ]
        print("  ".join(captions).rstrip())
        print()


def hello(args: argparse.Namespace) -> int:
    """The course's hello world; with ``--distributed``, data-parallel over the MPI job."""
    if not use_device(args, "hello"):
        return 1
    if args.distributed:
        from . import distribution

        distribution.initialize()
        distribution.set_distribution(distribution.DataParallel())
        if not distribution.is_chief():
            # The other ranks train (and evaluate and predict: collectives) in step with rank
            # 0, silently and writing no files.
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
                return _hello(args, write=False)
    return _hello(args, write=True)


def _hello(args: argparse.Namespace, write: bool) -> int:
    """The course's hello world, as the three steps of its slides; ``write``: save the model
    and its training curves."""
    from . import backend
    from .datasets import mnist
    from .recipe.networks import course_mlp
    from .utils import to_categorical

    start = time.perf_counter()
    cnn = args.model == "cnn"
    args.epochs = args.epochs if args.epochs is not None else (3 if cnn else 20)
    args.batch_size = args.batch_size if args.batch_size is not None else (128 if cnn else 100)
    backend.set_random_seed(args.seed)
    data = mnist.load(sample=True if args.sample else None, timeout=10)
    print(f"Data: {data.source}")
    (x_train, y_train), (x_test, y_test) = data.data
    shape = (-1, 28, 28, 1) if args.model == "cnn" else (-1, 28 * 28)
    x_train = x_train.reshape(shape).astype("float32") / 255
    x_test = x_test.reshape(shape).astype("float32") / 255
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)

    if args.model == "cnn":
        from .models.classic import mnist_cnn

        model = mnist_cnn()
    else:
        model = course_mlp(
            activation=args.activation,
            loss=args.loss,
            optimizer=args.optimizer,
            learning_rate=args.lr,
            dropout=args.dropout,
        )
    model.summary()
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=(x_test, y_test),
        verbose=args.verbose,
    )
    score = model.evaluate(x_test, y_test, verbose=0)
    print()
    print("Total loss on Testing Set:", round(float(score[0]), 4))
    print("Accuracy of Testing Set:", round(float(score[1]), 4))

    if write:
        _save_outputs(args, model, history, data.source)

    probabilities = model.predict(x_test[:6], verbose=0)
    print("\nA few test digits and how the model reads them:\n")
    show_digits(
        data.x_test[:6], data.y_test[:6], probabilities.argmax(axis=1), probabilities.max(axis=1)
    )
    print(f"\nDone in {time.perf_counter() - start:.1f} s.")
    return 0


def _save_outputs(args: argparse.Namespace, model: Any, history: Any, source: str) -> None:
    """Save the trained model with its card, and its training curves as a PNG."""
    from .serve.served_model import write_card
    from .utils import plot_history

    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / f"mnist_{args.model}.numkeras"
    model.save(model_path)
    write_card(
        model_path,
        trained_on=source,
        epochs=args.epochs,
        network=f"{args.model}, {args.activation}, {args.loss}, {args.optimizer}",
    )
    print(f"Saved the trained model to {model_path} (try: numkeras serve {model_path})")
    try:
        curves = plot_history(history, args.out / f"mnist_{args.model}_curves.png")
        print(f"Saved the training curves to {curves}")
    except ImportError as error:
        print(f"No training-curves PNG: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "hello":
        return hello(args)
    if args.command == "recipe":
        from .recipe import command

        return command.run(args)
    if args.command == "serve":
        from .serve import command

        return command.run(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
