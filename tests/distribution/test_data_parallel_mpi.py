"""Data-parallel fit, evaluate and predict under ``mpiexec -n 2`` and ``-n 3`` (uneven splits):
the ranks stay identical, agree with one process, and share one set of logs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scripts_g.launch import TIMEOUT_S, mpi_env, run_mpi

SCRIPT = Path(__file__).parent / "scripts" / "data_parallel.py"


def run_ranks(ranks: int, out: Path, mode: str) -> list[dict[str, np.ndarray]]:
    """Each rank's saved arrays after ``mpiexec -n ranks data_parallel.py out mode``."""
    out.mkdir()
    job = run_mpi(ranks, SCRIPT, str(out), mode)
    assert job.returncode == 0, job.stdout + job.stderr
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(ranks)]


def run_one_process(out: Path, mode: str) -> dict[str, np.ndarray]:
    out.mkdir()
    job = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), mode],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=mpi_env(),
    )
    assert job.returncode == 0, job.stdout + job.stderr
    return dict(np.load(out / "rank0.npz"))


@pytest.mark.parametrize("ranks", [2, 3])
def test_one_step_on_n_ranks_equals_one_process_on_the_whole_batch(tmp_path, ranks):
    # 12 samples: 6 + 6 on two ranks, 4 + 4 + 4 on three; ranks start from different seeds.
    reference = run_one_process(tmp_path / "one", "one_step")
    for result in run_ranks(ranks, tmp_path / "many", "one_step"):
        for key, expected in reference.items():
            np.testing.assert_allclose(result[key], expected, rtol=1e-5, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("mode", ["custom_step", "on_batch"])
def test_own_train_step_and_on_batch_calls_equal_one_process_with_global_logs(
    tmp_path, ranks, mode
):
    # custom_step: the model's own train_step calls apply_gradients, which averages once.
    # on_batch: every rank passes the whole batch; a batch of 1 leaves ranks with none, and
    # test_on_batch's 5 samples split unevenly. The logs (saved too) are the whole batch's.
    reference = run_one_process(tmp_path / "one", mode)
    results = run_ranks(ranks, tmp_path / "many", mode)
    for result in results:
        assert result.keys() == reference.keys()
        for key, expected in reference.items():
            np.testing.assert_allclose(result[key], expected, rtol=1e-5, atol=1e-7, err_msg=key)
            np.testing.assert_array_equal(result[key], results[0][key], err_msg=key)


@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_stay_identical_and_share_logs_evaluate_and_predict(tmp_path, ranks):
    # 17 samples in batches of 8: the last batch of 1 leaves some ranks with no sample.
    results = run_ranks(ranks, tmp_path / "many", "epochs")
    epochs = [json.loads((tmp_path / "many" / f"rank{r}.json").read_text()) for r in range(ranks)]
    assert len(epochs[0]) == 3
    for r in range(1, ranks):
        # The checksums after every epoch, and the logs that callbacks saw, are the same.
        assert epochs[r] == epochs[0]
        for key, value in results[0].items():
            np.testing.assert_array_equal(results[r][key], value, err_msg=key)
    for result in results:
        # Gathered in order from the ranks' shares: as one process computes on all of x.
        np.testing.assert_allclose(result["predict"], result["predict_local"], rtol=1e-5)
        np.testing.assert_allclose(result["evaluate"], result["evaluate_local"], rtol=1e-5)
    assert results[0]["predict"].shape == (24, 3)


def test_ranks_seeded_alike_draw_their_own_dropout_masks_and_stay_identical(tmp_path):
    first, second = run_ranks(2, tmp_path / "many", "dropout")
    assert not np.allclose(first["draws"], second["draws"])
    for key in (k for k in first if k.startswith("weight")):
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)


def test_ranks_seeded_alike_augment_their_shares_differently_and_stay_identical(tmp_path):
    first, second = run_ranks(2, tmp_path / "many", "augmentation")
    assert not np.allclose(first["shifted"], second["shifted"])
    for key in (k for k in first if k.startswith("weight")):
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)


def test_fit_starts_from_rank_0s_optimizer_state(tmp_path):
    # Trained apart first, the ranks differ in weights and Adam's moments: if only the weights
    # were broadcast, the same averaged gradients would move them apart again.
    first, second = run_ranks(2, tmp_path / "many", "optimizer_state")
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)


def test_only_rank_0_prints_the_progress_bar(tmp_path):
    (tmp_path / "out").mkdir()
    job = run_mpi(2, SCRIPT, str(tmp_path / "out"), "epochs")
    assert job.returncode == 0, job.stdout + job.stderr
    assert job.stdout.count("Epoch 1/3") == 1
