"""Test data for the fused kernels: arrays that hold every kind of float that can trip a loop."""

from __future__ import annotations

import numpy as np


def awkward(rng: np.random.Generator, shape: tuple[int, ...], special: bool = True) -> np.ndarray:
    """float32 normals of many scales with zeros of both signs and ties; with ``special``, also
    subnormals, a NaN and infinities."""
    x = (rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 3, shape)).astype(np.float32)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=min(flat.size, 12), replace=False)
    values = [0.0, -0.0, 1.0, 1.0, -0.0, 0.0]
    if special:
        values += [1e-40, -1e-40, np.nan, np.inf, -np.inf, -1.0]
    flat[picks[: len(values)]] = values[: len(picks)]
    return x
