"""plot_model_gradients draws one run, or compares runs, and rejects what it cannot draw."""

import pytest

from numkeras.utils.gradient_plot import _lines, plot_model_gradients

PNG = b"\x89PNG\r\n\x1a\n"


def record(epochs=3, layers=("dense", "dense_1", "dense_2"), scale=1.0):
    return {
        "gradient": {
            name: [scale * (i + 1) * 10.0 ** -(3 - k) for i in range(epochs)]
            for k, name in enumerate(layers)
        },
        "update": {name: [scale * 1e-4] * epochs for name in layers},
    }


class Flow:
    """Anything with a GradientFlow-like ``history``."""

    def __init__(self, history):
        self.history = history


def test_one_run_draws_a_line_per_epoch(tmp_path):
    path = plot_model_gradients(Flow(record()), tmp_path / "one.png")
    assert path.read_bytes()[:8] == PNG
    lines = _lines(record(), None)
    assert [label for label, _ in lines] == ["epoch 1", "epoch 2", "epoch 3"]
    assert lines[1][1]["gradient"] == [2e-3, 2e-2, 2e-1]


def test_many_epochs_are_thinned_to_six_from_first_to_last():
    labels = [label for label, _ in _lines(record(epochs=20), None)]
    assert len(labels) == 6
    assert labels[0] == "epoch 1" and labels[-1] == "epoch 20"


def test_one_epoch_of_one_run(tmp_path):
    assert [label for label, _ in _lines(record(), 2)] == ["epoch 3"]
    assert plot_model_gradients(record(), tmp_path / "e.png", epoch=-1).exists()


def test_runs_are_compared_at_the_first_epoch_by_position(tmp_path):
    runs = {"sigmoid": record(scale=1e-3), "relu": Flow(record(layers=("a", "b", "c")))}
    lines = _lines(runs, None)
    assert [label for label, _ in lines] == ["sigmoid", "relu"]
    assert lines[1][1]["gradient"] == [1e-3, 1e-2, 1e-1]
    path = plot_model_gradients(runs, tmp_path / "compare.png")
    assert path.read_bytes()[:8] == PNG


def test_what_cannot_be_drawn_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="no recorded epoch"):
        plot_model_gradients({"gradient": {}, "update": {}}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="Received: epoch=3"):
        plot_model_gradients(record(), tmp_path / "x.png", epoch=3)
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_model_gradients({}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="flow must be a GradientFlow"):
        plot_model_gradients({"run": [1, 2]}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
