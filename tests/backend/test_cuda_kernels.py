"""The CUDA twins of the fused kernels (``numkeras.cuda_kernels``) give the same bits as their
NumPy reference paths, reached through the real dispatch (``kernels.fused``) on the strict
stand-in, whose ``RawKernel`` runs the CUDA source compiled as C++ (``tests/cuda_emulator.py``);
and the source is valid CUDA (``nvcc -ptx``, where nvcc is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cuda_emulator
import strict_xp
from kernels_support import OPTIMIZERS, assert_same_bits, awkward
from numkeras import backend, cuda_kernels, kernels, ops, optimizers
from numkeras.ops import Variable, pooling
from numkeras.ops import convolution as conv
from numkeras.ops import nn as nn_ops
from ops.test_convolution import CONV_CASES
from ops.test_pooling import POOL_CASES

pytestmark = pytest.mark.skipif(
    not cuda_emulator.available(), reason="no C++ compiler (g++) to emulate the CUDA kernels"
)


@pytest.fixture
def launched(stand_in):
    """The names of the CUDA kernels launched on the stand-in since the test began."""
    strict_xp.launches.clear()

    def names() -> set[str]:
        return {k.split(":")[1] for k, n in strict_xp.launches.items() if k.startswith("kernel:")}

    return names


def device(*arrays: np.ndarray) -> list:
    """Copies of ``arrays`` on the stand-in device."""
    return [None if a is None else strict_xp.asarray(a) for a in arrays]


def host(*arrays) -> list:
    """Copies of ``arrays`` on the host (NumPy arrays stay as they are)."""
    return [None if a is None else backend.to_numpy(a) for a in arrays]


# -- optimizers --------------------------------------------------------------------------------


def train(make, weight: np.ndarray, grads: list, to=device) -> list[np.ndarray]:
    """The weight and the slots, on the host, after one ``apply`` per gradient; the arrays
    moved by ``to`` first (onto the device, or left on the host)."""
    variable = Variable(to(weight)[0])
    optimizer = make()
    for g in grads:
        optimizer.apply(to(g), [variable])
    return host(variable.data, *optimizer.variables)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("size", [1, 7, 1_000_003])
def test_optimizer_steps_match_the_numpy_path(name, size, launched, numpy_path):
    rng = np.random.default_rng(1)
    weight = rng.standard_normal(size, dtype=np.float32)
    grads = [rng.standard_normal(size, dtype=np.float32) * 0.1 for _ in range(2)]
    ours = train(OPTIMIZERS[name], weight, grads)
    assert launched() == {OPTIMIZERS[name]().kernel}
    numpy_path()
    assert_same_bits(ours, train(OPTIMIZERS[name], weight, grads, to=lambda *a: a))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", ["adam", "amsgrad", "nesterov"])
def test_optimizers_match_the_numpy_path_on_awkward_values(name, launched, numpy_path):
    """NaN, infinities, subnormals and zeros of both signs in the gradients."""
    rng = np.random.default_rng(2)
    weight, grads = awkward(rng, (1000,)), [awkward(rng, (1000,)) for _ in range(3)]
    ours = train(OPTIMIZERS[name], weight, grads)
    assert launched()
    numpy_path()
    assert_same_bits(ours, train(OPTIMIZERS[name], weight, grads, to=lambda *a: a))


# -- activations, bias and their gradients -------------------------------------------------------
SHAPES = [(1, 1), (1, 7), (7, 3), (2000, 37), (1, 1_000_003)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("grad_of", [nn_ops.relu_grad, nn_ops.sigmoid_grad])
@pytest.mark.parametrize("shape", [*SHAPES, (64, 64)])
def test_activation_grads_match_the_numpy_path(grad_of, shape, launched, numpy_path):
    rng = np.random.default_rng(3)
    g, y = awkward(rng, shape), awkward(rng, shape)
    ours = host(grad_of(*device(g, y)))
    assert launched() == {grad_of.__name__}
    numpy_path()
    assert_same_bits(ours, [grad_of(g, y)])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("activation", "with_bias"), [("relu", True), (None, True), ("relu", False)]
)
def test_bias_relu_and_its_gradient_match_the_numpy_path(
    shape, activation, with_bias, launched, numpy_path
):
    """The forward pass with ReLU's mask, and the backward pass: ``g · mask`` and the bias
    gradient (a sum down the rows), with and without each part."""
    rng = np.random.default_rng(4)
    y, g = awkward(rng, shape), awkward(rng, shape)
    bias = awkward(rng, shape[-1:]) if with_bias else None
    relu = activation == "relu"

    def passes(y, g, bias, xp):
        mask = xp.zeros(y.shape, np.uint8) if relu else None
        nn_ops.add_bias_and_activate(y, bias, activation, mask)
        out = xp.empty_like(g) if relu else None
        bias_grad = xp.empty(shape[-1:], np.float32) if with_bias else None
        dy = nn_ops.masked_and_bias_grads(g, mask, out, bias_grad)
        return host(y, mask, dy, bias_grad)

    ours = passes(*device(y, g, bias), strict_xp)
    assert launched() == {"bias_relu", "bias_relu_grad"}
    numpy_path()
    assert_same_bits(ours, passes(y.copy(), g, bias, np))


def test_one_channel_s_bias_gradient_is_numpy_s_within_rounding(launched):
    """NumPy sums one channel's contiguous rows pairwise, the twin (as the C kernel) in row
    order: the two agree within float32 rounding, not to the bit."""
    g = np.random.default_rng(5).random((1000, 1), dtype=np.float32)
    (bias_grad,) = device(np.empty(1, np.float32))
    nn_ops.masked_and_bias_grads(*device(g), None, None, bias_grad)
    assert launched() == {"bias_relu_grad"}
    np.testing.assert_allclose(strict_xp.asnumpy(bias_grad), g.sum(axis=0), rtol=1e-5)


# -- convolution -------------------------------------------------------------------------------
def conv_backprop(r, activation, *arrays, geometry) -> list[np.ndarray]:
    """conv2d's output and the gradients of ``sum(r · conv2d)`` for its input, kernel and
    bias, on their device."""
    strides, padding, dilation = geometry
    variables = [Variable(a) for a in arrays]
    out = conv.conv2d(*variables, strides, padding, dilation, activation=activation)
    ops.sum(out * r).backward()
    return host(out.data, *(v.grad for v in variables))


#: Those of the torch comparisons but for 1x1 kernels of stride 1 (their input is their im2col
#: matrix already), each with a batch of 1 and of 3.
IM2COL_CASES = [
    (batch, *case) for case in CONV_CASES if case[1:3] != ((1, 1), (1, 1)) for batch in (1, 3)
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("batch", "hw", "kernel", "strides", "padding", "dilation", "groups"), IM2COL_CASES
)
def test_conv2d_matches_the_numpy_path(
    batch, hw, kernel, strides, padding, dilation, groups, launched, numpy_path
):
    """im2col, col2im and the bias with ReLU around the products; NaN and infinities in x."""
    rng = np.random.default_rng(7)
    x = awkward(rng, (batch, *hw, 2 * groups))
    k = awkward(rng, (*kernel, 2, 3 * groups), special=False)
    b = awkward(rng, (3 * groups,), special=False)
    geometry = (strides, padding, dilation)
    with ops.no_grad():
        r = awkward(rng, conv.conv2d(x, k, b, *geometry).shape, special=False)
    ours = conv_backprop(*device(r), "relu", *device(x, k, b), geometry=geometry)
    assert launched() == {"im2col", "col2im", "bias_relu", "bias_relu_grad"}
    numpy_path()
    assert_same_bits(ours, conv_backprop(r, "relu", x, k, b, geometry=geometry))


# -- max-pooling -------------------------------------------------------------------------------
def pool_backprop(x: np.ndarray, r: np.ndarray, pool, strides, padding) -> list[np.ndarray]:
    """Max-pooling's output and the gradient of ``sum(r · pool(x))``, on x's device."""
    variable = Variable(x)
    out = pooling.max_pool2d(variable, pool, strides, padding)
    ops.sum(out * r).backward()
    return host(out.data, variable.grad)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("shape", "pool", "strides", "padding"),
    [((3, *hw, 5), pool, strides, padding) for hw, pool, strides, padding in POOL_CASES]
    + [((1, 8, 8, 1), (2, 2), None, "same"), ((1, 1, 1, 1), (1, 1), None, "valid")],
)
def test_max_pool2d_matches_the_numpy_path(shape, pool, strides, padding, launched, numpy_path):
    """Tiled and overlapping windows, padding, batch 1; ties, zeros of both signs, NaN."""
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, shape).astype(np.float32)
    x[rng.random(x.shape) < 0.2] = -0.0
    x.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, -np.inf][: x.size]
    with ops.no_grad():
        y_shape = pooling.max_pool2d(x, pool, strides, padding).shape
    r = awkward(rng, y_shape)
    ours = pool_backprop(*device(x, r), pool, strides, padding)
    assert launched() == {"max_pool", "max_pool_grad"}
    numpy_path()
    assert_same_bits(ours, pool_backprop(x, r, pool, strides, padding))


# -- dispatch, switches and refusals -------------------------------------------------------------
def test_fused_offers_the_cuda_twin_only_for_contiguous_float32_device_arrays(stand_in):
    (a,) = device(np.zeros((4, 4), np.float32))
    twin = kernels.fused("relu_grad", a, a, a)
    assert twin is not None and twin.__self__ is cuda_kernels.for_module(strict_xp)
    assert kernels.fused("adam", a, a, a, a, None) is not None
    assert kernels.fused("relu_grad", a, a.astype(np.float64), a) is None
    assert kernels.fused("relu_grad", a, a.T, a) is None
    assert kernels.fused("relu_grad", a, np.zeros((4, 4), np.float32), a) is None
    # Kernels without a CUDA twin (the recurrent ones) leave the device to its NumPy path.
    assert kernels.fused("lstm_cell", a) is None


def test_a_device_module_without_raw_kernels_takes_the_numpy_path(stand_in, monkeypatch):
    """The stand-in without g++ to emulate CuPy's RawKernel: no twins, and the ops still run."""
    monkeypatch.delattr(strict_xp, "RawKernel")
    cuda_kernels.for_module.cache_clear()
    try:
        g, y = device(*np.random.default_rng(8).standard_normal((2, 5, 3), dtype=np.float32))
        assert kernels.fused("relu_grad", g, y, g) is None
        np.testing.assert_array_equal(host(nn_ops.relu_grad(g, y))[0], host(g * (y > 0))[0])
    finally:
        cuda_kernels.for_module.cache_clear()


def test_numkeras_kernels_numpy_turns_the_cuda_twins_off_too(tmp_path):
    code = (
        "import numpy as np, strict_xp\nfrom numkeras import backend, kernels\n"
        "backend.set_device(strict_xp)\na = strict_xp.zeros(4, np.float32)\n"
        "print(kernels.fused('relu_grad', a, a, a) is None)\n"
    )
    tests = str(Path(__file__).parents[1])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUMKERAS_")}
    for switch, off in (("numpy", "True"), ("", "False")):
        environment.update(NUMKERAS_KERNELS=switch, PYTHONPATH=os.pathsep.join([tests, *sys.path]))
        done = subprocess.run(
            [sys.executable, "-c", code], env=environment, capture_output=True, text=True
        )
        assert done.stdout.split() == [off], done.stderr


def test_the_cuda_twins_refuse_bad_arrays_with_the_argument_named(stand_in):
    twins = cuda_kernels.for_module(strict_xp)
    a, b, short = device(np.zeros(8, np.float32), np.zeros(8, np.float32), np.zeros(7, np.float32))
    with pytest.raises(ValueError, match="out has 7 elements; expected 8"):
        twins.relu_grad(a, b, short)
    with pytest.raises(TypeError, match="g must be a C-contiguous float32 array of strict_xp. "):
        twins.relu_grad(np.zeros(8, np.float32), b, a)  # a host array
    with pytest.raises(TypeError, match=r"Received: mask: strict_xp.ndarray of float32, C-contig"):
        twins.bias_relu(a, None, True, b)
    with pytest.raises(TypeError, match=r"Received: y: builtins.list$"):
        twins.relu_grad(a, [0.0] * 8, b)
    with pytest.raises(ValueError, match=r"y has 8 elements, not rows of len\(bias\)=3"):
        twins.bias_relu(a, *device(np.zeros(3, np.float32)), True)
    with pytest.raises(ValueError, match="needs both mask and out, or neither"):
        twins.bias_relu_grad(a, None, b, None)
    with pytest.raises(ValueError, match="channels divisible by groups"):
        twins.im2col(a, a, (1, 2, 2, 2), (1, 1), (1, 1), (1, 1), (0, 0), (2, 2), 3)
    with pytest.raises(ValueError, match="cols has 8 elements; expected 72"):
        twins.im2col(a, a, (1, 2, 2, 2), (3, 3), (1, 1), (1, 1), (1, 1), (2, 2), 1)
    with pytest.raises(ValueError, match="every window inside the input"):
        twins.max_pool(a, a, None, (1, 2, 2, 2), (3, 3), (1, 1), (1, 1))
    with pytest.raises(ValueError, match="the windows do not tile dx"):
        twins.max_pool_grad(a, a, a, (1, 2, 2, 2), (1, 1), (2, 2), (1, 1), True)
    np.testing.assert_array_equal(strict_xp.asnumpy(a), 0)  # nothing ran


def test_the_emulator_checks_a_launch_against_the_kernel_parameters():
    kernel = cuda_emulator.RawKernel(cuda_kernels.SOURCE, "relu_grad", cuda_kernels.OPTIONS)
    g = np.arange(-3, 4, dtype=np.float32)
    out = np.empty_like(g)
    kernel((1,), (4,), (g, g, out, np.int64(g.size)))
    np.testing.assert_array_equal(out, [0, 0, 0, 0, 1, 2, 3])
    with pytest.raises(TypeError, match="takes 4 arguments"):
        kernel((1,), (4,), (g, g, out))
    with pytest.raises(TypeError, match="argument 3 must be a NumPy scalar of 8 bytes"):
        kernel((1,), (4,), (g, g, out, np.int32(g.size)))
    with pytest.raises(TypeError, match="argument 1 must be a C-contiguous device array"):
        kernel((1,), (4,), (g, g[::2], out, np.int64(4)))
    with pytest.raises(ValueError, match="cannot honour"):
        cuda_emulator.RawKernel(cuda_kernels.SOURCE, "relu_grad", ("--use_fast_math",))


def test_the_stand_in_counts_launches_and_copies_but_not_views_or_allocations():
    strict_xp.launches.clear()
    a = strict_xp.asarray(np.arange(6, dtype=np.float32))  # a copy to the device
    a.reshape(2, 3).T[0]  # views: no launch
    strict_xp.empty(6, np.float32)  # from the pool: no launch
    strict_xp.result_type(a.dtype, np.float32)  # no array data: no launch
    b = a + 1  # one launch each ...
    b *= 2
    strict_xp.maximum(b, 3, out=b)
    a[a > 2]  # ... two here: the comparison, then a gather
    np.testing.assert_array_equal(b.get(), [3, 4, 6, 8, 10, 12])  # a copy to the host
    assert strict_xp.launches == {"copy": 2, "op": 5}


# -- training ----------------------------------------------------------------------------------
def test_a_cnn_and_an_mlp_train_on_the_device_through_the_cuda_twins(launched):
    rng = np.random.default_rng(6)
    x = rng.random((32, 8, 8, 1), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    from numkeras import Sequential, layers

    for optimizer in ("adam", optimizers.SGD(0.1, momentum=0.9, nesterov=True)):
        model = Sequential(
            [
                layers.Input((8, 8, 1)),
                layers.Conv2D(4, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dense(8),
                layers.Activation("sigmoid"),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(optimizer, "categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert launched() == {
        "adam",
        "sgd",
        "im2col",  # no col2im: the first layer needs no input gradient
        "bias_relu",
        "bias_relu_grad",
        "max_pool",
        "max_pool_grad",
        "sigmoid_grad",
    }


# -- valid CUDA ----------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (the CUDA toolkit) is not installed")
def test_the_source_compiles_as_cuda_for_hopper(tmp_path):
    source = tmp_path / "kernels.cu"
    source.write_text(cuda_kernels.SOURCE)
    done = subprocess.run(
        ["nvcc", "-ptx", "-arch=sm_90", *cuda_kernels.OPTIONS, "-o", str(tmp_path / "k.ptx")]
        + [str(source)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    ptx = (tmp_path / "k.ptx").read_text()
    assert {name for name in cuda_kernels.NAMES if f".entry {name}(" in ptx} == cuda_kernels.NAMES
    # No multiply-add contracted: fma.rn would round once where NumPy rounds twice.
    assert "fma.rn.f32" not in ptx
