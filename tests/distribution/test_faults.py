"""Fault handling under MPI: a failing rank ends the whole job with its error, never a hang."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from scripts_g.launch import TIMEOUT_S, mpi_command, mpi_env, run_mpi

from numkeras.distribution import faults

SCRIPT = Path(__file__).parent / "scripts_g" / "fail_on_rank1.py"


@pytest.mark.parametrize(
    ("mode", "error", "code"),
    [("raise", "RuntimeError: boom on rank 1", 1), ("interrupt", "KeyboardInterrupt", 130)],
)
def test_a_failing_rank_aborts_the_job_with_its_traceback(mode, error, code):
    # Rank 0 waits in an all-reduce that rank 1 never joins: only the abort ends the job.
    job = run_mpi(2, SCRIPT, mode)
    assert job.returncode == code, job.stdout + job.stderr
    assert f"[rank 1] {error}" in job.stderr
    assert "[rank 1] Traceback (most recent call last):" in job.stderr
    assert "[rank 1] numkeras.distribution: rank 1 failed; aborting the MPI job." in job.stderr
    assert "rank 0 finished" not in job.stdout


def test_ctrl_c_on_mpiexec_stops_every_rank():
    # mpiexec passes SIGINT on to the ranks; rank 1, sleeping in Python, raises
    # KeyboardInterrupt and aborts the job, which frees rank 0 from its all-reduce.
    with subprocess.Popen(
        mpi_command(2, SCRIPT, "wait"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=mpi_env(),
    ) as job:
        try:
            # mpiexec may interleave the ranks' lines: count the words, not the lines.
            seen = ""
            while seen.count(" started") < 2 and (line := job.stdout.readline()):
                seen += line
            assert seen.count(" started") == 2, seen
            job.send_signal(signal.SIGINT)
            stdout, stderr = job.communicate(timeout=TIMEOUT_S)
        finally:
            job.kill()  # a no-op once it has ended; otherwise the test must not wait for it
    assert job.returncode == 130, stdout + stderr
    assert "[rank 1] KeyboardInterrupt" in stderr


def test_format_failure_prefixes_every_line_with_the_rank():
    try:
        raise ValueError("bad\nvalue")
    except ValueError as error:
        text = faults.format_failure(3, ValueError, error, error.__traceback__)
    lines = text.splitlines()
    assert lines[0] == "[rank 3] Traceback (most recent call last):"
    assert all(line.startswith("[rank 3] ") for line in lines)
    assert "[rank 3] ValueError: bad" in lines and "[rank 3] value" in lines


def test_install_replaces_the_excepthook_once(monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    monkeypatch.setattr(faults, "_installed", False)
    faults.install()
    hook = sys.excepthook
    faults.install()
    assert faults.installed() and sys.excepthook is hook is not sys.__excepthook__
