"""The fused C kernels give the same bits as their NumPy reference paths, and refuse bad input."""

from __future__ import annotations

import numpy as np
import pytest

from kernels_support import OPTIMIZERS, assert_same_bits, awkward
from numkeras import kernels, optimizers
from numkeras.ops import Variable
from numkeras.ops import nn as nn_ops

pytestmark = pytest.mark.skipif(
    not kernels.available(), reason="numkeras._kernels was not built (no C compiler?)"
)


def train(optimizer_factory, grads: list[np.ndarray], shape: tuple[int, ...]) -> tuple:
    """Weights and slots after one ``apply`` per gradient, from seeded starting weights."""
    rng = np.random.default_rng(0)
    weight = Variable(rng.standard_normal(shape).astype(np.float32))
    optimizer = optimizer_factory()
    for g in grads:
        optimizer.apply([g], [weight])
    return weight.data, optimizer.variables


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("shape", [(7,), (300, 500)])  # whole, and in cache-sized blocks
def test_optimizer_steps_match_the_numpy_path_bit_for_bit(name, shape, numpy_path):
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(shape).astype(np.float32) * 0.1 for _ in range(4)]
    fused_weight, fused_slots = train(OPTIMIZERS[name], grads, shape)
    numpy_path()
    numpy_weight, numpy_slots = train(OPTIMIZERS[name], grads, shape)
    np.testing.assert_array_equal(fused_weight, numpy_weight, strict=True)
    for fused_slot, numpy_slot in zip(fused_slots, numpy_slots, strict=True):
        np.testing.assert_array_equal(fused_slot, numpy_slot, strict=True)


#: Three of _parallel.h's smallest chunks (2**20 elements) and a ragged tail: split three ways.
SPLIT_SIZE = 3 * 2**20 + 5


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_split_across_threads_keep_the_bits(name, numpy_path, monkeypatch):
    rng = np.random.default_rng(6)
    grads = [awkward(rng, (SPLIT_SIZE,)) for _ in range(2)]
    runs = {}
    for threads in ("1", "3"):
        monkeypatch.setenv("NUMKERAS_KERNEL_THREADS", threads)
        runs[threads] = train(OPTIMIZERS[name], grads, (SPLIT_SIZE,))
    numpy_path()
    runs["numpy"] = train(OPTIMIZERS[name], grads, (SPLIT_SIZE,))
    for other in ("3", "numpy"):
        one, split = runs["1"], runs[other]
        assert_same_bits([one[0], *one[1]], [split[0], *split[1]])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("grad_of", [nn_ops.relu_grad, nn_ops.sigmoid_grad])
def test_activation_grads_split_across_threads_keep_the_bits(grad_of, numpy_path, monkeypatch):
    rng = np.random.default_rng(7)
    g, y = awkward(rng, (SPLIT_SIZE,)), awkward(rng, (SPLIT_SIZE,))
    monkeypatch.setenv("NUMKERAS_KERNEL_THREADS", "1")
    one = grad_of(g, y)
    monkeypatch.setenv("NUMKERAS_KERNEL_THREADS", "3")
    split = grad_of(g, y)
    numpy_path()
    reference = grad_of(g, y)
    assert_same_bits([one, one], [split, reference])


@pytest.mark.parametrize("setting", ["0", "-2", "two", "2.5"])
def test_a_bad_thread_count_is_refused_by_name_before_any_write(setting, monkeypatch):
    monkeypatch.setenv("NUMKERAS_KERNEL_THREADS", setting)
    value = np.ones(SPLIT_SIZE, np.float32)
    grad = np.ones(SPLIT_SIZE, np.float32)
    match = f"NUMKERAS_KERNEL_THREADS must be a positive integer, got '{setting}'"
    with pytest.raises(ValueError, match=match):
        kernels._native["sgd"](value, grad, None, 0.1, 0.0, False)
    np.testing.assert_array_equal(value, 1.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_the_numpy_path_on_awkward_values(amsgrad, numpy_path):
    rng = np.random.default_rng(2)
    grads = [awkward(rng, (1000,)) for _ in range(3)]
    factory = lambda: optimizers.Adam(amsgrad=amsgrad)  # noqa: E731
    fused = train(factory, grads, (1000,))
    numpy_path()
    reference = train(factory, grads, (1000,))
    for a, b in zip([fused[0], *fused[1]], [reference[0], *reference[1]], strict=True):
        np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("grad_of", [nn_ops.relu_grad, nn_ops.sigmoid_grad])
def test_activation_grads_match_the_numpy_path_on_awkward_values(grad_of, numpy_path):
    rng = np.random.default_rng(3)
    g, y = awkward(rng, (64, 64)), awkward(rng, (64, 64))
    fused = grad_of(g, y)
    numpy_path()
    reference = grad_of(g, y)
    # The sign of a zero is part of the bits: ReLU's VJP of a negative g on a dead unit is -0.
    assert_same_bits([fused], [reference])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("activation", ["relu", None])
def test_dense_bias_and_relu_match_the_numpy_path_on_awkward_values(activation, numpy_path):
    rng = np.random.default_rng(4)
    y, bias = awkward(rng, (64, 50)), awkward(rng, (50,))
    fused = y.copy()
    nn_ops.add_bias_and_activate(fused, bias, activation)
    numpy_path()
    reference = y.copy()
    nn_ops.add_bias_and_activate(reference, bias, activation)
    assert_same_bits([fused], [reference])


def test_fused_offers_kernels_only_for_contiguous_float32_numpy_arrays():
    a = np.zeros((4, 4), np.float32)
    assert kernels.fused("relu_grad", a, a, a) is not None
    assert kernels.fused("adam", a, a, a, a, None) is not None
    assert kernels.fused("relu_grad", a, a.astype(np.float64), a) is None
    assert kernels.fused("relu_grad", a, a.T, a) is None
    assert kernels.fused("relu_grad", a, a[:, :2], a[:, :2]) is None
    assert kernels.fused("relu_grad", a, a.tolist(), a) is None


def test_kernels_refuse_bad_buffers_with_the_argument_named():
    native = kernels._native
    a, b = np.zeros(8, np.float32), np.zeros(8, np.float32)
    with pytest.raises(TypeError, match="g must be a float32 array, got format 'd'"):
        native["relu_grad"](np.zeros(8), a, b)
    with pytest.raises(ValueError, match="out has 7 elements; expected 8"):
        native["relu_grad"](a, b, np.zeros(7, np.float32))
    read_only = np.zeros(8, np.float32)
    read_only.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        native["sgd"](read_only, a, None, 0.1, 0.0, False)
    with pytest.raises((BufferError, ValueError)):
        native["relu_grad"](np.zeros(16, np.float32)[::2], a, b)
    untouched = np.ones(8, np.float32)
    with pytest.raises(TypeError):
        native["adam"](untouched, a, b, np.zeros(8), None, 0.1, 0.9, 0.999, 1e-7)
    np.testing.assert_array_equal(untouched, 1.0)


@pytest.mark.parametrize(
    "hidden, optimizer",
    [("relu", lambda: optimizers.Adam()), ("sigmoid", lambda: optimizers.SGD(0.1, momentum=0.9))],
)
def test_training_with_kernels_gives_the_weights_of_the_numpy_path(hidden, optimizer, numpy_path):
    from numkeras import backend
    from numkeras.layers import Activation, Dense
    from numkeras.models import Sequential

    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 12)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]

    def trained() -> list[np.ndarray]:
        backend.set_random_seed(0)
        model = Sequential(
            [Dense(16, input_shape=(12,)), Activation(hidden), Dense(3), Activation("softmax")]
        )
        model.compile(optimizer=optimizer(), loss="categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        return model.get_weights()

    fused = trained()
    numpy_path()
    for a, b in zip(fused, trained(), strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
