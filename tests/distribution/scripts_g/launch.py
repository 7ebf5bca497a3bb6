"""Start a script under ``mpiexec -n N`` (MPICH's, from the ``mpich`` wheel beside the test's
Python) with a timeout, and hand back what it did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: Seconds an MPI job may take before the test fails instead of hanging.
TIMEOUT_S = 120


def mpiexec() -> str:
    """The ``mpiexec`` installed beside this Python (the ``mpich`` wheel puts it there)."""
    path = Path(sys.executable).parent / "mpiexec"
    if not path.exists():
        raise FileNotFoundError(f"no mpiexec beside {sys.executable}: pip install mpich")
    return str(path)


def mpi_command(ranks: int, script: Path, *args: str) -> list[str]:
    """``mpiexec -n ranks python script *args``."""
    return [mpiexec(), "-n", str(ranks), sys.executable, str(script), *args]


def mpi_env() -> dict[str, str]:
    """This environment with one BLAS thread per rank: the ranks share the machine's cores."""
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run_mpi(
    ranks: int, script: Path, *args: str, cwd: Path | None = None, timeout: float = TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run ``mpiexec -n ranks python script *args``; raises ``subprocess.TimeoutExpired`` (the
    job is killed) if it does not end within ``timeout`` seconds."""
    return subprocess.run(
        mpi_command(ranks, script, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=mpi_env(),
    )
