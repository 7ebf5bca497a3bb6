"""The processes of a distributed job and the collective operations between them, over MPI.

A process started by ``mpiexec``/``mpirun``/``srun`` finds its launcher's environment variables
and joins the MPI job through ``mpi4py`` (the ``mpi`` extra: ``pip install numkeras[mpi]``); any
other process is a job of one, where every collective is the identity and mpi4py is never
imported. So a script runs unchanged on one process and on many.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

#: Variables that an MPI launcher sets in each process it starts: MPICH's Hydra and Slurm's
#: PMI (``PMI_SIZE``), Open MPI (``OMPI_COMM_WORLD_SIZE``) and PMIx launchers (``PMIX_RANK``).
LAUNCHER_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")

_comm: Any = None
_joined = False


def launched_by_mpi() -> bool:
    """Whether an MPI launcher started this process (one of :data:`LAUNCHER_VARIABLES` set)."""
    return any(name in os.environ for name in LAUNCHER_VARIABLES)


def initialize() -> None:
    """Join the MPI job when an MPI launcher started this process; a no-op otherwise, and
    when called again."""
    global _comm, _joined
    if _joined:
        return
    if launched_by_mpi():
        try:
            from mpi4py import MPI
        except ImportError as error:
            raise ImportError(
                "This process was started by an MPI launcher, and numkeras.distribution needs "
                "mpi4py to join the job: pip install 'numkeras[mpi]' (mpi4py and mpich)."
            ) from error
        _comm = MPI.COMM_WORLD
    _joined = True


def comm() -> Any:
    """The job's communicator (``MPI.COMM_WORLD``), or None in a job of one process."""
    initialize()
    return _comm if _comm is not None and _comm.Get_size() > 1 else None


def rank() -> int:
    """This process's index in the job, 0 to ``size() - 1``; 0 in a single process."""
    c = comm()
    return 0 if c is None else c.Get_rank()


def size() -> int:
    """The number of processes in the job; 1 in a single process."""
    c = comm()
    return 1 if c is None else c.Get_size()


def is_chief() -> bool:
    """Whether this process is rank 0, the one that prints and writes files."""
    return rank() == 0


def _contiguous(array: Any, argument: str) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{argument} must be a NumPy array. Received: {argument} of type {type(array).__name__}"
        )
    return np.ascontiguousarray(array)


def allreduce_sum(array: np.ndarray) -> np.ndarray:
    """The element-wise sum of ``array`` over every process, the same on each (an array of
    the same shape and dtype); ``array`` itself in a single process."""
    buf = _contiguous(array, "array")
    c = comm()
    if c is None:
        return array
    from mpi4py import MPI

    out = np.empty_like(buf)
    c.Allreduce(buf, out, op=MPI.SUM)
    return out


def _check_root(root: int) -> None:
    if not isinstance(root, (int, np.integer)) or not 0 <= root < size():
        raise ValueError(f"root must be a rank in [0, {size() - 1}]. Received: root={root!r}")


def broadcast(value: Any, root: int = 0) -> Any:
    """``value`` as process ``root`` has it, on every process.

    A NumPy array travels as a buffer (its shape and dtype first), so the other processes'
    ``value`` may be anything, None included; any other value travels pickled.
    """
    _check_root(root)
    c = comm()
    if c is None:
        return value
    meta = c.bcast(
        (value.shape, value.dtype.str) if isinstance(value, np.ndarray) else None, root=root
    )
    if meta is None:
        return c.bcast(value, root=root)
    buf = np.ascontiguousarray(value) if c.Get_rank() == root else np.empty(meta[0], meta[1])
    c.Bcast(buf, root=root)
    return buf


def allgather(value: Any) -> list[Any]:
    """Every process's ``value``, in rank order, on every process (pickled: for small
    objects such as logs, or arrays gathered once per call)."""
    c = comm()
    return [value] if c is None else c.allgather(value)


def abort(code: int = 1) -> None:
    """End the whole job now with exit status ``code``: ``MPI_Abort`` under MPI, so no other
    rank is left waiting in a collective; a single process exits with ``code`` at once."""
    if not isinstance(code, (int, np.integer)) or isinstance(code, bool):
        raise TypeError(f"code must be an int. Received: code={code!r}")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed stream must not stop the abort
            pass
    c = comm()
    if c is not None:
        c.Abort(int(code))
    os._exit(int(code))
