"""Where one W1 epoch of numkeras goes: matrix products, element-wise work, Python overhead.

    python benchmarks/profile_w1.py [--cprofile] [--batch 100] [--width 500] [--examples N]

Trains W1 (Dense 784-500-500-10, ReLU, softmax + cross-entropy, Adam, batch 100) on
Fashion-MNIST, or a cell of the speed grid (``--batch``, ``--width``, ``--examples 30000``), and
times one epoch after a warm-up epoch, then splits it three ways:

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

import argparse
import cProfile
import pstats
import time
from collections import defaultdict

import mlp
import numpy as np
import roofline
from common import SEED, fashion_mnist


def build(inputs: int, hidden: int):
    from numkeras import backend
    from numkeras.models import Sequential

    backend.set_random_seed(SEED)
    model = Sequential(mlp.numkeras_layers(hidden, inputs=inputs))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def epoch_seconds(model, x: np.ndarray, t: np.ndarray, batch: int, warm_up: bool = True) -> float:
    """One epoch's seconds, after 10 steps of warm-up unless the model is warm already."""
    if warm_up:
        model.fit(x[: 10 * batch], t[: 10 * batch], batch_size=batch, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, t, batch_size=batch, epochs=1, verbose=0)
    return time.perf_counter() - start


def phases(model, x: np.ndarray, t: np.ndarray, batch: int) -> dict[str, float]:
    """Seconds per phase over one epoch of a warm ``model``, timed by wrapping the training
    step's methods."""
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
        timed(model, "call", "forward"),
        timed(model, "compute_loss", "loss"),
        timed(Tensor, "backward", "backward"),
        timed(model.optimizer, "apply", "optimizer (Adam)"),
        timed(model, "compute_metrics", "metrics"),
    ]
    total = epoch_seconds(model, x, t, batch, warm_up=False)
    for owner, name, original in patched:
        if owner is Tensor:
            setattr(owner, name, original)
        else:
            delattr(owner, name)
    spent["data, loop and callbacks"] = total - sum(spent.values())
    return dict(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--width", type=int, default=500)
    parser.add_argument("--examples", type=int, default=None, help="the first N images only")
    args = parser.parse_args()
    batch = args.batch
    data = fashion_mnist(limit=args.examples)
    x, t = data["x_train"], data["t_train"]
    sizes = (784, args.width, args.width, 10)
    gemm_step = roofline.sequence_seconds(roofline.products(batch, sizes))
    steps = -(-len(x) // batch)
    model = build(784, args.width)
    total = epoch_seconds(model, x, t, batch)
    tiny = epoch_seconds(build(8, 8), np.ascontiguousarray(x[:, :8]), t, batch)
    gemm = gemm_step * steps
    print(f"epoch of batch {batch}, width {args.width}, {len(x)} images: {total:.3f} s")
    print(f"({total / steps * 1e3:.2f} ms per step)\n")
    print(f"{'matrix products (GEMM roofline)':<36}{gemm:>8.3f} s {gemm / total:>6.0%}")
    print(f"{'Python overhead (8-unit network)':<36}{tiny:>8.3f} s {tiny / total:>6.0%}")
    rest = total - gemm - tiny
    print(f"{'element-wise work (the rest)':<36}{rest:>8.3f} s {rest / total:>6.0%}\n")
    print("phases of the training step (wall time, matrix products included):")
    for phase, seconds in phases(model, x, t, batch).items():
        print(f"  {phase:<34}{seconds:>8.3f} s")
    if args.cprofile:
        profile = cProfile.Profile()
        profile.enable()
        model.fit(x, t, batch_size=batch, epochs=1, verbose=0)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
