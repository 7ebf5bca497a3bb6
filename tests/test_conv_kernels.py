"""The convolution and pooling C kernels give the same bits as their NumPy reference paths in
``numkeras.ops.convolution`` and ``numkeras.ops.pooling``, and refuse bad buffers with the argument
named."""

from __future__ import annotations

import numpy as np
import pytest

from kernels_support import assert_same_bits, awkward
from numkeras import kernels, ops
from numkeras.ops import convolution as conv
from numkeras.ops import pooling
from ops import test_convolution as test_conv
from ops import test_pooling

#: The geometries that the torch comparisons cover, but for a 1x1 kernel of stride 1: its input
#: is its im2col matrix already, so no kernel runs.
IM2COL_CASES = [case for case in test_conv.CONV_CASES if case[1:3] != ((1, 1), (1, 1))]

pytestmark = pytest.mark.skipif(
    "im2col" not in kernels._native, reason="numkeras._conv_kernels was not built (no C compiler?)"
)


def backprop(fn, r, *arrays):
    """``fn``'s value and the gradients of ``sum(r · fn)`` with respect to ``arrays``."""
    variables = [ops.Variable(a.copy()) for a in arrays]
    out = fn(*variables)
    ops.sum(out * r).backward()
    return [out.data] + [v.grad for v in variables]


@pytest.mark.parametrize(("hw", "kernel", "strides", "padding", "dilation", "groups"), IM2COL_CASES)
@pytest.mark.parametrize(
    ("activation", "use_bias"), [("relu", True), (None, True), ("relu", False)]
)
@pytest.mark.parametrize("special", ["x", "grad"])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_conv2d_matches_the_numpy_path_bit_for_bit(
    hw, kernel, strides, padding, dilation, groups, activation, use_bias, special, numpy_path
):
    """NaN, infinities and subnormals in the input or in the gradient that reaches the op."""
    rng = np.random.default_rng(0)
    x = awkward(rng, (3, *hw, 4 * groups), special=special == "x")
    k = awkward(rng, (*kernel, 4, 4 * groups), special=False)
    b = awkward(rng, (4 * groups,), special=False)

    def fn(xv, kv, bv):
        return conv.conv2d(
            xv, kv, bv if use_bias else None, strides, padding, dilation, activation=activation
        )

    y_shape = fn(ops.Tensor(x), ops.Tensor(k), ops.Tensor(b)).shape
    r = awkward(rng, y_shape, special=special == "grad")
    fused = backprop(fn, r, x, k, b)
    assert numpy_path.used >= {"im2col", "col2im"}
    assert ("bias_relu" in numpy_path.used) == (activation == "relu" or use_bias)
    numpy_path()
    assert_same_bits(fused, backprop(fn, r, x, k, b))


def test_conv2d_on_a_cnn_sized_batch_matches_the_numpy_path(numpy_path):
    """The second convolution of the MNIST CNN, a bias gradient summed over 18,432 rows."""
    rng = np.random.default_rng(1)
    x = np.maximum(rng.standard_normal((32, 26, 26, 8), dtype=np.float32), 0)
    k = rng.standard_normal((3, 3, 8, 16), dtype=np.float32) * 0.1
    b = rng.standard_normal(16, dtype=np.float32) * 0.1
    r = rng.standard_normal((32, 24, 24, 16), dtype=np.float32)

    def fn(xv, kv, bv):
        return conv.conv2d(xv, kv, bv, activation="relu")

    fused = backprop(fn, r, x, k, b)
    assert numpy_path.used == {"im2col", "col2im", "bias_relu", "bias_relu_grad"}
    numpy_path()
    assert_same_bits(fused, backprop(fn, r, x, k, b))


#: Those of the torch comparisons, and tiled windows with "same" padding.
POOL_CASES = [*test_pooling.POOL_CASES, ((8, 8), (2, 2), None, "same")]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("hw", "pool", "strides", "padding"), POOL_CASES)
def test_max_pool2d_matches_the_numpy_path_bit_for_bit(hw, pool, strides, padding, numpy_path):
    rng = np.random.default_rng(2)
    # Few distinct values, so that windows hold ties, and zeros of both signs that tie.
    x = rng.integers(-2, 3, (3, *hw, 5)).astype(np.float32)
    x[rng.random(x.shape) < 0.2] = -0.0
    x.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, -np.inf]

    def fn(xv):
        return pooling.max_pool2d(xv, pool, strides, padding)

    r = awkward(rng, fn(ops.Tensor(x)).shape)
    fused = backprop(fn, r, x)
    assert numpy_path.used == {"max_pool", "max_pool_grad"}
    numpy_path()
    assert_same_bits(fused, backprop(fn, r, x))


def test_max_pool2d_without_a_gradient_matches_the_numpy_path(numpy_path):
    x = awkward(np.random.default_rng(3), (2, 6, 6, 3))
    with ops.no_grad():
        fused = pooling.max_pool2d(x, 2).data
        numpy_path()
        assert_same_bits([fused], [pooling.max_pool2d(x, 2).data])


GEOMETRY = ((2, 5, 5, 3), (3, 3), (1, 1), (1, 1), (0, 0), (3, 3), 1)


def test_bias_gradient_sums_from_positive_zero_as_numpy_does():
    # A column of -0 (a unit whose gradient is all -0, e.g. masked negatives) sums to +0 in
    # NumPy; starting from the first row would keep its -0.
    g = np.full((4, 3), -0.0, np.float32)
    g[:, 1] = [1.5, -2.0, 0.25, 3.0]
    bias_grad = np.empty(3, np.float32)
    kernels._native["bias_relu_grad"](g, None, None, bias_grad)
    assert_same_bits([bias_grad], [g.sum(axis=0)])


def test_conv_kernels_refuse_bad_buffers_with_the_argument_named():
    native = kernels._native
    x, cols = np.zeros((2, 5, 5, 3), np.float32), np.zeros(2 * 9 * 27, np.float32)
    with pytest.raises(TypeError, match="x must be a float32 array, got format 'd'"):
        native["im2col"](x.astype(np.float64), cols, *GEOMETRY)
    with pytest.raises(ValueError, match="cols has 485 elements; expected 486"):
        native["im2col"](x, cols[:-1], *GEOMETRY)
    with pytest.raises(ValueError, match="dx has 149 elements; expected 150"):
        native["col2im"](cols, np.zeros(149, np.float32), *GEOMETRY)
    with pytest.raises((BufferError, ValueError)):
        native["col2im"](cols, x[:, ::-1], *GEOMETRY)
    read_only = np.zeros(8, np.float32)
    read_only.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        native["bias_relu"](read_only, None, True)
    with pytest.raises(ValueError, match="len\\(bias\\)=3"):
        native["bias_relu"](np.zeros(8, np.float32), np.zeros(3, np.float32), True)
    with pytest.raises(ValueError, match="len\\(bias_grad\\)=3"):
        native["bias_relu_grad"](np.zeros(8, np.float32), None, None, np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="mask must be a uint8 array, got format 'f'"):
        native["bias_relu_grad"](
            np.zeros(8, np.float32), np.zeros(8, np.float32), np.zeros(8, np.float32), None
        )
    with pytest.raises(ValueError, match="mask has 7 elements; expected 8"):
        native["bias_relu"](np.zeros(8, np.float32), None, True, np.zeros(7, np.uint8))
    with pytest.raises(ValueError, match="a size is below 1"):
        native["im2col"](x, cols, (2, 5, 5, 3), (3, 3), (0, 1), (1, 1), (0, 0), (3, 3), 1)


def test_pooling_kernels_refuse_bad_buffers_with_the_argument_named():
    native = kernels._native
    x, y = np.zeros((1, 4, 4, 2), np.float32), np.zeros((1, 2, 2, 2), np.float32)
    geometry = ((1, 4, 4, 2), (2, 2), (2, 2), (2, 2))
    with pytest.raises(TypeError, match="argmax must be a uint8 array, got format 'H'"):
        native["max_pool"](x, y, np.zeros(8, np.uint16), *geometry)
    with pytest.raises(ValueError, match="argmax has 7 elements; expected 8"):
        native["max_pool_grad"](y, np.zeros(7, np.uint8), x, *geometry, True)
    with pytest.raises(ValueError, match="windows outside the input"):
        native["max_pool"](x, np.zeros(32, np.float32), None, (1, 4, 4, 2), (2, 2), (1, 1), (4, 4))
    with pytest.raises(ValueError, match="do not tile"):
        native["max_pool_grad"](
            y, np.zeros(8, np.uint8), x, (1, 4, 4, 2), (2, 2), (1, 1), (2, 2), True
        )
