"""Under `mpiexec -n 2` only rank 0 writes CSV logs and checkpoints and prints callbacks'
messages, while every rank decides the same."""

from __future__ import annotations

from pathlib import Path

from scripts_g.launch import run_mpi

SCRIPT = Path(__file__).parent / "scripts_g" / "chief_writes.py"


def test_only_rank_0_writes_logs_and_checkpoints(tmp_path):
    job = run_mpi(2, SCRIPT, str(tmp_path))
    assert job.returncode == 0, job.stdout + job.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt0.numkeras", "log0.csv"]
    assert len((tmp_path / "log0.csv").read_text().splitlines()) == 4  # header + 3 epochs
    # The loss falls every epoch: three saves, each announced once (by rank 0).
    assert job.stdout.count("saving model to") == 3, job.stdout
