"""Learning curves as a PNG file: the first thing to look at after ``fit``.

matplotlib is optional (``pip install numkeras[plot]``) and is imported only when a plot is drawn,
so ``import numkeras`` stays fast and works without it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from numkeras.utils.io_utils import atomic_write

# Keras 1 and 2 logged "acc"; Keras 3 logs the metric's name, usually "accuracy".
_ACCURACY_KEYS = (
    "accuracy",
    "acc",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "binary_accuracy",
)


def plot_history(history: Any, path: str | os.PathLike[str]) -> Path:
    """Draw the loss and accuracy curves of a training run into a PNG file.

    One panel shows ``loss`` (and ``val_loss``), a second one accuracy (and its validation
    value) when the run tracked it, each against the epoch number 1, 2, ... Training curves are
    solid, validation curves dashed, which is how over-fitting shows: training keeps improving
    while validation turns.

    The figure is drawn with matplotlib's Agg backend on its own canvas, so it works on machines
    with no display and leaves the caller's pyplot state alone. The file is written atomically.

    Args:
        history: the ``History`` object returned by ``fit`` (anything with a ``.history``
            dict), or such a dict itself, mapping names like ``"loss"``, ``"val_accuracy"``
            to one value per epoch.
        path: where to write the PNG.

    Returns:
        The path written, as a ``pathlib.Path``.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: if ``history`` has no ``"loss"`` curve.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise ValueError(
            f"history must be a History object or a dict of per-epoch values. "
            f"Received: history of type {type(history).__name__}"
        )
    if "loss" not in logs:
        raise ValueError(
            f"history has no 'loss' curve to plot. Received: history with keys {sorted(logs)}"
        )
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError as error:
        raise ImportError(
            "plot_history needs matplotlib, which is not installed. Install it "
            "with: pip install numkeras[plot]"
        ) from error

    panels = [("loss", "loss")]
    accuracy = next((key for key in _ACCURACY_KEYS if key in logs), None)
    if accuracy is not None:
        panels.append((accuracy, "accuracy"))

    figure = Figure(figsize=(5.0 * len(panels), 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    all_axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for axes, (key, title) in zip(all_axes, panels, strict=True):
        _draw_curve(axes, logs[key], "training", "-")
        if f"val_{key}" in logs:
            _draw_curve(axes, logs[f"val_{key}"], "validation", "--")
        axes.set_title(title)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()

    target = Path(path)
    with atomic_write(target, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)
    return target


def _draw_curve(axes: Any, values: Sequence[float], label: str, style: str) -> None:
    values = [float(v) for v in values]
    axes.plot(range(1, len(values) + 1), values, style, marker="o", markersize=3, label=label)
