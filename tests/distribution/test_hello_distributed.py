"""`numkeras hello --distributed` under `mpiexec -n 2`: both ranks train, rank 0 alone prints
and writes the model and its curves."""

from __future__ import annotations

import sys
from pathlib import Path

from scripts_g.launch import run_mpi

from numkeras import cli


def test_hello_distributed_trains_on_two_ranks_and_only_rank_0_reports(tmp_path):
    # The `numkeras` command that pip installs beside the interpreter.
    command = Path(sys.executable).parent / "numkeras"
    out = tmp_path / "out"
    job = run_mpi(
        2,
        command,
        "hello",
        "--distributed",
        "--sample",
        "--epochs=1",
        "--verbose=2",
        f"--out={out}",
    )
    assert job.returncode == 0, job.stdout + job.stderr
    assert job.stdout.count("Accuracy of Testing Set:") == 1
    accuracy = float(job.stdout.split("Accuracy of Testing Set:")[1].split()[0])
    assert accuracy > 0.9
    assert job.stdout.count("100/100 - ") == 1  # one progress line: rank 0's
    assert (out / "mnist_mlp.numkeras").exists()


def test_the_flag_is_off_by_default():
    args = cli.build_parser().parse_args(["hello"])
    assert args.distributed is False
    assert cli.build_parser().parse_args(["hello", "--distributed"]).distributed is True
    assert sys.modules.get("mpi4py") is None
