"""Wide layers (issue 21): threads in the fused kernels, and the matrix products' library.

    python benchmarks/kernel_threads.py adam [SIZE ...]
    python benchmarks/kernel_threads.py step [WIDTH] [BATCH]
    python benchmarks/kernel_threads.py gemm

``adam`` times the fused Adam kernel (``numkeras.kernels``) on float32 arrays of each SIZE
(default 4,194,304, the 2048x2048 kernel, and 648,010, as many as W1 has weights), with
``NUMKERAS_KERNEL_THREADS=1`` and with the CPUs this process may use, the two interleaved round
after round. Per call, the median over rounds of: wall time, the process's CPU time and the
calling thread's CPU time. The loop is memory-bound, so split in N it costs the same CPU time in
all and the calling thread does 1/N of it; the wall time falls by as much where the cores are
free (on a shared machine it shows what the other processes leave).

``step`` times whole training steps (``train_on_batch``) of Dense 784-WIDTH-WIDTH-10 with ReLU,
softmax + cross-entropy and Adam (default width 2048, batch 100), at 1 and N kernel threads
interleaved in one process, with the same three clocks per step.

``gemm`` gives the GFLOP/s of every matrix product of one training step of the grid's networks
(``roofline.products``: forward ``x @ W``, backward ``x.T @ g`` and ``g @ W.T``; Dense
784-2048-2048-10 at batch 100 and 784-500-500-10 at batch 32, 100 and 1000), each written into a
preallocated output, for NumPy's OpenBLAS at 1 and N threads (threadpoolctl) and, where the
``mkl`` package is installed (``numkeras[mkl]``), for oneMKL's ``cblas_sgemm`` through
``numkeras.blas`` at 1 and N threads. Each library and thread count runs in a fresh process of
its own (idle BLAS threads spin for a while after a call and would take the other library's
cores), the processes interleaved over rounds; a product's figure is its best over rounds, and
each network's step figure is the step's FLOP over the sum of its products' best times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from importlib import metadata

import numpy as np
from common import argument, report, threads
from mlp import numkeras_layers
from roofline import products

ROUNDS = 5
#: Bytes that Adam's loop moves per element: it reads value, grad, m and v, and writes three back.
ADAM_BYTES = 28
ADAM_SIZES = (4_194_304, 648_010)
NETWORKS = {
    "W2048 b100": (100, (784, 2048, 2048, 10)),
    "W500 b32": (32, (784, 500, 500, 10)),
    "W500 b100": (100, (784, 500, 500, 10)),
    "W500 b1000": (1000, (784, 500, 500, 10)),
}


def thread_cpu_seconds() -> float:
    return time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)


def interleaved(run: Callable[[], None], calls: int) -> list[dict[str, float]]:
    """Median per-call wall, process CPU and calling-thread CPU milliseconds of ``run``, with
    ``NUMKERAS_KERNEL_THREADS`` at 1 and at this process's CPUs, the two alternating."""
    samples: dict[int, list[tuple[float, ...]]] = {1: [], threads(): []}
    for _ in range(ROUNDS):
        for count, found in samples.items():
            os.environ["NUMKERAS_KERNEL_THREADS"] = str(count)
            run()
            clocks = time.perf_counter(), time.process_time(), thread_cpu_seconds()
            for _ in range(calls):
                run()
            now = time.perf_counter(), time.process_time(), thread_cpu_seconds()
            found.append(tuple((b - a) / calls * 1e3 for a, b in zip(clocks, now, strict=True)))
    rows = []
    for count, found in samples.items():
        wall, cpu, caller = np.median(np.array(found), axis=0)
        rows.append({"threads": count, "wall_ms": wall, "cpu_ms": cpu, "caller_cpu_ms": caller})
    return rows


def adam(sizes: list[int]) -> None:
    """Per-call figures of the fused Adam kernel at 1 and N threads."""
    from numkeras import kernels

    rows = []
    for n in sizes:
        rng = np.random.default_rng(0)
        value, grad = (rng.standard_normal(n, dtype=np.float32) for _ in range(2))
        m, v = np.zeros(n, np.float32), np.zeros(n, np.float32)
        kernel = kernels.fused("adam", value, grad, m, v, None)
        step = partial(kernel, value, grad, m, v, None, 1e-3, 0.9, 0.999, 1e-7)
        for row in interleaved(step, calls=max(5, 20_000_000 // n)):
            rows.append({"elements": n, **row, "gb_per_s": ADAM_BYTES * n / row["wall_ms"] / 1e6})
    report(adam=rows)


def step(width: int, batch: int) -> None:
    """Per-step figures of training Dense 784-width-width-10 at 1 and N kernel threads."""
    import numkeras

    numkeras.backend.set_random_seed(0)
    model = numkeras.Sequential(numkeras_layers(width))
    model.compile(optimizer=numkeras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((batch, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    report(width=width, batch=batch, step=interleaved(partial(model.train_on_batch, x, y), 10))


def best_seconds(run: Callable[[], None], budget: float = 0.05, samples: int = 7) -> float:
    """The fastest per-call time of ``run`` over ``samples`` batches of about ``budget`` s."""
    start = time.perf_counter()
    run()
    calls = max(1, int(budget / max(time.perf_counter() - start, 1e-6)))
    best = float("inf")
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def gemm_run(library: str, count: int) -> None:
    """One process's figures: seconds per product of every network, for ``library`` (``mkl``:
    numkeras.blas with ``NUMKERAS_BLAS=mkl`` and ``MKL_NUM_THREADS`` set by :func:`gemm`)."""
    from threadpoolctl import threadpool_limits

    from numkeras import blas

    threadpool_limits(count)
    matmul = blas.matmul if library == "mkl" else np.matmul
    seconds = {}
    for network, (batch, sizes) in NETWORKS.items():
        for name, a, b in products(batch, sizes):
            out = np.empty((a.shape[0], b.shape[1]), np.float32)
            matmul(a, b, out=out)
            np.testing.assert_allclose(out, a @ b, rtol=1e-4, atol=1e-3, err_msg=name)
            seconds[f"{network}: {name}"] = best_seconds(partial(matmul, a, b, out=out))
    print(json.dumps(seconds), flush=True)


def gemm() -> None:
    """GFLOP/s per product and per step, each library and thread count in fresh processes."""
    runs = [("openblas", 1), ("openblas", threads())]
    try:
        metadata.distribution("mkl")
        runs += [("mkl", 1), ("mkl", threads())]
    except metadata.PackageNotFoundError:
        pass
    best: dict[tuple[str, int], dict[str, float]] = {run: {} for run in runs}
    for _ in range(ROUNDS):
        for library, count in runs:
            command = [sys.executable, __file__, "gemm-run", library, str(count)]
            environment = dict(os.environ, NUMKERAS_BLAS="mkl", MKL_NUM_THREADS=str(count))
            done = subprocess.run(command, env=environment, capture_output=True, check=True)
            kept = best[library, count]
            for name, seconds in json.loads(done.stdout).items():
                kept[name] = min(kept.get(name, float("inf")), seconds)
    flop = {
        f"{network}: {name}": 2 * a.shape[0] * a.shape[1] * b.shape[1]
        for network, (batch, sizes) in NETWORKS.items()
        for name, a, b in products(batch, sizes)
    }
    rows = [
        {
            "product": name,
            **{f"{lib} {n}t": flop[name] / best[lib, n][name] / 1e9 for lib, n in runs},
        }
        for name in flop
    ]
    steps = {
        network: {
            f"{lib} {n}t": sum(flop[k] for k in flop if k.startswith(network + ":"))
            / sum(s for k, s in best[lib, n].items() if k.startswith(network + ":"))
            / 1e9
            for lib, n in runs
        }
        for network in NETWORKS
    }
    report(gflops=rows, step_gflops=steps)


if __name__ == "__main__":
    mode = argument(1, "adam")
    if mode == "adam":
        adam([int(size) for size in sys.argv[2:]] or list(ADAM_SIZES))
    elif mode == "step":
        step(int(argument(2, "2048")), int(argument(3, "100")))
    elif mode == "gemm-run":
        gemm_run(sys.argv[2], int(sys.argv[3]))
    else:
        gemm()
