"""What the device tests share: a run on the selected device checked against the CPU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from numkeras import backend


def same_on_the_cpu(train: Callable[[], tuple[list, dict, Any]]) -> None:
    """Run ``train()`` (weights, History, predictions) on the device that the test selected,
    then on the CPU, and check that the two runs agree to the bit."""
    on_device = train()
    backend.set_device("cpu")
    on_cpu = train()
    for ours, reference in zip(on_device[0], on_cpu[0], strict=True):
        np.testing.assert_array_equal(ours, reference)
    assert on_device[1] == on_cpu[1]
    np.testing.assert_array_equal(on_device[2], on_cpu[2])
