"""A fixed small problem on which numkeras and torch.optim take the same steps.

Least squares with two variables (a kernel and a bias), float64 throughout:
``loss = 0.5 * ||X @ W + b - Y||**2``, so ``dW = X.T @ r`` and ``db = r.sum(0)`` with
``r = X @ W + b - Y``. The gradients depend on the weights, so a wrong step shows up in every
later one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import Optimizer

_rng = np.random.default_rng(1234)
X = _rng.normal(size=(5, 3))
Y = _rng.normal(size=(5, 2))
W0 = _rng.normal(size=(3, 2))
B0 = _rng.normal(size=(2,))


def gradients(w: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    r = X @ w + b - Y
    return [X.T @ r, r.sum(axis=0)]


def numkeras_steps(opt: Optimizer, steps: int = 3) -> list[np.ndarray]:
    """The weights (W and b flattened together) after each of ``steps`` updates."""
    w, b = Variable(W0.copy(), name="kernel"), Variable(B0.copy(), name="bias")
    out = []
    for _ in range(steps):
        opt.apply(gradients(w.data, b.data), [w, b])
        out.append(np.concatenate([w.data.ravel(), b.data]))
    return out


def torch_steps(name: str, steps: int = 3, **kwargs: Any) -> list[np.ndarray]:
    """The same for ``torch.optim.<name>(params, **kwargs)`` (skipped without torch)."""
    torch = pytest.importorskip("torch")
    w = torch.tensor(W0, requires_grad=True)
    b = torch.tensor(B0, requires_grad=True)
    x, y = torch.tensor(X), torch.tensor(Y)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps scalar state (NAdam's mu product) in it
    try:
        opt = getattr(torch.optim, name)([w, b], **kwargs)
        out = []
        for _ in range(steps):
            opt.zero_grad()
            (0.5 * ((x @ w + b - y) ** 2).sum()).backward()
            opt.step()
            out.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]))
    finally:
        torch.set_default_dtype(previous)
    return out


def assert_same_steps(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"step {step}")


def run_golden(opt: Optimizer, golden: list[list[float]]) -> None:
    """Keras's golden-trajectory check: a first step with g = 0.01, then g = 0.1 ... 1.0."""
    x = Variable(np.ones(10), name="x")
    grads = np.arange(0.1, 1.1, 0.1)
    opt.apply([np.full(10, 0.01)], [x])
    for row in golden:
        expected = np.broadcast_to(np.asarray(row, dtype=float), (10,))
        np.testing.assert_allclose(x.data, expected, rtol=5e-4, atol=5e-4)
        opt.apply([grads], [x])


def single_step(opt: Optimizer) -> np.ndarray:
    """Keras's single-step check: w = [1, 2, 3, 4], g = [1, 6, 7, 2]."""
    v = Variable(np.array([1.0, 2.0, 3.0, 4.0]), name="v")
    opt.apply_gradients(zip([np.array([1.0, 6.0, 7.0, 2.0])], [v], strict=True))
    return v.data
