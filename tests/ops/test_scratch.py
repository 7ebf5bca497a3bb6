"""ScratchPool: buffers come back to the pool with their owner and are handed out again.
StepArena: arrays are handed out again only once nothing else refers to them."""

from __future__ import annotations

import gc
import threading

import numpy as np

from numkeras.ops import scratch
from numkeras.ops.scratch import ScratchPool, StepArena


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


def test_the_arena_hands_out_an_array_again_only_once_nothing_refers_to_it():
    arena = StepArena()
    first = arena.take((3, 4), np.dtype(np.float32))
    second = arena.take((3, 4), np.dtype(np.float32))
    assert second is not first  # the first is still held here
    view = first[1:]
    del first
    third = arena.take((3, 4), np.dtype(np.float32))
    assert not np.shares_memory(third, view)  # a view keeps its base alive
    del view
    again = arena.take((3, 4), np.dtype(np.float32))
    assert again is arena.arrays()[0] and len(arena.arrays()) == 3
    assert arena.take((4, 3), np.dtype(np.float32)).shape == (4, 3)  # another shape: fresh


def test_the_arena_forgets_the_arrays_its_last_steps_did_not_take():
    arena = StepArena(keep_steps=2)
    arena.take((5,), np.dtype(np.float32))  # step 0, as an epoch's short last batch
    arena.end_step()
    arena.take((6,), np.dtype(np.float32))  # step 1
    arena.end_step()
    assert sorted(a.shape for a in arena.arrays()) == [(5,), (6,)]
    arena.take((6,), np.dtype(np.float32))  # step 2: the (6,) of step 1 again
    arena.end_step()
    assert [a.shape for a in arena.arrays()] == [(6,)]


def test_empty_draws_large_numpy_arrays_from_the_active_arena_only():
    arena = StepArena()
    large = (scratch.ARENA_MIN_BYTES // 4,)
    assert scratch.empty(large, np.float32, np).size == large[0]
    assert arena.arrays() == []  # no arena active: a fresh array
    with scratch.step_arena(arena):
        a = scratch.empty(large, np.float32, np)
        scratch.empty((4,), np.float32, np)  # small: malloc's free lists serve it
    assert len(arena.arrays()) == 1 and arena.arrays()[0] is a
    del a
    with scratch.step_arena(arena):
        b = scratch.empty(large, np.float32, np)
    assert b is arena.arrays()[0] and len(arena.arrays()) == 1


def test_empty_leaves_other_array_modules_to_their_own_pools():
    made = []

    class Module:
        @staticmethod
        def empty(shape, dtype):
            made.append(shape)
            return np.empty(shape, dtype)

    arena = StepArena()
    with scratch.step_arena(arena):
        scratch.empty((1 << 20,), np.float32, Module)
    assert made == [(1 << 20,)] and arena.arrays() == []


def test_another_thread_never_draws_from_this_threads_arena():
    arena, drawn = StepArena(), []
    large = (scratch.ARENA_MIN_BYTES // 4,)
    with scratch.step_arena(arena):
        other = threading.Thread(target=lambda: drawn.append(scratch.pooled(large, np.float32, np)))
        other.start()
        other.join()
        drawn.append(scratch.pooled(large, np.float32, np))
    assert drawn[0] is None and drawn[1] is arena.arrays()[0]
