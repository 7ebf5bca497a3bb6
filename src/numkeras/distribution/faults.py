"""Fault handling for a job under MPI: one rank's failure ends the whole job, never a hang.

Without it, a rank that raises simply exits while the others wait for it forever inside the
next collective (the gradient all-reduce). :func:`install` replaces ``sys.excepthook`` so that
an uncaught exception on any rank, ``KeyboardInterrupt`` (Ctrl-C) included, prints that rank's
traceback with every line prefixed ``[rank r]`` and then calls MPI Abort, which the launcher
(``mpiexec``, ``srun``) turns into the end of every rank. This is what ``python -m mpi4py``
does for a script; Keras 3 has no counterpart (its JAX backend leaves it to the cluster).

``numkeras.distribution.initialize()`` installs it when it joins a job of more than one rank.
"""

from __future__ import annotations

import sys
import time
import traceback
from types import TracebackType

#: Exit code for Ctrl-C, as a shell reports a process ended by SIGINT (128 + 2).
KEYBOARD_INTERRUPT_CODE = 130
#: Seconds between printing the traceback and the abort: MPI_Abort tears the job down at once,
#: and output the launcher has not forwarded yet (MPICH's Hydra, through its proxies) is lost.
ABORT_GRACE_S = 1.0

_installed = False


def format_failure(
    rank: int, kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> str:
    """The traceback of ``error`` with each line prefixed ``[rank r] ``, ending with a line that
    says the job is being aborted, so interleaved output from many ranks stays readable."""
    lines = "".join(traceback.format_exception(kind, error, tb)).splitlines()
    lines.append(f"numkeras.distribution: rank {rank} failed; aborting the MPI job.")
    return "".join(f"[rank {rank}] {line}\n" for line in lines)


def _abort_on_uncaught(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    """``sys.excepthook`` under MPI: print this rank's traceback, then abort every rank."""
    from . import abort, rank

    # stdout first, so what the rank printed before failing is not lost with the abort.
    sys.stdout.flush()
    sys.stderr.write(format_failure(rank(), kind, error, tb))
    sys.stderr.flush()
    time.sleep(ABORT_GRACE_S)
    code = KEYBOARD_INTERRUPT_CODE if issubclass(kind, KeyboardInterrupt) else 1
    abort(code)


def install() -> None:
    """Make an uncaught exception (or Ctrl-C) on this rank abort the whole MPI job.

    Idempotent. Call it only in a job of more than one rank: in a single process the default
    hook already ends the program.
    """
    global _installed
    if not _installed:
        sys.excepthook = _abort_on_uncaught
        _installed = True


def installed() -> bool:
    """Whether :func:`install` has replaced ``sys.excepthook`` in this process."""
    return _installed and sys.excepthook is _abort_on_uncaught
