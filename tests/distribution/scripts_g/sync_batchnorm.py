"""Each rank runs BatchNormalization(synchronized=True) on its slice of one global batch (an
uneven split: 5 and 3 samples) and saves its outputs, gradients (weighted by its share of the
batch, as the data-parallel step weighs them) and moving statistics to ``argv[1]/rank<r>.npz``.
With ``argv[2] == "fit"`` each rank instead fits a small model with a synchronized layer under
DataParallel and saves its weights to ``argv[1]/fit<r>.npz``. The test compares both with one
process on the whole batch."""

import sys
from pathlib import Path

import numpy as np

import numkeras.distribution as dist
from numkeras import ops
from numkeras.layers import BatchNormalization
from numkeras.ops import GradientTape

SPLITS = (0, 5, 8)


def global_batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The whole batch (samples of 2×3 positions, 4 channels, off-centre), a weight for the
    loss, and γ."""
    rng = np.random.default_rng(7)
    x = rng.normal(3.0, 2.0, (8, 2, 3, 4)).astype(np.float32)
    return x, rng.normal(size=x.shape).astype(np.float32), rng.uniform(0.5, 2, 4).astype("f4")


def run(x: np.ndarray, w: np.ndarray, gamma: np.ndarray, synchronized: bool) -> dict:
    """Forward and backward of a fresh layer on ``x`` with loss mean(y · w)."""
    layer = BatchNormalization(momentum=0.5, synchronized=synchronized)
    layer.build(x.shape)
    layer.gamma.assign(gamma)
    inputs = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(inputs)
        y = layer(inputs, training=True)
        loss = ops.mean(y * w)
    gx, dgamma, dbeta = tape.gradient(loss, [inputs, layer.gamma, layer.beta])
    return {
        "y": y.numpy(),
        "gx": np.asarray(gx),
        "dgamma": np.asarray(dgamma),
        "dbeta": np.asarray(dbeta),
        "moving_mean": layer.moving_mean.numpy(),
        "moving_variance": layer.moving_variance.numpy(),
    }


def fit_model(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The weights (moving statistics included) after fitting Dense -> BatchNormalization
    (synchronized) -> Dense on ``x``, ``y`` with SGD, unshuffled batches of 8."""
    from numkeras.layers import Dense, Input
    from numkeras.models import Sequential
    from numkeras.utils import set_random_seed

    set_random_seed(3)
    model = Sequential(
        [Input((4,)), Dense(6), BatchNormalization(momentum=0.5, synchronized=True), Dense(1)]
    )
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return [w.numpy() for w in model.weights]


def fit_data() -> tuple[np.ndarray, np.ndarray]:
    """20 samples: batches of 8, 8 and 4, shared 4/4, 4/4 and 2/2 by 2 ranks."""
    rng = np.random.default_rng(5)
    x = rng.normal(1.0, 2.0, (20, 4)).astype(np.float32)
    return x, (x @ rng.normal(size=(4, 1))).astype(np.float32)


def main_fit(folder: Path) -> None:
    """Fit under DataParallel and save this rank's weights."""
    dist.set_distribution(dist.DataParallel())
    weights = fit_model(*fit_data())
    np.savez(folder / f"fit{dist.rank()}.npz", *weights)


if __name__ == "__main__":
    dist.initialize()
    if sys.argv[2:] == ["fit"]:
        main_fit(Path(sys.argv[1]))
        sys.exit(0)
    r = dist.rank()
    x, w, gamma = global_batch()
    part = slice(SPLITS[r], SPLITS[r + 1])
    result = run(x[part], w[part], gamma, synchronized=True)
    share = (SPLITS[r + 1] - SPLITS[r]) / SPLITS[-1]
    for name in ("gx", "dgamma", "dbeta"):
        result[name] = result[name] * share
    np.savez(Path(sys.argv[1]) / f"rank{r}.npz", **result)
