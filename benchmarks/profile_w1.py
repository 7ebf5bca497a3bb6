"""Where one W1 epoch of numkeras goes: matrix products, element-wise work, Python overhead.

    python benchmarks/profile_w1.py [--cprofile]

Trains W1 (Dense 784-500-500-10, ReLU, softmax + cross-entropy, Adam, batch 100) on
Fashion-MNIST and times one epoch after a warm-up epoch, then splits it three ways:

* matrix products: the GEMM roofline of ``roofline.py`` (the same products on the same shapes);
* Python overhead: the same epoch of the same network with 8-unit hidden layers and 8 inputs,
  whose arithmetic is negligible: what remains is the cost of the engine's bookkeeping;
* element-wise work: the rest (bias, ReLU and its mask, softmax-cross-entropy, the Adam update,
  batch gathering, metrics).

It also times the phases of a training step (forward, loss, backward, optimizer, metrics,
the rest) with wrappers around the training loop's methods, and with ``--cprofile`` prints the
functions that take the most time.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from collections import defaultdict

import numpy as np
import roofline
from common import SEED, fashion_mnist

BATCH = 100


def build(inputs: int, hidden: int):
    from numkeras import backend
    from numkeras.layers import Activation, Dense
    from numkeras.models import Sequential

    backend.set_random_seed(SEED)
    model = Sequential()
    model.add(Dense(hidden, input_shape=(inputs,)))
    model.add(Activation("relu"))
    model.add(Dense(hidden))
    model.add(Activation("relu"))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def epoch_seconds(model, x: np.ndarray, t: np.ndarray) -> float:
    model.fit(x[: 10 * BATCH], t[: 10 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, t, batch_size=BATCH, epochs=1, verbose=0)
    return time.perf_counter() - start


def phases(model, x: np.ndarray, t: np.ndarray) -> dict[str, float]:
    """Seconds per phase over one epoch, timed by wrapping the training loop's methods."""
    from numkeras.ops.core import Tensor

    spent: dict[str, float] = defaultdict(float)

    def timed(owner, name: str, phase: str):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - start

        setattr(owner, name, wrapper)
        return owner, name, original

    patched = [
        timed(model, "_forward", "forward"),
        timed(model, "_total_loss", "loss"),
        timed(Tensor, "backward", "backward"),
        timed(model.optimizer, "apply", "optimizer (Adam)"),
        timed(model, "_update_metrics", "metrics"),
    ]
    total = epoch_seconds(model, x, t)
    for owner, name, original in patched:
        if owner is Tensor:
            setattr(owner, name, original)
        else:
            delattr(owner, name)
    spent["data, loop and callbacks"] = total - sum(spent.values())
    return dict(spent)


def main() -> None:
    data = fashion_mnist()
    x, t = data["x_train"], data["t_train"]
    gemm_step = roofline.sequence_seconds(roofline.products())
    steps = len(x) // BATCH
    model = build(784, 500)
    total = epoch_seconds(model, x, t)
    tiny = epoch_seconds(build(8, 8), np.ascontiguousarray(x[:, :8]), t)
    gemm = gemm_step * steps
    print(f"W1 epoch: {total:.3f} s ({total / steps * 1e3:.2f} ms per step)\n")
    print(f"{'matrix products (GEMM roofline)':<36}{gemm:>8.3f} s {gemm / total:>6.0%}")
    print(f"{'Python overhead (8-unit network)':<36}{tiny:>8.3f} s {tiny / total:>6.0%}")
    rest = total - gemm - tiny
    print(f"{'element-wise work (the rest)':<36}{rest:>8.3f} s {rest / total:>6.0%}\n")
    print("phases of the training step (wall time, matrix products included):")
    for phase, seconds in phases(model, x, t).items():
        print(f"  {phase:<34}{seconds:>8.3f} s")
    if "--cprofile" in sys.argv:
        profile = cProfile.Profile()
        profile.enable()
        model.fit(x, t, batch_size=BATCH, epochs=1, verbose=0)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
