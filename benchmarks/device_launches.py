"""GPU launches per training step of W1 and W2, with the fused kernels on and off.

    python benchmarks/device_launches.py

W1 is the course's MLP (Dense 784-500-500-10, ReLU, softmax + categorical cross-entropy,
Adam, batch 100; also at batch 1000), W2 Keras's MNIST CNN (batch 128). The step runs on the
strict stand-in for CuPy (``tests/strict_xp.py``), which counts what a GPU would be asked to
do: each array operation (about one CUDA kernel launch in CuPy; views and bare allocations
launch nothing), each launch of a fused CUDA kernel (run by ``tests/cuda_emulator.py``, so g++
is needed for the "on" rows), and each copy between host and device. Each configuration runs
in its own process, as the switch ``NUMKERAS_KERNELS=numpy`` is read at import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cnn
import mlp
import numpy as np

TESTS = Path(__file__).resolve().parents[1] / "tests"
#: A launch's fixed cost on the GPU, in microseconds: the range of CUDA's launch latency
#: through a Python runtime such as CuPy's.
LAUNCH_US = (5, 10)


def _w1():
    """W1: Dense 784-500-500-10 in the course's spelling (each Dense then its Activation)."""
    from numkeras.models import Sequential

    return Sequential(mlp.numkeras_layers())


#: name: (model builder, input shape, batch size).
WORKLOADS = {
    "W1": (_w1, (784,), 100),
    "W1 b1000": (_w1, (784,), 1000),
    "W2": (cnn.numkeras_model, (28, 28, 1), 128),
}


def count(workload: str) -> dict[str, dict[str, float]]:
    """The launches of one warm step of ``workload`` on the stand-in, by kind, for this
    process's switch: of ``train_on_batch``, and of ``fit`` (a fit of 4 batches less one of
    2, halved)."""
    sys.path.insert(0, str(TESTS))
    import strict_xp
    from numkeras import backend

    build, shape, batch = WORKLOADS[workload]
    backend.set_device(strict_xp)
    backend.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((4 * batch, *shape), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 4 * batch)]
    model = build()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    for _ in range(2):  # warm: weights, slots and scratch buffers made
        model.train_on_batch(x[:batch], y[:batch])
    strict_xp.launches.clear()
    model.train_on_batch(x[:batch], y[:batch])
    one = dict(strict_xp.launches)

    def fit(batches: int) -> dict[str, int]:
        strict_xp.launches.clear()
        model.fit(x[: batches * batch], y[: batches * batch], batch_size=batch, verbose=0)
        return dict(strict_xp.launches)

    few, many = fit(2), fit(4)
    per_step = {k: (many.get(k, 0) - few.get(k, 0)) / 2 for k in set(few) | set(many)}
    return {"train_on_batch": one, "fit, per step": per_step}


def _summary(counts: dict[str, float]) -> tuple[float, float, float]:
    kernels = sum(n for k, n in counts.items() if k.startswith("kernel:"))
    return counts.get("op", 0), kernels, counts.get("copy", 0)


def main() -> None:
    print("Device launches per warm training step (Adam), on the strict stand-in")
    print(
        f"{'workload':<10} {'kernels':<8} {'step':<15} {'ops':>5} {'fused':>6} {'launches':>9} "
        f"{'copies':>7} {'launch-bound time':>18}"
    )
    for workload in WORKLOADS:
        for label, switch in (("on", ""), ("off", "numpy")):
            done = subprocess.run(
                [sys.executable, __file__, "--count", workload],
                env=dict(os.environ, NUMKERAS_KERNELS=switch),
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(f"counting {workload} ({label}) failed:\n{done.stderr}")
            for step, counts in json.loads(done.stdout).items():
                ops, fused, copies = _summary(counts)
                launches = ops + fused
                low, high = (launches * us / 1000 for us in LAUNCH_US)
                print(
                    f"{workload:<10} {label:<8} {step:<15} {ops:>5.0f} {fused:>6.0f} "
                    f"{launches:>9.0f} {copies:>7.0f} {f'{low:.2f}-{high:.2f} ms':>18}"
                )
                if label == "on" and step == "train_on_batch":
                    names = {k[7:]: n for k, n in counts.items() if k.startswith("kernel:")}
                    print(f"{'':<10} fused kernels in that step: {names}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--count"]:
        print(json.dumps(count(sys.argv[2])))
    else:
        main()
