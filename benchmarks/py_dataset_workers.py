"""Does ``PyDataset(workers=n)`` pay? Reading an epoch of image batches from PNG files.

    python benchmarks/py_dataset_workers.py [IMAGES] [REPEATS] [LATENCY_MS]

A folder of IMAGES (default 2048) 64x64 RGB PNGs is written to a temporary folder; a
``PyDataset`` decodes them with Pillow (``utils.load_img``) in batches of 32, the way an image
pipeline reads its files, after waiting LATENCY_MS (default 0) per batch, as a network or cloud
file system makes a reader wait. One epoch of ``predict`` on a small model is timed with 1, 2
and 4 worker threads, interleaved over REPEATS (default 3) rounds in one process; the medians
and the speed-up over one worker are printed. Threads overlap the waiting (and Pillow's
decoding, which releases the GIL) with the model's step; on a machine whose cores the model's
BLAS already keeps busy, decoding alone gains little.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import numkeras
from numkeras import utils

BATCH = 32
WORKERS = (1, 2, 4)


class PNGBatches(utils.PyDataset):
    def __init__(self, files: list[Path], latency: float, **kwargs):
        super().__init__(**kwargs)
        self.files, self.latency = files, latency

    def __len__(self) -> int:
        return len(self.files) // BATCH

    def __getitem__(self, index: int) -> np.ndarray:
        chunk = self.files[index * BATCH : (index + 1) * BATCH]
        time.sleep(self.latency)
        return np.stack([utils.img_to_array(utils.load_img(f)) / 255.0 for f in chunk])


def main() -> None:
    images = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    latency = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.0
    rng = np.random.default_rng(0)
    model = numkeras.Sequential(
        [
            numkeras.Input((64, 64, 3)),
            numkeras.layers.Conv2D(8, 3),
            numkeras.layers.Flatten(),
            numkeras.layers.Dense(10),
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i in range(images):
            path = Path(folder) / f"{i}.png"
            utils.save_img(path, rng.integers(0, 256, (64, 64, 3)), scale=False)
            files.append(path)
        times: dict[int, list[float]] = {n: [] for n in WORKERS}
        for _ in range(repeats):
            for n in WORKERS:
                start = time.perf_counter()
                model.predict(PNGBatches(files, latency, workers=n), verbose=0)
                times[n].append(time.perf_counter() - start)
    base = statistics.median(times[1])
    print(
        f"{images} PNG images, batches of {BATCH}, {latency * 1000:g} ms of storage latency "
        f"per batch, medians of {repeats} epochs of predict"
    )
    for n in WORKERS:
        median = statistics.median(times[n])
        print(f"  workers={n}: {median:.3f} s/epoch  speed-up {base / median:.2f}x")


if __name__ == "__main__":
    main()
