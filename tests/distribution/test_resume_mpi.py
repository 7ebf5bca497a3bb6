"""A data-parallel run killed mid-epoch resumes from its last checkpoint (``load_model`` and
``fit(initial_epoch=...)``) on another number of ranks: 2 ranks, then 3."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scripts_g.launch import run_mpi

SCRIPT = Path(__file__).parent / "scripts" / "resume.py"


def epochs_of(out: Path, mode: str, ranks: int) -> list[list[dict]]:
    return [json.loads((out / f"{mode}_rank{r}.json").read_text()) for r in range(ranks)]


def weights_of(out: Path, mode: str, ranks: int) -> list[dict[str, np.ndarray]]:
    return [dict(np.load(out / f"{mode}_rank{r}.npz")) for r in range(ranks)]


def test_a_killed_run_resumes_on_three_ranks_from_its_checkpoint(tmp_path):
    first = run_mpi(2, SCRIPT, str(tmp_path), "first")
    # Killed in its third epoch: the checkpoints of the two epochs before it are there.
    assert first.returncode == 3, first.stdout + first.stderr
    names = sorted(p.name for p in tmp_path.glob("ckpt-*"))
    assert names == ["ckpt-01.numkeras", "ckpt-02.numkeras"]
    before = epochs_of(tmp_path, "first", 2)
    assert before[1] == before[0] and len(before[0]) == 2

    for mode in ("resume", "resume_chief_only"):
        job = run_mpi(3, SCRIPT, str(tmp_path), mode)
        assert job.returncode == 0, job.stdout + job.stderr
    after = epochs_of(tmp_path, "resume", 3)
    assert [e["epoch"] for e in after[0]] == [2, 3]
    for r in (1, 2):
        # The loss and the weights' checksum after each epoch are the same on every rank.
        assert after[r] == after[0]
    # Training goes on where it stopped: the loss keeps falling.
    losses = [e["loss"] for e in before[0] + after[0]]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])), losses

    # Ranks that could not read the file get rank 0's weights, optimizer slots and step count
    # when fit starts: their training is the one where every rank loaded it.
    resumed = weights_of(tmp_path, "resume", 3)
    for result in [*resumed[1:], *weights_of(tmp_path, "resume_chief_only", 3)]:
        for key, value in resumed[0].items():
            np.testing.assert_array_equal(result[key], value, err_msg=key)
    assert epochs_of(tmp_path, "resume_chief_only", 3)[0] == after[0]
