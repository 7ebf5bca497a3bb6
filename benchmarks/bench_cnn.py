"""One training epoch of Keras's classic MNIST CNN: numkeras against PyTorch eager, on the CPU.

Both train the same network (Conv2D 32 3x3 ReLU, Conv2D 64 3x3 ReLU, MaxPooling 2x2, Dropout
0.25, Flatten, Dense 128 ReLU, Dropout 0.5, Dense 10 softmax; Adam, lr 1e-3) on the same 10,000
real MNIST training digits, float32, shuffled batches of 128, with every core of the machine
(``torch.set_num_threads``; NumPy's BLAS uses all cores by default). The two run in turns in
one process, ``--repeats`` epochs each after one warm-up epoch, and the table reports the best
and the median epoch time of each and the ratio of the best times (numkeras / PyTorch).

    python benchmarks/bench_cnn.py [--repeats 3] [--json benchmarks/bench_cnn.json]

Not a test: run it by hand on a quiet machine (other processes on the cores distort both).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

BATCH_SIZE = 128


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 training digits packaged with numkeras, as float32 NHWC in [0, 1], and labels."""
    from numkeras.datasets import mnist

    (x, y), _ = mnist.load_data(sample=True)
    return x.reshape(-1, 28, 28, 1).astype(np.float32) / 255, y.astype(np.int64)


def numkeras_epoch(seed: int, x: np.ndarray, y: np.ndarray):
    """A function that trains numkeras's model for one epoch and returns the seconds it took."""
    from numkeras.models.classic import mnist_cnn
    from numkeras.utils import set_random_seed, to_categorical

    set_random_seed(seed)
    model = mnist_cnn()
    one_hot = to_categorical(y, 10)

    def epoch() -> float:
        start = time.perf_counter()
        model.fit(x, one_hot, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
        return time.perf_counter() - start

    return epoch


def torch_epoch(seed: int, x: np.ndarray, y: np.ndarray, threads: int):
    """The same for PyTorch eager (NCHW, cross-entropy on logits: its fused softmax loss)."""
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's epsilon
    images = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    labels = torch.from_numpy(y)
    generator = torch.Generator().manual_seed(seed)

    def epoch() -> float:
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(images), generator=generator)
        for i in range(0, len(images), BATCH_SIZE):
            batch = order[i:i + BATCH_SIZE]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs of each (default 3)")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_suffix(".json"),
                        help="where to write the raw figures (default: bench_cnn.json here)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    threads = os.cpu_count() or 1
    x, y = load_digits()
    runs = {"numkeras": numkeras_epoch(args.seed, x, y),
            "pytorch": torch_epoch(args.seed, x, y, threads)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for epoch in runs.values():
        epoch()  # warm-up: first-touch memory, BLAS threads, caches
    for _ in range(args.repeats):
        for name, epoch in runs.items():
            times[name].append(epoch())
            print(f"  {name:<9} epoch: {times[name][-1]:6.2f} s", flush=True)

    best = {name: min(t) for name, t in times.items()}
    ratio = best["numkeras"] / best["pytorch"]
    print(f"\nOne epoch of the MNIST CNN, {len(x)} images, batch {BATCH_SIZE}, float32, "
          f"{threads} threads")
    print(f"{'':<10}{'best s/epoch':>14}{'median':>10}")
    for name, t in times.items():
        print(f"{name:<10}{best[name]:>14.2f}{statistics.median(t):>10.2f}")
    print(f"ratio numkeras / pytorch (best): {ratio:.2f}")

    import numkeras

    report = {
        "benchmark": "mnist_cnn_epoch", "images": len(x), "batch_size": BATCH_SIZE,
        "dtype": "float32", "threads": threads, "repeats": args.repeats,
        "seconds": times, "best": best, "ratio_best": ratio,
        "versions": {"numkeras": numkeras.__version__, "numpy": np.__version__,
                     "torch": torch.__version__, "python": platform.python_version()},
        "machine": {"processor": platform.processor() or platform.machine(),
                    "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"raw figures: {args.json}")


if __name__ == "__main__":
    main()
