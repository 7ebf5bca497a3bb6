"""Shared helpers of the op tests: float64 by default, seeded inputs, a gradient check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from numkeras import backend, ops
from numkeras.utils.gradient_check import check_gradients


@pytest.fixture(autouse=True)
def float64():
    """Gradient checks need float64 throughout, Python constants included."""
    with backend.floatx_scope("float64"):
        yield


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def gradcheck() -> Callable[..., None]:
    """``gradcheck(fn, *arrays)``: finite differences of ``fn(*variables)`` against backprop."""

    def check(fn: Callable[..., ops.Tensor], *arrays: Any, **tolerances: float) -> None:
        variables = [ops.Variable(np.array(a, dtype=np.float64)) for a in arrays]
        check_gradients(lambda: fn(*variables), *variables, **tolerances)

    return check
