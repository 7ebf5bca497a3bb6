"""The GEMM roofline of W1: NumPy's float32 matrix products on the exact shapes of one step.

    python benchmarks/roofline.py

One W1 training step (batch 100, Dense 784-500-500-10) multiplies these matrices, with the
layouts that a training step uses (``x.T @ g`` is a transposed view, as in the engine):

* forward: ``x @ W`` for each layer;
* backward: ``h.T @ g`` (each kernel's gradient) and ``g @ W.T`` (the input gradients of the
  second and third layers; the first layer's input needs none).

That is 309.8 MFLOP per step, 185.9 GFLOP per epoch of 600 steps. The products are run in the
order of a step, on distinct arrays as in training, and the median time of the whole sequence,
times 600, is a lower bound on a W1 epoch for any NumPy-based engine: the time of the matrix
products alone, with no element-wise work and no Python. Each product is also timed alone, in a
loop, for its own GFLOP/s.
"""

from __future__ import annotations

import time

import numpy as np
from common import report

BATCH, STEPS, SIZES = 100, 600, (784, 500, 500, 10)


def products(
    batch: int = BATCH, sizes: tuple[int, ...] = SIZES
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The products of one training step of Dense layers ``sizes`` on ``batch`` examples."""
    rng = np.random.default_rng(0)

    def r(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32)

    forward, backward = [], []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        x, w, g = r(batch, n_in), r(n_in, n_out), r(batch, n_out)
        forward.append((f"x{i} @ W{i} ({batch}x{n_in} @ {n_in}x{n_out})", x, w))
        layer = [(f"x{i}.T @ g{i} ({n_in}x{batch} @ {batch}x{n_out})", x.T, g)]
        if i > 0:
            layer.append((f"g{i} @ W{i}.T ({batch}x{n_out} @ {n_out}x{n_in})", g, w.T))
        backward = layer + backward
    return forward + backward


def sequence_seconds(found: list, repeats: int = 300) -> float:
    """Median time of one step's products run one after another."""
    times = []
    for i in range(repeats + 20):
        start = time.perf_counter()
        for _, a, b in found:
            a @ b
        if i >= 20:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def median_seconds(a: np.ndarray, b: np.ndarray, repeats: int = 300) -> float:
    for _ in range(20):
        a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    from threadpoolctl import threadpool_info

    found = products()
    rows, step_flop = [], 0
    for name, a, b in found:
        seconds = median_seconds(a, b)
        flop = 2 * a.shape[0] * a.shape[1] * b.shape[1]
        rows.append({"product": name, "gflops": flop / seconds / 1e9, "seconds": seconds})
        step_flop += flop
    step_seconds = sequence_seconds(found)
    blas = [(i["internal_api"], i.get("architecture"), i["num_threads"]) for i in threadpool_info()]
    report(
        products=rows,
        step_mflop=step_flop / 1e6,
        epoch_gflop=step_flop * STEPS / 1e9,
        gflops=step_flop / step_seconds / 1e9,
        epoch_bound_seconds=step_seconds * STEPS,
        blas=blas,
    )


if __name__ == "__main__":
    main()
