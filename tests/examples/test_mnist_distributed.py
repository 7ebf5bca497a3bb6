"""examples/mnist_distributed.py: the hello world under `mpiexec -n 2` reaches the accuracy of
one process (within 0.3 points after 5 epochs: dropout draws differ, the rest is the same
training), and only rank 0 prints."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "mnist_distributed.py"


def _launch():
    """tests/distribution/scripts_g/launch.py, the mpiexec launcher of the MPI tests."""
    path = ROOT / "tests" / "distribution" / "scripts_g" / "launch.py"
    spec = importlib.util.spec_from_file_location("scripts_g_launch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _accuracy(output: str) -> float:
    found = re.findall(r"^Test accuracy: ([0-9.]+)$", output, re.MULTILINE)
    assert len(found) == 1, output  # printed once: by rank 0 only
    return float(found[0])


@pytest.mark.slow
def test_two_ranks_reach_the_accuracy_of_one_process():
    launch = _launch()
    two = launch.run_mpi(2, SCRIPT, "5")
    assert two.returncode == 0, two.stdout + two.stderr
    assert "Training on 2 process(es): ['cpu:0', 'cpu:1']" in two.stdout
    assert two.stdout.count("Epoch 5/5") == 1
    one = subprocess.run(
        [sys.executable, str(SCRIPT), "5"],
        capture_output=True,
        text=True,
        timeout=launch.TIMEOUT_S,
        env=launch.mpi_env(),
    )
    assert one.returncode == 0, one.stdout + one.stderr
    accuracy_two, accuracy_one = _accuracy(two.stdout), _accuracy(one.stdout)
    assert accuracy_one > 0.95
    assert abs(accuracy_two - accuracy_one) <= 0.003, (accuracy_two, accuracy_one)
