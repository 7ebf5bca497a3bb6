"""Finite-difference gradient checks: the test every op and layer passes.

The analytic gradient (backprop through the tape) of ``sum(r * f())`` for a fixed random ``r`` is
compared with central differences ``(L(θ + ε) - L(θ - ε)) / 2ε``, element by element, in float64.
Random ``r`` makes every output element matter, which ``sum(f())`` alone would not (the gradient
of a softmax's sum is zero).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import backend
from ..ops.core import Tensor, no_grad


def check_gradients(
    fn: Callable[[], Tensor],
    *tensors: Tensor,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    seed: int = 0,
) -> None:
    """Raise AssertionError unless backprop through ``fn()`` matches finite differences.

    ``fn`` takes no arguments and computes its output from ``tensors`` (variables that require
    gradients, e.g. an op's inputs or a layer's input and weights), which are perturbed in place.
    Use float64 tensors: float32 has too few digits for central differences.
    """
    for t in tensors:
        if t.dtype != np.float64:
            raise ValueError(f"check_gradients needs float64 tensors. Received: dtype={t.dtype}")
        t.requires_grad = True
        t.grad = None
    out = fn()
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    (out * weights).sum().backward()
    analytic = [
        backend.to_numpy(t.grad) if t.grad is not None else np.zeros(t.shape) for t in tensors
    ]

    def loss() -> float:
        with no_grad():
            return float((backend.to_numpy(fn().data) * weights).sum())

    for index, (t, grad) in enumerate(zip(tensors, analytic)):
        flat = t.data.reshape(-1)
        numeric = np.empty(flat.size)
        for i in range(flat.size):
            kept = flat[i].item()
            flat[i] = kept + eps
            up = loss()
            flat[i] = kept - eps
            down = loss()
            flat[i] = kept
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(
            grad.reshape(-1),
            numeric,
            atol=atol,
            rtol=rtol,
            err_msg=f"gradient of input {index} (shape {t.shape}) differs from finite differences",
        )
