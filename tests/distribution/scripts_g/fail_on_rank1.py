"""Rank 1 fails while rank 0 waits in a collective that rank 1 never joins: without fault
handling the job would hang. ``argv[1]``: ``raise`` (an uncaught RuntimeError), ``interrupt``
(SIGINT to itself) or ``wait`` (sleep until the test presses Ctrl-C on ``mpiexec``)."""

import signal
import sys
import time

import numpy as np

import numkeras.distribution as dist

dist.initialize()
print(f"rank {dist.rank()} of {dist.size()} started", flush=True)
if dist.rank() == 1:
    if sys.argv[1] == "interrupt":
        signal.raise_signal(signal.SIGINT)
    if sys.argv[1] == "wait":
        time.sleep(100)
    raise RuntimeError("boom on rank 1")
dist.allreduce_sum(np.ones(3, np.float32))
print("rank 0 finished: the job did not end", flush=True)
