"""Data-parallel W1 on this machine: is 2 ranks × 1 BLAS thread faster than 1 process × 2?

    python benchmarks/bench_distributed.py [EPOCHS] [SAMPLES]

Runs itself three ways and prints one line of figures each, then a table and the scaling model
of docs/distributed.md:

* ``1 process x 2 threads``: W1 (Dense 784-500-500-10, ReLU, softmax + cross-entropy, Adam,
  batch 100) with ``OPENBLAS_NUM_THREADS=2``;
* ``2 ranks x 1 thread``: the same fit under ``mpiexec -n 2`` with ``DataParallel`` (50 samples
  per rank per step, ``OPENBLAS_NUM_THREADS=1`` per rank), timing the gradient all-reduce inside
  the fit (its share of the step, waiting for the other rank included);
* the all-reduce alone of W1's gradient (648,010 float32, 2.6 MB) between the 2 ranks.

The data are the MNIST sample packaged with numkeras (W1's Fashion-MNIST has the same shapes,
and the step time depends on nothing else). EPOCHS defaults to 3 (the first is not counted),
SAMPLES to 20,000 (200 steps an epoch, the sample repeated).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import argument, fit_timed, report

BATCH = 100
#: W1's parameters: 784·500 + 500 + 500·500 + 500 + 500·10 + 10.
W1_PARAMETERS = 648_010
ALLREDUCE_REPEATS = 50
#: The scaling model's machines and networks: (name, bits per second, per-message latency).
MACHINES = (8, 64, 512)
NETWORKS = (("10 Gbit/s Ethernet, TCP", 10e9, 25e-6), ("100 Gbit/s InfiniBand", 100e9, 2e-6))


def _data(samples: int) -> tuple[np.ndarray, np.ndarray]:
    from numkeras.datasets import mnist

    (x, y), _ = mnist.load(sample=True).data
    repeats = -(-samples // len(x))
    x = np.tile(x.reshape(len(x), 784), (repeats, 1))[:samples].astype(np.float32) / 255
    return x, np.eye(10, dtype=np.float32)[np.tile(y, repeats)[:samples]]


def _timed_allreduce(communicator) -> list[float]:
    """Wraps the communicator's ``allreduce_sum`` so that each call's seconds are recorded."""
    seconds: list[float] = []
    allreduce_sum = communicator.allreduce_sum

    def timed(array: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = allreduce_sum(array)
        seconds.append(time.perf_counter() - start)
        return out

    communicator.allreduce_sum = timed
    return seconds


def _allreduce_alone(dist) -> float:
    """Median seconds of one all-reduce of W1's gradient, the ranks lined up before each."""
    buffer = np.ones(W1_PARAMETERS, np.float32)
    times = []
    for _ in range(ALLREDUCE_REPEATS + 1):
        dist.allreduce_sum(np.zeros(1, np.float32))  # a barrier: both ranks start together
        start = time.perf_counter()
        dist.allreduce_sum(buffer)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def worker(epochs: int, samples: int) -> None:
    """One run of W1, on one process or as one rank of an MPI job; rank 0 reports."""
    import numkeras.distribution as dist
    from numkeras import backend
    from numkeras.callbacks import LambdaCallback
    from numkeras.distribution import communicator
    from numkeras.recipe.networks import course_mlp

    dist.initialize()
    if dist.size() > 1:
        dist.set_distribution(dist.DataParallel())
    backend.set_random_seed(0)
    x, t = _data(samples)
    model = course_mlp(dropout=0.0)
    in_fit = _timed_allreduce(communicator)
    clock = fit_timed(model, LambdaCallback, x, t, batch_size=BATCH, epochs=epochs, shuffle=True)
    steps = -(-samples // BATCH)
    step_s = clock.seconds_per_epoch / steps
    figures = {"ranks": dist.size(), "step_s": step_s}
    if dist.size() > 1:
        # The fit's all-reduces are the gradients', one a step: their mean time is a step's.
        figures["allreduce_calls_per_step"] = len(in_fit) / (epochs * steps)
        figures["allreduce_in_step_s"] = statistics.median(in_fit)
        figures["allreduce_alone_s"] = _allreduce_alone(dist)
    if dist.is_chief():
        report(**figures)


def _run(command: list[str], threads: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or len(lines) != 1:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[0][len("RESULT ") :])


def ring_allreduce_s(machines: int, nbytes: float, bits_per_s: float, latency_s: float) -> float:
    """A ring all-reduce's time: ``2(N-1)/N · bytes / bandwidth + 2(N-1) · latency``."""
    steps = 2 * (machines - 1)
    return steps / machines * nbytes * 8 / bits_per_s + steps * latency_s


def scaling_table(compute_s: float, nbytes: float) -> list[str]:
    """Each machine a replica with W1's batch of 100 (global batch 100·N): the step is the
    measured compute plus the ring all-reduce, with no overlap (numkeras reduces after the
    backward pass). Efficiency: compute / step; speed-up: N · efficiency."""
    rows = [
        "| network | N | all-reduce (ms) | step (ms) | efficiency | speed-up |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, bits, latency in NETWORKS:
        for n in MACHINES:
            comm = ring_allreduce_s(n, nbytes, bits, latency)
            efficiency = compute_s / (compute_s + comm)
            rows.append(
                f"| {name} | {n} | {comm * 1e3:.2f} | {(compute_s + comm) * 1e3:.2f} | "
                f"{efficiency:.0%} | {n * efficiency:.0f} |"
            )
    return rows


def scaling_limits(compute_s: float, nbytes: float) -> list[str]:
    """Where each network stops scaling: the first N at which communication takes half the
    step (efficiency 50%), and the speed-up's bound as N grows, compute / (2 · latency) (the
    bandwidth term tends to 2 · bytes / bandwidth, the latency term grows without end)."""
    rows = []
    for name, bits, latency in NETWORKS:
        half = next(
            n for n in range(2, 10**7) if ring_allreduce_s(n, nbytes, bits, latency) >= compute_s
        )
        rows.append(
            f"{name}: efficiency below 50% from N = {half}; speed-up bounded by "
            f"{compute_s / (2 * latency):.0f} however many machines"
        )
    return rows


def main(epochs: int, samples: int) -> None:
    here = Path(__file__).resolve()
    args = [str(here), "--worker", str(epochs), str(samples)]
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    one = _run([sys.executable, *args], threads=2)
    two = _run([mpiexec, "-n", "2", sys.executable, *args], threads=1)
    print(f"W1, batch {BATCH}, {samples} samples, median of epochs 2..{epochs}")
    print(f"1 process x 2 threads : {one['step_s'] * 1e3:7.2f} ms per step")
    print(f"2 ranks x 1 thread    : {two['step_s'] * 1e3:7.2f} ms per step")
    print(
        f"  gradient all-reduce in the fit: {two['allreduce_in_step_s'] * 1e3:.2f} ms per step "
        f"({two['allreduce_in_step_s'] / two['step_s']:.0%} of the step)"
    )
    print(
        f"all-reduce of the {W1_PARAMETERS * 4 / 1e6:.1f} MB gradient alone, 2 ranks: "
        f"{two['allreduce_alone_s'] * 1e3:.3f} ms"
    )
    print("\nScaling model (compute: the 1-process W1 step; weak scaling, 100 samples a machine)")
    print("\n".join(scaling_table(one["step_s"], W1_PARAMETERS * 4)))
    print("\n".join(scaling_limits(one["step_s"], W1_PARAMETERS * 4)))


if __name__ == "__main__":
    if argument(1, "") == "--worker":
        worker(int(argument(2, "3")), int(argument(3, "20000")))
    else:
        main(int(argument(1, "3")), int(argument(2, "20000")))
