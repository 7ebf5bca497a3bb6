"""The recipe's report: a Markdown page with a table per experiment, PNG learning curves, JSON.

:func:`write_report` turns :class:`~numkeras.recipe.results.RecipeResults` into a folder::

    report.md                  the page: data, seed, the claims checked, one section per experiment
    results.json               every number, every per-epoch curve
    <experiment>.png           learning curves of the experiment's settings
    activation_gradients.png   the gradient flow of the deep network, per activation

Figures need matplotlib; without it the page says so and the tables are still written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..utils.io_utils import atomic_write
from .results import ExperimentResult, RecipeResults

_ACCURACY_KEYS = ("accuracy", "acc")


def write_report(results: RecipeResults, out_dir: str | Path) -> Path:
    """Write the report folder for ``results`` into ``out_dir``; returns the page's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures_error = None
    for experiment in results.experiments:
        try:
            experiment.figures = draw_figures(experiment, out)
        except ImportError as error:
            figures_error = str(error)
    page = out / "report.md"
    with atomic_write(page, "w") as handle:
        handle.write(render_markdown(results, figures_error))
    with atomic_write(out / "results.json", "w") as handle:
        json.dump(_finite(results.to_dict()), handle, indent=1)
    return page


# -- the page ------------------------------------------------------------------------------------
def render_markdown(results: RecipeResults, figures_error: str | None = None) -> str:
    """The report page as Markdown."""
    scale = results.scale
    machine = results.machine
    only = " ".join(f"--only {e.name}" for e in results.experiments)
    lines = [
        "# The Recipe of Deep Learning, on MNIST",
        "",
        f"- **Data:** {results.data_source}.",
        f"- **Seed:** {results.seed}. The same seed on the same data gives the same "
        "accuracies on the same machine with the same BLAS threads (a different summation "
        "order in the matrix products changes the last digits, which training can amplify); "
        "the times vary with the machine and its load.",
        f"- **Scale:** {'quick' if results.quick else 'full'}: "
        f"{scale['train_digits']:,} training digits for the optimization experiments, "
        f"{scale['small_train_digits']:,} for the overfitting and augmentation ones; "
        f"{scale['test_digits']:,} test digits for the final accuracies, "
        f"{scale['curve_test_digits']:,} of them for the per-epoch test curves.",
        f"- **Time:** {results.seconds:.0f} s in all on {machine.get('cpus', '?')} CPU "
        f"core(s) ({machine.get('blas_threads', 'BLAS default')}), numkeras "
        f"{machine.get('numkeras', '?')}, Python {machine.get('python', '?')}, NumPy "
        f"{machine.get('numpy', '?')}.",
        f"- **Reproduce:** `numkeras recipe{' --quick' if results.quick else ''} "
        f"--seed {results.seed}{' --data sample' if results.is_sample else ''}"
        f"{' ' + only if only and len(results.experiments) < 8 else ''}`",
        "",
        "Training accuracy is measured after training on the training digits (dropout off, "
        "no augmentation), as the course's `model.evaluate(x_train, y_train)`; test accuracy "
        "on the test digits. *Diagnosis* is `numkeras.recipe.diagnose(history)` on the run's "
        "history. A claim is *reproduced* when the numbers in the *evidence* column bear it "
        "out; this is computed, not written by hand. In the figures, solid lines are the "
        "training loss and accuracy as `fit` logs them (the mean over each epoch, dropout on), "
        "dashed lines the same on test digits after each epoch.",
        "",
        "## The course's claims",
        "",
        "| experiment | the course's claim | reproduced | evidence |",
        "| --- | --- | --- | --- |",
    ]
    claims = results.claims
    lines += [
        f"| {name} | {_cell(c.text)} | {'yes' if c.reproduced else '**no**'} | "
        f"{_cell(c.evidence)} |"
        for name, c in claims
    ]
    held = sum(c.reproduced for _, c in claims)
    lines += ["", f"{held} of {len(claims)} claims reproduced.", ""]
    if figures_error:
        lines += [f"No figures: {figures_error}", ""]
    for number, experiment in enumerate(results.experiments, 1):
        lines += _section(number, experiment)
    return "\n".join(lines)


def _section(number: int, experiment: ExperimentResult) -> list[str]:
    lines = [
        f"## {number}. {experiment.title}",
        "",
        f"`numkeras recipe --only {experiment.name}` ({experiment.seconds:.0f} s)",
        "",
        f"**The course says:** {experiment.course_says}",
        "",
        f"**Setup:** {experiment.setup}",
        "",
        "| setting | switch | training accuracy | test accuracy | time (s) | s/epoch | "
        "diagnosis | course's claim reproduced |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for run in experiment.runs:
        verdicts = [
            ("yes" if c.reproduced else "**no**")
            for c in experiment.claims
            if c.setting == run.setting
        ]
        code = f"`{run.code}`" if run.code else "(baseline)"
        lines.append(
            f"| {_cell(run.setting)} | {_cell(code)} | {_percent(run.train_accuracy)} | "
            f"{_percent(run.test_accuracy)} | {run.seconds:.1f} | {run.seconds_per_epoch:.2f} | "
            f"{run.diagnosis} | {', '.join(verdicts) or '-'} |"
        )
    lines.append("")
    lines += [
        f"- {c.text}: {'yes' if c.reproduced else '**no**'} ({c.evidence})"
        for c in experiment.claims
    ]
    lines.append("")
    lines += [f"![{experiment.title}]({figure})" for figure in experiment.figures]
    if experiment.figures:
        lines.append("")
    lines += [f"*Note:* {note}" for note in experiment.notes]
    if experiment.notes:
        lines.append("")
    return lines


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%" if math.isfinite(value) else str(value)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None, so the JSON is standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# -- the figures ---------------------------------------------------------------------------------
def draw_figures(experiment: ExperimentResult, out: Path) -> list[str]:
    """Draw the experiment's PNGs into ``out``; returns their file names.

    Raises:
        ImportError: if matplotlib is not installed.
    """
    names = [f"{experiment.name}.png"]
    plot_runs(experiment, out / names[0])
    flows = experiment.extras.get("gradient_flow")
    if flows:
        from ..utils.gradient_plot import plot_model_gradients

        names.append(f"{experiment.name}_gradients.png")
        plot_model_gradients(flows, out / names[-1])
    return names


def plot_runs(experiment: ExperimentResult, path: Path) -> Path:
    """Loss and accuracy per epoch of each setting: training solid, test dashed."""
    try:
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator
    except ImportError as error:
        raise ImportError(
            "The recipe's figures need matplotlib, which is not installed. "
            "Install it with: pip install numkeras[plot]"
        ) from error

    figure = Figure(figsize=(12.0, 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    colors = colormaps["tab10"]
    for i, run in enumerate(experiment.runs):
        logs = run.history
        accuracy = next((k for k in _ACCURACY_KEYS if k in logs), None)
        for axes, key in ((loss_axes, "loss"), (accuracy_axes, accuracy)):
            for prefix, style in (("", "-"), ("val_", "--")):
                values = logs.get(f"{prefix}{key}") if key else None
                if values:
                    axes.plot(
                        range(1, len(values) + 1),
                        values,
                        style,
                        color=colors(i % 10),
                        marker="o",
                        markersize=2.5,
                        linewidth=1.3,
                    )
    loss_axes.set_yscale("log")
    loss_axes.set_title("loss")
    accuracy_axes.set_title("accuracy")
    for axes in (loss_axes, accuracy_axes):
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
    handles = [
        Line2D([], [], color=colors(i % 10), label=run.setting)
        for i, run in enumerate(experiment.runs)
    ]
    handles += [
        Line2D([], [], color="black", linestyle="-", label="training"),
        Line2D([], [], color="black", linestyle="--", label="test"),
    ]
    figure.legend(handles=handles, fontsize="small", loc="outside right center")
    figure.suptitle(experiment.title)
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=80)
    return path
