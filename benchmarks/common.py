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


class Clock:
    """Wall time of each epoch, and CPU time of all the process's threads (steadier where other
    processes compete for the cores); each per-epoch figure is the median of all but the first."""

    def __init__(self) -> None:
        self.epochs: list[float] = []
        self.cpu_epochs: list[float] = []
        self._start = self._cpu_start = 0.0

    def begin(self) -> None:
        self._start, self._cpu_start = time.perf_counter(), time.process_time()

    def end(self) -> None:
        self.epochs.append(time.perf_counter() - self._start)
        self.cpu_epochs.append(time.process_time() - self._cpu_start)

    @property
    def seconds_per_epoch(self) -> float:
        return statistics.median(self.epochs[1:] or self.epochs)

    @property
    def cpu_seconds_per_epoch(self) -> float:
        return statistics.median(self.cpu_epochs[1:] or self.cpu_epochs)


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


def torch_epochs(optimizer: Any, batch_loss: Any, examples: int, batch: int, epochs: int) -> Clock:
    """``epochs`` timed passes of mini-batch training in torch: each epoch shuffles the
    ``examples``, and for each ``batch`` of their indices steps ``optimizer`` on
    ``batch_loss(index)``, the loss of those examples; returns the Clock."""
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
