"""ScratchPool: buffers come back to the pool with their owner and are handed out again."""

from __future__ import annotations

import gc

import numpy as np

from numkeras.ops.scratch import ScratchPool


class Owner:
    pass


def test_a_given_buffer_is_taken_again_for_the_same_size_and_dtype():
    pool = ScratchPool()
    buf = pool.take((4, 6), np.float32, np)
    pool.give(buf)
    assert pool.take((6, 4), np.float64, np) is not buf.base  # another dtype: a fresh array
    again = pool.take((6, 4), np.float32, np)
    assert again.shape == (6, 4) and np.shares_memory(again, buf)


def test_a_lent_buffer_returns_when_its_owner_is_collected():
    pool, owner = ScratchPool(), Owner()
    buf = pool.lend(owner, (3, 5), np.float32, np)
    assert pool._free == []
    del owner
    gc.collect()
    assert len(pool._free) == 1 and np.shares_memory(pool._free[0], buf)


def test_the_pool_keeps_at_most_max_free_buffers():
    pool = ScratchPool(max_free=2)
    for size in (1, 2, 3):
        pool.give(np.empty(size, np.float32))
    assert [b.size for b in pool._free] == [2, 3]
