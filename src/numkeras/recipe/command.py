"""``numkeras recipe``: the course's Recipe of Deep Learning, run as experiments on MNIST.

The console command is wired in :mod:`numkeras.cli` with :func:`add_parser` and :func:`run`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..cli import add_device_option, use_device
from .experiments import EXPERIMENTS

_DATA = {"auto": None, "sample": True, "full": False}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``recipe`` command to an ``argparse`` sub-parser set."""
    parser = subparsers.add_parser(
        "recipe",
        help="run the course's Recipe of Deep Learning as experiments on MNIST and write a report",
        description="Run the course's Recipe of Deep Learning on MNIST: each tip (cross-entropy, "
        "mini-batches, shuffling, ReLU, learning rate, adaptive optimizers, early "
        "stopping, regularization, dropout, augmentation) trained before and after, "
        "with a report folder holding a Markdown page, a table per experiment, PNG "
        "learning curves and results.json. Experiments: "
        + ", ".join(f"{name} ({e.title.lower()})" for name, e in EXPERIMENTS.items())
        + ".",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes on the packaged MNIST sample: a few minutes on two "
        "CPU cores (default: the course's sizes, which take far longer)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this experiment; repeat it or separate names with "
        f"commas (names: {', '.join(EXPERIMENTS)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("numkeras-recipe"),
        help="report folder (default: ./numkeras-recipe)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed: the same seed gives the same accuracies (default: 1)",
    )
    parser.add_argument(
        "--data",
        choices=sorted(_DATA),
        default="auto",
        help="sample: the MNIST sample packaged with numkeras; full: full MNIST "
        "(cached or downloaded); auto (default): the sample with --quick, "
        "else full MNIST when available",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the report's path")
    add_device_option(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command parsed into ``args``; returns the exit status."""
    from .runner import run as run_recipe

    if not use_device(args, "recipe"):
        return 1
    try:
        run_recipe(
            args.out,
            quick=args.quick,
            only=args.only,
            seed=args.seed,
            sample=_DATA[args.data],
            verbose=not args.quiet,
        )
    except ValueError as error:
        print(f"numkeras recipe: error: {error}")
        return 2
    if args.quiet:
        print(args.out / "report.md")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``numkeras recipe ...`` on its own: ``main(["recipe", "--quick"])``."""
    parser = argparse.ArgumentParser(prog="numkeras")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))
