"""The course's vanishing-gradient picture, drawn from :class:`~numkeras.recipe.GradientFlow`.

matplotlib is optional (``pip install numkeras[plot]``) and is imported only when a plot is drawn.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from numkeras.utils.io_utils import atomic_write

_PANELS = (("gradient", "mean |gradient|"), ("update", "mean |weight update| per step"))
#: At most this many epochs are drawn for one run, spread from the first to the last.
_MAX_EPOCH_LINES = 6


def plot_model_gradients(flow: Any, path: str | os.PathLike[str], epoch: int | None = None) -> Path:
    """Draw how large each layer's gradients and weight updates were, input side on the left.

    Two panels share the x axis, the layers in the order the model applies them (1 = nearest
    the input), with a logarithmic y axis: the mean absolute gradient, and the mean absolute
    weight update per step. With sigmoid units the curves rise from left to right: the layers
    near the input get the smallest gradients and learn slowest (the vanishing gradient).

    Args:
        flow: what to draw. A :class:`~numkeras.recipe.GradientFlow` (or its ``history``
            dict) draws one run, one line per epoch (at most six, spread from the first epoch
            to the last). A mapping from a label to such runs (e.g.
            ``{"sigmoid": flow_a, "relu": flow_b}``) compares the runs, one line each; runs
            with different layer names are compared layer by layer, by position.
        path: where to write the PNG.
        epoch: the epoch to draw (0 = the first). Defaults to ``None``: every epoch of a
            single run, the first epoch of each compared run (where the vanishing gradient
            is starkest, before training adapts to it).

    Returns:
        The path written, as a ``pathlib.Path``.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: if ``flow`` holds no recorded epoch, or ``epoch`` is out of range.
    """
    lines = _lines(flow, epoch)
    try:
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "plot_model_gradients needs matplotlib, which is not installed. "
            "Install it with: pip install numkeras[plot]"
        ) from error

    figure = Figure(figsize=(10.0, 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    colors = colormaps["viridis" if _is_single_run(flow) else "tab10"]
    depth = max(len(values["gradient"]) for _, values in lines)
    for axes, (key, title) in zip(figure.subplots(1, 2), _PANELS, strict=True):
        for n, (label, values) in enumerate(lines):
            shade = n / max(len(lines) - 1, 1) * 0.85 if _is_single_run(flow) else n
            axes.plot(
                range(1, len(values[key]) + 1),
                values[key],
                marker="o",
                markersize=3,
                color=colors(shade),
                label=label,
            )
        axes.set_yscale("log")
        axes.set_title(title)
        axes.set_xlabel("layer (1 = nearest the input)")
        axes.set_xticks(range(1, depth + 1))
        axes.grid(alpha=0.3, which="both")
        axes.legend(fontsize="small")

    target = Path(path)
    with atomic_write(target, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)
    return target


def _is_single_run(flow: Any) -> bool:
    return hasattr(flow, "history") or (isinstance(flow, Mapping) and "gradient" in flow)


def _records(flow: Any) -> dict[str, dict[str, list[float]]]:
    records = getattr(flow, "history", flow)
    if not isinstance(records, Mapping) or not all(key in records for key, _ in _PANELS):
        raise ValueError(
            "flow must be a GradientFlow, its history dict (with 'gradient' and "
            "'update' entries), or a mapping from labels to those. Received: "
            f"flow of type {type(flow).__name__}"
        )
    return records


def _per_layer(
    records: Mapping[str, Mapping[str, list[float]]], epoch: int, where: str
) -> dict[str, list[float]]:
    """Every layer's value at ``epoch`` for both panels, in the layers' order."""
    epochs = min((len(v) for v in records["gradient"].values()), default=0)
    if not epochs:
        raise ValueError(
            f"{where} holds no recorded epoch: train with the GradientFlow callback first."
        )
    if not -epochs <= epoch < epochs:
        raise ValueError(
            f"epoch must be below the {epochs} epoch(s) recorded in {where}. "
            f"Received: epoch={epoch}"
        )
    return {key: [values[epoch] for values in records[key].values()] for key, _ in _PANELS}


def _lines(flow: Any, epoch: int | None) -> list[tuple[str, dict[str, list[float]]]]:
    """(label, values per panel) for each line to draw."""
    if _is_single_run(flow):
        records = _records(flow)
        if epoch is not None:
            return [
                (f"epoch {epoch + 1 if epoch >= 0 else epoch}", _per_layer(records, epoch, "flow"))
            ]
        epochs = min((len(v) for v in records["gradient"].values()), default=0)
        count = min(epochs, _MAX_EPOCH_LINES)
        shown = sorted({round(i * (epochs - 1) / max(count - 1, 1)) for i in range(count)})
        if not shown:
            _per_layer(records, 0, "flow")  # raises: nothing recorded
        return [(f"epoch {e + 1}", _per_layer(records, e, "flow")) for e in shown]
    if not isinstance(flow, Mapping) or not flow:
        raise ValueError(
            "flow must be a GradientFlow, its history dict, or a non-empty mapping "
            f"from labels to those. Received: {flow!r}"
        )
    return [
        (str(label), _per_layer(_records(run), 0 if epoch is None else epoch, f"flow[{label!r}]"))
        for label, run in flow.items()
    ]
