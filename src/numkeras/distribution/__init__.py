"""Training on many processes, with Keras 3's ``keras.distribution`` API over MPI.

A training script becomes data-parallel with two lines and a launcher::

    import numkeras
    numkeras.distribution.initialize()
    numkeras.distribution.set_distribution(numkeras.distribution.DataParallel())
    ...                      # the model, compile and fit as before

    $ mpiexec -n 4 python train.py

In a single process every function works too: :func:`rank` is 0, :func:`size` 1 and the
collectives are the identity. ``mpi4py`` (the ``mpi`` extra) is imported only under an MPI
launcher.
"""

from __future__ import annotations

from typing import Any

from . import communicator, faults
from .communicator import abort, allgather, allreduce_sum, broadcast, is_chief, rank, size
from .data_parallel import DataParallel, distribution, list_devices, set_distribution

__all__ = [
    "DataParallel",
    "abort",
    "allgather",
    "allreduce_sum",
    "broadcast",
    "distribution",
    "initialize",
    "is_chief",
    "list_devices",
    "rank",
    "set_distribution",
    "size",
]


def initialize(
    job_addresses: Any = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Join the job when an MPI launcher (``mpiexec``, ``mpirun``, ``srun``) started this
    process, and make an uncaught exception or Ctrl-C on any rank abort the whole job
    (:mod:`.faults`); a no-op in a single process and when called again (Keras 3's
    ``keras.distribution.initialize``).

    Args:
        job_addresses: accepted for Keras programs; the MPI launcher connects the processes.
        num_processes: the number of processes expected, checked against the job's when
            given. Defaults to None.
        process_id: this process's expected rank, checked when given. Defaults to None.
    """
    communicator.initialize()
    if size() > 1:
        # One rank's uncaught error (or Ctrl-C) must end the job, not leave the others waiting.
        faults.install()
    for argument, expected, actual in (
        ("num_processes", num_processes, size()),
        ("process_id", process_id, rank()),
    ):
        if expected is not None and expected != actual:
            raise ValueError(
                f"{argument} does not match the MPI job, which has {actual}. "
                f"Received: {argument}={expected!r}"
            )
