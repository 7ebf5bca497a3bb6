"""The example programs run as written."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
def test_hello_world_as_the_slides_write_it_runs_for_two_epochs():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "hello_world.py"), "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "Total loss on Testing Set:" in result.stdout
    assert "Accuracy of Testing Set:" in result.stdout
    # Each Keras 1 spelling warns once, naming today's.
    assert "use `Dense(units=...)`" in result.stderr
    assert "use `SGD(learning_rate=...)`" in result.stderr
    assert "use `fit(epochs=...)`" in result.stderr
