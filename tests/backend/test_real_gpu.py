"""On a real NVIDIA GPU: the CUDA twins and training against the CPU, within float32 rounding.

Skipped unless CuPy is installed and finds a GPU; a session with one runs
``pytest tests/backend/test_real_gpu.py``. The strict stand-in proves the same paths bit for bit
on every run (``test_cuda_kernels.py``, ``test_strict_device.py``); here the products are
cuBLAS's and the reductions CuPy's, which add in other orders than OpenBLAS and NumPy, so the
comparisons allow float32 rounding rather than asking for the same bits.
"""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
from backend.test_cuda_kernels import train
from kernels_support import OPTIMIZERS
from numkeras import backend, kernels, layers, ops
from numkeras.ops import convolution as conv
from numkeras.ops import nn as nn_ops
from numkeras.ops import pooling

cupy = pytest.importorskip("cupy")


def _gpu_found() -> bool:
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except cupy.cuda.runtime.CUDARuntimeError:
        return False


pytestmark = pytest.mark.skipif(not _gpu_found(), reason="CuPy finds no NVIDIA GPU")

#: Float32 rounding, grown over a few operations of differently ordered sums.
CLOSE = {"rtol": 2e-5, "atol": 1e-6}


@pytest.fixture
def gpu(device_restored):
    """The real GPU as numkeras's device for one test."""
    backend.set_device("gpu")
    return cupy


def on_gpu(*arrays: np.ndarray) -> list:
    return [None if a is None else cupy.asarray(a) for a in arrays]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_twins_match_the_numpy_path(name, gpu):
    rng = np.random.default_rng(1)
    weight = rng.standard_normal(1_000_003, dtype=np.float32)
    grads = [rng.standard_normal(weight.size, dtype=np.float32) * 0.1 for _ in range(2)]
    variable = on_gpu(weight)
    assert kernels.fused(OPTIMIZERS[name]().kernel, *variable, *variable) is not None
    ours = train(OPTIMIZERS[name], weight, grads, to=on_gpu)
    reference = train(OPTIMIZERS[name], weight, grads, to=lambda *a: a)
    for a, b in zip(ours, reference, strict=True):
        np.testing.assert_allclose(a, b, **CLOSE)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", None])
def test_dense_forward_and_backward_match_the_cpu(activation, gpu):
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s, dtype=np.float32) for s in ((100, 784), (784, 500), (500,)))
    r = rng.standard_normal((100, 500), dtype=np.float32)

    def grads(to):
        xv, wv, bv = (ops.Variable(a) for a in to(x, w, b))
        y = nn_ops.dense(xv, wv, bv, activation)
        (y * ops.Tensor(to(r)[0])).sum().backward()
        return [backend.to_numpy(t) for t in (y.data, xv.grad, wv.grad, bv.grad)]

    for a, b_ in zip(grads(on_gpu), grads(lambda *a: a), strict=True):
        np.testing.assert_allclose(a, b_, rtol=1e-4, atol=1e-4)


def test_convolution_and_max_pooling_match_the_cpu(gpu):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 28, 28, 1), dtype=np.float32)
    k = rng.standard_normal((3, 3, 1, 32), dtype=np.float32)

    def forward_and_grads(to):
        xv, kv = (ops.Variable(a) for a in to(x, k))
        y = pooling.max_pool2d(conv.conv2d(xv, kv), 2)
        y.sum().backward()
        return [backend.to_numpy(t) for t in (y.data, xv.grad, kv.grad)]

    for a, b in zip(forward_and_grads(on_gpu), forward_and_grads(lambda *a: a), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_the_course_mlp_trains_on_the_gpu_as_on_the_cpu(gpu):
    rng = np.random.default_rng(4)
    x = rng.random((1000, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 1000)]

    def run():
        backend.set_random_seed(0)
        model = numkeras.Sequential(
            [
                layers.Input((784,)),
                layers.Dense(500, activation="relu"),
                layers.Dense(500, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=100, epochs=2, shuffle=True, verbose=0)
        assert isinstance(model.weights[0].data, cupy.ndarray) == (backend.device() == "gpu")
        return model.get_weights(), history.history["loss"], model.predict(x, verbose=0)

    weights, losses, predicted = run()
    backend.set_device("cpu")
    cpu_weights, cpu_losses, cpu_predicted = run()
    assert isinstance(predicted, np.ndarray)
    for a, b in zip(weights, cpu_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(losses, cpu_losses, rtol=1e-4)
    np.testing.assert_allclose(predicted, cpu_predicted, rtol=1e-3, atol=1e-4)
