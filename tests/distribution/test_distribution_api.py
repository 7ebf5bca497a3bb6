"""numkeras.distribution in a single process: a job of one, where every collective is the
identity, and training with DataParallel set is training as before."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import numkeras
from numkeras import distribution
from numkeras.distribution import communicator, data_parallel
from numkeras.layers import Dense, Input
from numkeras.models import Sequential

#: The launcher variables removed, so that the child processes are plain single processes.
PLAIN_ENV = {k: v for k, v in os.environ.items() if k not in communicator.LAUNCHER_VARIABLES}


@pytest.fixture(autouse=True)
def _no_distribution():
    yield
    distribution.set_distribution(None)


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=PLAIN_ENV
    )


def test_a_single_process_is_rank_0_of_1():
    distribution.initialize()
    distribution.initialize()  # again: still a no-op
    assert (distribution.rank(), distribution.size(), distribution.is_chief()) == (0, 1, True)
    assert distribution.list_devices() == ["cpu:0"]
    assert distribution.list_devices("cpu") == ["cpu:0"]
    assert distribution.list_devices("gpu") == []


def test_import_and_initialize_load_no_mpi_in_a_single_process():
    job = python(
        "import sys, numkeras\n"
        "assert 'numkeras.distribution' not in sys.modules\n"
        "numkeras.distribution.initialize()\n"
        "numkeras.distribution.set_distribution(numkeras.distribution.DataParallel())\n"
        "print('mpi4py' in sys.modules, numkeras.distribution.size())"
    )
    assert job.returncode == 0, job.stderr
    assert job.stdout.split() == ["False", "1"]


def test_collectives_are_the_identity():
    a = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(distribution.allreduce_sum(a), a)
    assert distribution.broadcast({"epoch": 3}) == {"epoch": 3}
    np.testing.assert_array_equal(distribution.broadcast(a, root=0), a)
    assert distribution.allgather(5) == [5]


def test_bad_arguments_name_the_argument():
    with pytest.raises(TypeError, match="array must be a NumPy array"):
        distribution.allreduce_sum([1.0, 2.0])
    with pytest.raises(ValueError, match=r"root must be a rank in \[0, 0\]. Received: root=1"):
        distribution.broadcast(1, root=1)
    with pytest.raises(ValueError, match="device_type must be one of"):
        distribution.list_devices("tpu")
    with pytest.raises(ValueError, match="devices must be every process's device"):
        distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(TypeError, match="set_distribution takes a DataParallel"):
        distribution.set_distribution("data_parallel")
    with pytest.raises(ValueError, match="num_processes does not match the MPI job"):
        distribution.initialize(num_processes=4)
    with pytest.raises(TypeError, match="code must be an int"):
        distribution.abort("1")


def test_abort_ends_a_single_process_with_the_code():
    job = python("import numkeras.distribution as d\nprint('before', flush=True)\nd.abort(3)")
    assert job.returncode == 3
    assert job.stdout == "before\n"


def test_set_distribution_and_distribution():
    assert distribution.distribution() is None
    dp = distribution.DataParallel()
    distribution.set_distribution(dp)
    assert distribution.distribution() is dp
    assert dp.devices == ["cpu:0"]
    # One process: the training loop has nothing to distribute.
    assert data_parallel.active() is None


@pytest.mark.parametrize("ranks", [1, 2, 3, 4])
@pytest.mark.parametrize(("start", "stop"), [(0, 12), (8, 17), (16, 17), (5, 5)])
def test_the_ranks_shares_tile_a_batch_as_array_split_does(monkeypatch, ranks, start, stop):
    dp = distribution.DataParallel()
    monkeypatch.setattr(communicator, "size", lambda: ranks)
    shares = []
    for r in range(ranks):
        monkeypatch.setattr(communicator, "rank", lambda r=r: r)
        shares.append(list(range(*dp.share(start, stop))))
    expected = np.array_split(np.arange(start, stop), ranks)
    assert shares == [list(part) for part in expected]


def test_fit_with_data_parallel_in_one_process_is_plain_fit():
    data = np.random.default_rng(0)
    x = data.normal(size=(20, 4)).astype("float32")
    y = data.normal(size=(20, 1)).astype("float32")

    def trained() -> list[np.ndarray]:
        numkeras.backend.set_random_seed(7)
        model = Sequential([Input((4,)), Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    plain = trained()
    distribution.set_distribution(distribution.DataParallel())
    for a, b in zip(trained(), plain):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("ranks", [2, 3])
def test_the_ranks_split_each_shuffled_batch_of_one_shared_order(monkeypatch, ranks):
    from numkeras.models.data_adapter import ArrayBatches

    dp = distribution.DataParallel()

    def epochs(rank: int, size: int) -> list[list[list[int]]]:
        """Two epochs of the sample indices that ``rank`` of ``size`` trains on, per step."""
        monkeypatch.setattr(communicator, "size", lambda: size)
        monkeypatch.setattr(communicator, "rank", lambda: rank)
        batches = ArrayBatches([np.arange(17)[:, None]], None, None, 8, shuffle=True)
        batches.distribute(dp, seed=5)
        return [[xb[0][:, 0].tolist() for xb, _, _ in batches] for _ in range(2)]

    whole = epochs(0, 1)
    assert sorted(sum(whole[0], [])) == list(range(17))
    assert whole[0] != whole[1]  # a new order every epoch
    shares = [epochs(r, ranks) for r in range(ranks)]
    for e in range(2):
        for step, batch in enumerate(whole[e]):
            assert sum((share[e][step] for share in shares), []) == batch


def test_fit_under_data_parallel_refuses_what_it_cannot_split(monkeypatch):
    # Two ranks as the training loop sees them; both refusals come before any collective.
    monkeypatch.setattr(communicator, "size", lambda: 2)
    distribution.set_distribution(distribution.DataParallel())
    model = Sequential([Input((4,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((6, 4), "float32"), np.zeros((6, 1), "float32")
    with pytest.raises(ValueError, match=r"batch_size=1, samples=6"):
        model.fit(x, y, batch_size=1, verbose=0)
    with pytest.raises(ValueError, match="fit\\(\\) under DataParallel needs arrays"):
        model.fit(((x, y) for _ in range(2)), verbose=0)
    with pytest.raises(ValueError, match="predict\\(\\) under DataParallel needs arrays"):
        model.predict((x for _ in range(2)), verbose=0)


def test_optimizer_updates_apply_what_the_gradient_reducer_returns():
    from numkeras.ops.core import Variable
    from numkeras.optimizers import SGD
    from numkeras.optimizers.base import gradients_reduced_by

    a, b = Variable(np.ones(2, "float32")), Variable(np.ones(3, "float32"))
    seen = []

    def halve(grads, variables):
        seen.append((grads, variables))
        return [None if g is None else g / 2 for g in grads]

    with gradients_reduced_by(halve):
        SGD(1.0).apply([np.ones(2, "float32"), None], [a, b])
        with pytest.raises(RuntimeError, match="do not nest"):
            with gradients_reduced_by(halve):
                pass
    SGD(1.0).apply([np.ones(2, "float32"), np.ones(3, "float32")], [a, b])  # outside: as is
    np.testing.assert_array_equal(a.data, [-0.5, -0.5])
    np.testing.assert_array_equal(b.data, [0.0, 0.0, 0.0])
    assert len(seen) == 1 and seen[0][0][1] is None and seen[0][1] == [a, b]


def test_averaging_gradients_of_one_process_keeps_them_and_their_nones():
    from numkeras.ops.core import Variable
    from numkeras.optimizers import SGD

    dp = distribution.DataParallel()
    a, b = Variable(np.ones((2, 2), "float32")), Variable(np.ones(3, "float32"))
    g = np.arange(4, dtype="float32").reshape(2, 2)
    with dp.averaging_gradients(5) as applied:
        SGD(1.0).apply_gradients([(g, a), (None, b)])
    [(averaged_a, averaged_b)] = applied
    np.testing.assert_allclose(averaged_a, g, rtol=1e-6)
    assert averaged_a.dtype == np.float32 and averaged_b is None
    np.testing.assert_allclose(a.data, 1.0 - g, rtol=1e-6)
    np.testing.assert_array_equal(b.data, np.ones(3))


def test_train_and_test_on_batch_with_data_parallel_in_one_process_are_plain():
    data = np.random.default_rng(1)
    x = data.normal(size=(6, 4)).astype("float32")
    y = data.normal(size=(6, 1)).astype("float32")

    def run() -> list:
        numkeras.backend.set_random_seed(3)
        model = Sequential([Input((4,)), Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        return [model.train_on_batch(x, y), model.test_on_batch(x, y), *model.get_weights()]

    plain = run()
    distribution.set_distribution(distribution.DataParallel())
    for a, b in zip(run(), plain):
        np.testing.assert_array_equal(a, b)
