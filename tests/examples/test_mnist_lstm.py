"""examples/mnist_lstm.py: LSTM(128) reading MNIST row by row reaches 93% on the official
test set after 10 epochs on the 10,000 packaged training digits."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_reaches_93_percent_in_10_epochs(example, capsys):
    accuracy = example("mnist_lstm").main(epochs=10)
    assert accuracy >= 0.93, f"test accuracy {accuracy:.4f}"
    assert "MNIST sample packaged with numkeras" in capsys.readouterr().out
