"""``numkeras.recipe.run``: run the course's experiments and write the report."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .experiments import EXPERIMENTS
from .lab import FULL, QUICK, Lab
from .report import write_report
from .results import RecipeResults


def run(
    out_dir: str | os.PathLike[str] = "numkeras-recipe",
    *,
    quick: bool = True,
    only: str | Iterable[str] | None = None,
    seed: int = 1,
    sample: bool | None = None,
    verbose: bool = True,
) -> RecipeResults:
    """Run the Recipe of Deep Learning's experiments on MNIST and write a report folder.

    Each experiment trains a "before" and one or more "after" settings that differ by one
    switch (see :mod:`numkeras.recipe.experiments`), checks the course's claims against the
    numbers, and the report (``out_dir/report.md``, with PNG learning curves and
    ``results.json``) shows the tables, the figures, the data used and the seed.

    Args:
        out_dir: the report folder, created if needed. Defaults to ``"numkeras-recipe"``.
        quick: small sizes that finish in minutes on two CPU cores (see
            :data:`numkeras.recipe.lab.QUICK`); ``False`` uses the course's sizes
            (:data:`~numkeras.recipe.lab.FULL`), which takes far longer.
        only: the experiment(s) to run, by name (a name, a comma-separated string or a list).
            Defaults to ``None``, all of them, in the course's order.
        seed: seeds the choice of training digits, the initial weights, the shuffling,
            dropout and augmentation; the same seed gives the same accuracies.
        sample: ``True`` uses the MNIST sample packaged with numkeras, ``False`` full MNIST
            (cached or downloaded, else an error). Defaults to ``None``: the sample for a quick
            run, full MNIST when available for a full run.
        verbose: print each experiment and each run's result as it finishes.

    Returns:
        The :class:`~numkeras.recipe.results.RecipeResults`.

    Raises:
        ValueError: ``only`` names an unknown experiment.
    """
    from ..datasets import mnist

    names = select(only)
    log: Callable[[str], None] = (
        (lambda line: print(line, flush=True)) if verbose else (lambda line: None)
    )
    start = time.perf_counter()
    data = mnist.load(sample=quick if sample is None else sample, timeout=10)
    log(f"Data: {data.source}")
    lab = Lab(data, QUICK if quick else FULL, seed, log)
    results = RecipeResults(
        seed=seed,
        quick=quick,
        data_source=data.source,
        is_sample=data.is_sample,
        scale=lab.describe(),
        machine=_machine(),
    )
    for name in names:
        experiment = EXPERIMENTS[name]
        log(f"\n{experiment.title} (--only {name})")
        began = time.perf_counter()
        result = experiment(lab)
        result.seconds = time.perf_counter() - began
        results.experiments.append(result)
        for claim in result.claims:
            log(f"  claim: {claim.text}: {'yes' if claim.reproduced else 'NO'} ({claim.evidence})")
    results.seconds = time.perf_counter() - start
    page = write_report(results, Path(out_dir))
    held = sum(claim.reproduced for _, claim in results.claims)
    log(
        f"\n{held} of {len(results.claims)} claims of the course reproduced in "
        f"{results.seconds:.0f} s. Report: {page}"
    )
    return results


def select(only: str | Iterable[str] | None) -> list[str]:
    """The experiment names ``only`` asks for, in the course's order."""
    if only is None:
        return list(EXPERIMENTS)
    items = [only] if isinstance(only, str) else list(only)
    wanted = {name.strip() for item in items for name in item.split(",") if name.strip()}
    unknown = sorted(wanted - set(EXPERIMENTS))
    if unknown or not wanted:
        raise ValueError(
            f"only must name experiments among {list(EXPERIMENTS)}. Received: only={only!r}"
        )
    return [name for name in EXPERIMENTS if name in wanted]


def _machine() -> dict[str, str | int | None]:
    from .. import __version__

    # BLAS threads change the times a lot on a busy machine, so the report names them.
    threads = next(
        (f"{name}={os.environ[name]}" for name in _THREAD_VARIABLES if os.environ.get(name)),
        "BLAS default",
    )
    return {
        "cpus": os.cpu_count(),
        "blas_threads": threads,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numkeras": __version__,
        "platform": sys.platform,
    }


_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
