"""What augmenting every batch costs: the course MLP's epoch time with and without
``ImageDataGenerator(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1)``.

The course's network (784-500-500-10, ReLU, Adam, batch 100, no dropout) trains on the 10,000
MNIST digits packaged with numkeras, once from the plain arrays and once from ``flow()``, which
rotates and shifts every image of every batch (bilinear, ``fill_mode='nearest'``). Epochs of the
two alternate, after one warm-up epoch each, so both see the same machine load; the script
prints the median epoch times (wall clock, and CPU time of all the process's threads) and
their ratio, and the ratio of the best epochs. Target: median wall-clock ratio < 1.30.

Run: ``python benchmarks/bench_augmentation.py [--epochs 5]``, on a quiet machine; where other
processes compete for the cores, ``OPENBLAS_NUM_THREADS=1`` gives much steadier epoch times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from numkeras.datasets import mnist
from numkeras.preprocessing.image import ImageDataGenerator
from numkeras.recipe.networks import course_mlp
from numkeras.utils import set_random_seed, to_categorical

TARGET = 1.30


class Flattened:
    """The batches of a ``flow()`` with each image flattened to one row, for the MLP."""

    def __init__(self, iterator: Any):
        self.iterator = iterator

    def __len__(self) -> int:
        return len(self.iterator)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.iterator[index]
        return x.reshape(len(x), -1), y

    def on_epoch_end(self) -> None:
        self.iterator.on_epoch_end()


def epoch_seconds(model: Any, *data: Any, **kwargs: Any) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one epoch of ``model.fit``."""
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(*data, epochs=1, verbose=0, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs of each kind")
    args = parser.parse_args()

    set_random_seed(0)
    data = mnist.load(sample=True)
    print(data.source)
    images = data.x_train[..., None]  # (10000, 28, 28, 1) uint8
    x = images.reshape(len(images), -1).astype("float32") / 255
    y = to_categorical(data.y_train, 10).astype("float32")
    generator = ImageDataGenerator(
        rotation_range=15, width_shift_range=0.1, height_shift_range=0.1, rescale=1 / 255
    )
    augmented = Flattened(generator.flow(images, y, batch_size=100, seed=0))

    plain_model = course_mlp(dropout=0.0)
    augmented_model = course_mlp(dropout=0.0)
    epoch_seconds(plain_model, x, y, batch_size=100)  # warm-up
    epoch_seconds(augmented_model, augmented)
    plain, with_augmentation = [], []
    for _ in range(args.epochs):
        plain.append(epoch_seconds(plain_model, x, y, batch_size=100))
        with_augmentation.append(epoch_seconds(augmented_model, augmented))

    start = time.perf_counter()
    for i in range(len(augmented)):
        augmented[i]
    making = time.perf_counter() - start

    medians = {}
    for k, clock in enumerate(("wall", "CPU")):
        times = {
            kind: [t[k] for t in runs]
            for kind, runs in (("plain", plain), ("augmented", with_augmentation))
        }
        base, aug = statistics.median(times["plain"]), statistics.median(times["augmented"])
        medians[clock] = aug / base
        best = min(times["augmented"]) / min(times["plain"])
        print(
            f"{clock:>4} s per epoch, median: plain {base:.3f}, augmented {aug:.3f}, ratio "
            f"{aug / base:.3f} (ratio of the best epochs: {best:.3f})"
        )
        for kind, values in times.items():
            print(f"     {kind:>9} runs: {', '.join(f'{t:.3f}' for t in values)}")
    print(f"making one epoch of augmented batches alone: {making:.3f} s (wall)")
    verdict = "met" if medians["wall"] < TARGET else "NOT met"
    print(
        f"ratio (wall clock, median epochs): {medians['wall']:.3f}, target < {TARGET:.2f}: "
        f"{verdict}"
    )


if __name__ == "__main__":
    main()
