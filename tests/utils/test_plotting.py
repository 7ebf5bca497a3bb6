"""plot_history: loss and accuracy curves in a PNG, written atomically; matplotlib optional."""

from __future__ import annotations

import os
import sys

import pytest

from numkeras.utils.plotting import plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HISTORY = {
    "loss": [0.9, 0.5, 0.3],
    "accuracy": [0.7, 0.85, 0.9],
    "val_loss": [0.8, 0.6, 0.55],
    "val_accuracy": [0.75, 0.8, 0.82],
}


class History:
    """What fit returns: the per-epoch logs in a .history dict."""

    def __init__(self, history):
        self.history = history


def test_writes_a_png_from_a_history_object(tmp_path):
    path = plot_history(History(HISTORY), tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert os.listdir(tmp_path) == ["curves.png"]


def test_draws_one_panel_per_quantity_with_both_curves(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    figures = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: figures.append(self))
    plot_history(HISTORY, str(tmp_path / "curves.png"))
    (figure,) = figures
    panels = {axes.get_title(): axes for axes in figure.axes}
    assert sorted(panels) == ["accuracy", "loss"]
    loss = {line.get_label(): line for line in panels["loss"].get_lines()}
    assert sorted(loss) == ["training", "validation"]
    assert list(loss["validation"].get_xdata()) == [1, 2, 3]  # epochs count from 1
    assert list(loss["validation"].get_ydata()) == HISTORY["val_loss"]


def test_keras_1_acc_key_and_no_validation(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    figures = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: figures.append(self))
    plot_history({"loss": [1.0, 0.5], "acc": [0.5, 0.6]}, tmp_path / "p.png")
    panels = {axes.get_title(): axes for axes in figures[0].axes}
    assert [line.get_label() for line in panels["accuracy"].get_lines()] == ["training"]


def test_loss_only_history_draws_one_panel(tmp_path):
    assert plot_history({"loss": [1.0]}, tmp_path / "p.png").stat().st_size > 0


def test_history_without_loss_is_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"no 'loss' curve.*Received: history with keys \['acc'\]"):
        plot_history({"acc": [0.5]}, tmp_path / "p.png")
    with pytest.raises(ValueError, match="Received: history of type list"):
        plot_history([0.5], tmp_path / "p.png")


def test_failed_write_keeps_the_previous_plot(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    target = tmp_path / "curves.png"
    target.write_bytes(b"previous plot")

    def broken(self, handle, **kwargs):
        handle.write(b"half a png")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plot_history(HISTORY, target)
    assert target.read_bytes() == b"previous plot"
    assert os.listdir(tmp_path) == ["curves.png"]


def test_missing_matplotlib_says_how_to_install_it(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r"pip install numkeras\[plot\]"):
        plot_history(HISTORY, tmp_path / "p.png")
    assert os.listdir(tmp_path) == []
