"""One training epoch of Keras's classic MNIST CNN: numkeras against PyTorch eager, on the CPU.

Both train the same network (Conv2D 32 3x3 ReLU, Conv2D 64 3x3 ReLU, MaxPooling 2x2, Dropout
0.25, Flatten, Dense 128 ReLU, Dropout 0.5, Dense 10 softmax; Adam, lr 1e-3) on the same 10,000
real MNIST training digits, float32, shuffled batches of 128, with every core of the machine
(``torch.set_num_threads``; NumPy's BLAS uses all cores by default). The two run in turns in
one process, ``--repeats`` epochs each after one warm-up epoch, and the table reports the best
and the median epoch time of each and the ratio of the best times (numkeras / PyTorch).

    python benchmarks/bench_cnn.py [--repeats 3] [--json benchmarks/bench_cnn.json]
    python benchmarks/bench_cnn.py --accuracy [--epochs 3]

``--accuracy`` times nothing: it trains a fresh model of each for ``--epochs`` epochs and
reports both accuracies on the official 10,000 test digits.

OpenBLAS runs with the settings of the environment (the table prints
``OPENBLAS_THREAD_TIMEOUT``). Its default, which users get, suits numkeras best: numkeras runs
its memory passes on one core in C, and its convolutions make many cache-sized products, each of
which would wait for sleeping threads to wake under a short timeout.

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
from typing import Any

BATCH_SIZE = 128


def load_digits(test: bool = False) -> tuple[Any, Any]:
    """The 10,000 training (or the 10,000 test) digits packaged with numkeras, as float32 NHWC
    in [0, 1], and their labels."""
    import numpy as np

    from numkeras.datasets import mnist

    (x, y), (x_test, y_test) = mnist.load_data(sample=True)
    if test:
        x, y = x_test, y_test
    return x.reshape(-1, 28, 28, 1).astype(np.float32) / 255, y.astype(np.int64)


def numkeras_run(seed: int, x: Any, y: Any):
    """``(epoch, accuracy)``: train numkeras's model one epoch (returns the seconds it took);
    its accuracy on given images and labels."""
    from numkeras.models.classic import mnist_cnn
    from numkeras.utils import set_random_seed, to_categorical

    set_random_seed(seed)
    model = mnist_cnn()
    one_hot = to_categorical(y, 10)

    def epoch() -> float:
        start = time.perf_counter()
        model.fit(x, one_hot, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
        return time.perf_counter() - start

    def accuracy(images: Any, labels: Any) -> float:
        return float((model.predict(images, verbose=0).argmax(axis=1) == labels).mean())

    return epoch, accuracy


def torch_run(seed: int, x: Any, y: Any, threads: int):
    """The same for PyTorch eager (NCHW, cross-entropy on logits: its fused softmax loss)."""
    import numpy as np
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
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
            batch = order[i : i + BATCH_SIZE]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    def accuracy(images: Any, labels: Any) -> float:
        model.eval()
        with torch.no_grad():
            logits = model(torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))))
        return float((logits.argmax(dim=1).numpy() == labels).mean())

    return epoch, accuracy


def accuracies(args: argparse.Namespace, threads: int) -> dict[str, Any]:
    """Train a fresh model of each for ``args.epochs`` epochs; their test accuracies."""
    x, y = load_digits()
    x_test, y_test = load_digits(test=True)
    runs = {
        "numkeras": numkeras_run(args.seed, x, y),
        "pytorch": torch_run(args.seed, x, y, threads),
    }
    found = {}
    for name, (epoch, accuracy) in runs.items():
        for _ in range(args.epochs):
            epoch()
        found[name] = accuracy(x_test, y_test)
    print(
        f"Test accuracy after {args.epochs} epochs (batch {BATCH_SIZE}, {len(x)} training "
        f"digits, seed {args.seed}), on the official {len(x_test)} test digits:"
    )
    for name, value in found.items():
        print(f"  {name:<9} {value:.4f}")
    return {
        "benchmark": "mnist_cnn_accuracy",
        "epochs": args.epochs,
        "seed": args.seed,
        "accuracy": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs of each (default 3)")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).with_suffix(".json"),
        help="where to write the raw figures (default: bench_cnn.json here)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--accuracy",
        action="store_true",
        help="report test accuracies after --epochs epochs instead of timing",
    )
    parser.add_argument("--epochs", type=int, default=3, help="epochs for --accuracy (default 3)")
    args = parser.parse_args()

    import numpy as np
    import torch

    threads = os.cpu_count() or 1
    if args.accuracy:
        report = accuracies(args, threads)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"raw figures: {args.json}")
        return
    x, y = load_digits()
    runs = {
        "numkeras": numkeras_run(args.seed, x, y)[0],
        "pytorch": torch_run(args.seed, x, y, threads)[0],
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for epoch in runs.values():
        epoch()  # warm-up: first-touch memory, BLAS threads, caches
    for _ in range(args.repeats):
        for name, epoch in runs.items():
            times[name].append(epoch())
            print(f"  {name:<9} epoch: {times[name][-1]:6.2f} s", flush=True)

    best = {name: min(t) for name, t in times.items()}
    ratio = best["numkeras"] / best["pytorch"]
    blas_timeout = os.environ.get("OPENBLAS_THREAD_TIMEOUT", "default (28)")
    print(
        f"\nOne epoch of the MNIST CNN, {len(x)} images, batch {BATCH_SIZE}, float32, "
        f"{threads} threads, OPENBLAS_THREAD_TIMEOUT={blas_timeout}"
    )
    print(f"{'':<10}{'best s/epoch':>14}{'median':>10}")
    for name, t in times.items():
        print(f"{name:<10}{best[name]:>14.2f}{statistics.median(t):>10.2f}")
    print(f"ratio numkeras / pytorch (best): {ratio:.2f}")

    import numkeras

    report = {
        "benchmark": "mnist_cnn_epoch",
        "images": len(x),
        "batch_size": BATCH_SIZE,
        "dtype": "float32",
        "threads": threads,
        "repeats": args.repeats,
        "openblas_thread_timeout": blas_timeout,
        "seconds": times,
        "best": best,
        "ratio_best": ratio,
        "versions": {
            "numkeras": numkeras.__version__,
            "numpy": np.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"raw figures: {args.json}")


if __name__ == "__main__":
    main()
