"""What every benchmark worker shares: the data, the clock, the peak memory and the report line.

A worker is one process that trains one framework on one workload; it prints a single line
``RESULT {json}`` that ``run.py`` collects. Everything is float32 and seeded.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from typing import Any

import numpy as np

SEED = 0
CLASSES = 10
#: Where the workers train, ``cpu`` or ``gpu``: ``run.py --device`` sets it for every worker
#: (and NUMKERAS_DEVICE and JAX_PLATFORMS to match).
DEVICE = os.environ.get("NUMKERAS_BENCH_DEVICE", "cpu")


def fashion_mnist(limit: int | None = None, images: bool = False) -> dict[str, np.ndarray]:
    """Fashion-MNIST as float32 in [0, 1] (flat 784 or 28x28x1 with ``images``), labels and
    one-hot targets. Converted in place of a single float32 buffer: no float64, no extra copy."""
    from numkeras.datasets import fashion_mnist as source

    (x_train, y_train), (x_test, y_test) = source.load_data()
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    shape = (28, 28, 1) if images else (784,)
    data = {}
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        xf = np.empty((len(x), *shape), np.float32)
        np.multiply(x.reshape(xf.shape), np.float32(1 / 255), out=xf)
        data[f"x_{name}"] = xf
        data[f"y_{name}"] = y.astype(np.int64)
        data[f"t_{name}"] = np.eye(CLASSES, dtype=np.float32)[y]
    return data


def needed_bytes(data: dict[str, np.ndarray]) -> int:
    """Bytes of the arrays that training and testing use (the uint8 originals are gone)."""
    return sum(a.nbytes for k, a in data.items() if k.startswith(("x_", "t_")))


def peak_rss_bytes() -> int:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def page_faults() -> int:
    """The process's minor page faults so far: each first touch of freshly mapped memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


class Clock:
    """Wall time of each epoch, CPU time of all the process's threads (steadier where other
    processes compete for the cores) and page faults (fresh memory touched); each per-epoch
    figure is the median of all but the first."""

    def __init__(self) -> None:
        self.epochs: list[float] = []
        self.cpu_epochs: list[float] = []
        self.fault_epochs: list[int] = []
        self._start = self._cpu_start = 0.0
        self._faults = 0

    def begin(self) -> None:
        self._start, self._cpu_start = time.perf_counter(), time.process_time()
        self._faults = page_faults()

    def end(self) -> None:
        self.epochs.append(time.perf_counter() - self._start)
        self.cpu_epochs.append(time.process_time() - self._cpu_start)
        self.fault_epochs.append(page_faults() - self._faults)

    @property
    def seconds_per_epoch(self) -> float:
        return statistics.median(self.epochs[1:] or self.epochs)

    @property
    def best_seconds_per_epoch(self) -> float:
        return min(self.epochs[1:] or self.epochs)

    @property
    def cpu_seconds_per_epoch(self) -> float:
        return statistics.median(self.cpu_epochs[1:] or self.cpu_epochs)

    @property
    def page_faults_per_epoch(self) -> float:
        return statistics.median(self.fault_epochs[1:] or self.fault_epochs)


def fit_timed(model: Any, lambda_callback: Any, x: Any, y: Any, **fit: Any) -> Clock:
    """``model.fit(x, y, verbose=0, **fit)`` of a Keras-API model (numkeras's or Keras's, whose
    ``LambdaCallback`` class is ``lambda_callback``), each epoch timed; returns the Clock."""
    clock = Clock()
    timer = lambda_callback(
        on_epoch_begin=lambda epoch, logs: clock.begin(),
        on_epoch_end=lambda epoch, logs: clock.end(),
    )
    model.fit(x, y, verbose=0, callbacks=[timer], **fit)
    return clock


def torch_device() -> Any:
    """torch's device for :data:`DEVICE`: the CPU, or the first CUDA GPU."""
    import torch

    return torch.device("cuda" if DEVICE == "gpu" else "cpu")


def torch_epochs(optimizer: Any, batch_loss: Any, examples: int, batch: int, epochs: int) -> Clock:
    """``epochs`` timed passes of mini-batch training in torch: each epoch shuffles the
    ``examples``, and for each ``batch`` of their indices steps ``optimizer`` on
    ``batch_loss(index)``, the loss of those examples; returns the Clock. On a GPU each epoch
    ends when its queued kernels have run."""
    import torch

    clock = Clock()
    for _ in range(epochs):
        clock.begin()
        order = torch.randperm(examples)
        for start in range(0, examples, batch):
            loss = batch_loss(order[start : start + batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if DEVICE == "gpu":
            torch.cuda.synchronize()
        clock.end()
    return clock


def images_per_second(predict: Any, x: np.ndarray, repeats: int = 5) -> float:
    """Median throughput of ``predict(x)`` over ``repeats`` timed runs after one warm-up."""
    predict(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(x)
        times.append(time.perf_counter() - start)
    return len(x) / statistics.median(times)


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float((np.asarray(probabilities).argmax(axis=1) == labels).mean())


def report(**figures: Any) -> None:
    """Print the worker's figures as the one line that ``run.py`` reads."""
    print("RESULT " + json.dumps(figures), flush=True)


def argument(index: int, default: str) -> str:
    return sys.argv[index] if len(sys.argv) > index else default


def threads() -> int:
    return len(os.sched_getaffinity(0))
