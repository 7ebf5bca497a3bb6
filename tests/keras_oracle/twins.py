"""What every oracle test shares: the data, the same starting weights on both sides, and the
issue's tolerances.

Each test writes its program once, as a function of the library (``keras`` or ``numkeras``), so
that the two programs differ in the import alone, as the issue asks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The issue's tolerances on weights and losses: after one step, and after five.
ONE_STEP = 1e-5
FIVE_STEPS = 1e-4
FEATURES, CLASSES, BATCH = 8, 3, 8
#: Keras 3.15's own ``get_weights`` calls ``np.array`` on a variable whose ``__array__`` predates
#: NumPy 2's ``copy`` argument; the warning is Keras's, so each module here ignores it.
KERAS_NUMPY2_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword"


def classification_data(samples: int = 5 * BATCH, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Float32 inputs of ``FEATURES`` normal values and one-hot targets of ``CLASSES`` classes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, FEATURES)).astype("float32")
    y = np.eye(CLASSES, dtype="float32")[rng.integers(0, CLASSES, samples)]
    return x, y


def batches(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(x, y)`` in consecutive batches of ``BATCH``, the order of an unshuffled ``fit``."""
    return [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x), BATCH)]


def optimizer(lib: Any, name: str) -> Any:
    """The optimizer ``name`` (``'sgd'``: with momentum, or ``'adam'``) of ``lib``."""
    return {"sgd": lib.optimizers.SGD(0.1, momentum=0.9), "adam": lib.optimizers.Adam(0.01)}[name]


def same_start(reference: Any, ours: Any, x: np.ndarray) -> None:
    """Build both models on ``x`` (as the guides do, by calling them) and give numkeras's the
    weights of Keras's."""
    reference(x[:1])
    ours(x[:1])
    ours.set_weights(reference.get_weights())


def assert_weights_close(reference: Any, ours: Any, tolerance: float) -> None:
    """The two models' weights, in the order of ``get_weights``, agree within ``tolerance``
    (absolute and relative)."""
    theirs, mine = reference.get_weights(), ours.get_weights()
    assert [w.shape for w in mine] == [w.shape for w in theirs]
    for index, (a, b) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=f"weight {index}")


def assert_logs_close(ours: dict, reference: dict, tolerance: float) -> None:
    """Two logs (or histories) have the same keys and values within ``tolerance``."""
    assert sorted(ours) == sorted(reference)
    for key in reference:
        np.testing.assert_allclose(
            np.asarray(ours[key], "float64"),
            np.asarray(reference[key], "float64"),
            rtol=tolerance,
            atol=tolerance,
            err_msg=key,
        )
