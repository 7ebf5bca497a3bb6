"""BatchNormalization(synchronized=True): under mpiexec the batch statistics, the gradients and
the moving statistics are those of one process on the whole batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scripts_g.launch import run_mpi
from scripts_g.sync_batchnorm import SPLITS, fit_data, fit_model, global_batch, run

from numkeras.layers import BatchNormalization
from numkeras.ops.normalization import BatchNorm

SCRIPT = Path(__file__).parent / "scripts_g" / "sync_batchnorm.py"


def test_two_ranks_with_uneven_slices_match_one_process_on_the_whole_batch(tmp_path):
    job = run_mpi(2, SCRIPT, str(tmp_path))
    assert job.returncode == 0, job.stdout + job.stderr
    ranks = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(2)]
    whole = run(*global_batch(), synchronized=False)
    tolerance = {"rtol": 1e-5, "atol": 1e-6}
    for name in ("y", "gx"):
        np.testing.assert_allclose(
            np.concatenate([ranks[0][name], ranks[1][name]]), whole[name], **tolerance
        )
    assert [len(r["y"]) for r in ranks] == [b - a for a, b in zip(SPLITS, SPLITS[1:])]
    for name in ("dgamma", "dbeta"):
        np.testing.assert_allclose(ranks[0][name] + ranks[1][name], whole[name], **tolerance)
    for name in ("moving_mean", "moving_variance"):
        for rank in ranks:
            np.testing.assert_allclose(rank[name], whole[name], **tolerance)


def test_a_data_parallel_fit_with_a_synchronized_layer_is_one_process_fit(tmp_path):
    job = run_mpi(2, SCRIPT, str(tmp_path), "fit")
    assert job.returncode == 0, job.stdout + job.stderr
    ranks = [np.load(tmp_path / f"fit{r}.npz") for r in range(2)]
    one_process = fit_model(*fit_data())
    for i, expected in enumerate(one_process):
        # The moving statistics too: the same on every rank, and those of the whole batches.
        np.testing.assert_array_equal(ranks[0][f"arr_{i}"], ranks[1][f"arr_{i}"])
        np.testing.assert_allclose(ranks[0][f"arr_{i}"], expected, rtol=1e-5, atol=1e-6)


def test_local_statistics_by_default_differ_from_the_whole_batch():
    # The control for the test above: rank 0's slice alone gives other moments.
    x, w, gamma = global_batch()
    local = run(x[: SPLITS[1]], w[: SPLITS[1]], gamma, synchronized=False)
    whole = run(x, w, gamma, synchronized=False)
    assert not np.allclose(local["moving_mean"], whole["moving_mean"], rtol=1e-3)


def test_in_one_process_synchronized_is_the_plain_layer():
    x, w, gamma = global_batch()
    plain, synced = (run(x, w, gamma, synchronized=s) for s in (False, True))
    for name in plain:
        np.testing.assert_array_equal(synced[name], plain[name])


def test_an_identity_reduction_gives_the_local_formula():
    # The op's reduced path with one replica (the sum is the identity) equals its local path.
    x = np.random.default_rng(0).normal(2.0, 3.0, (6, 5)).astype(np.float64)
    grad = np.random.default_rng(1).normal(size=x.shape)
    results = []
    for reduce in (None, lambda a: a):
        op = BatchNorm(-1, 1e-3, batch_stats=True, center=False, scale=False, reduce=reduce)
        op.needs_grad = (True,)
        y = op.forward(x)
        results.append((y, op.mean, op.variance, op.backward(grad)[0]))
    for local, reduced in zip(*results):
        np.testing.assert_allclose(reduced, local, rtol=1e-12)


def test_synchronized_is_kept_in_the_config():
    layer = BatchNormalization(synchronized=True)
    assert layer.get_config()["synchronized"] is True
    assert BatchNormalization.from_config(layer.get_config()).synchronized is True
