"""Test data for the fused kernels: arrays that hold every kind of float that can trip a loop,
the optimizers whose updates are kernels, and the bit-for-bit comparison of their results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from numkeras import optimizers

#: The optimizers whose updates run as fused kernels, each with settings that exercise its
#: every branch (momentum, Nesterov, AMSGrad, weight decay).
OPTIMIZERS = {
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, epsilon=0.0),
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "momentum": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
}


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


def assert_same_bits(ours: Iterable[Any], reference: Iterable[Any]) -> None:
    """Each array of ``ours`` has the dtype, the values and, for floats, the signs of zeros of
    its twin in ``reference`` (the sign of a zero is part of the bits); None pairs with None."""
    for a, b in zip(ours, reference, strict=True):
        if a is None or b is None:
            assert a is None and b is None
            continue
        np.testing.assert_array_equal(a, b, strict=True)
        if a.dtype.kind == "f":
            assert np.array_equal(np.signbit(a), np.signbit(b)), "zeros of different signs"
